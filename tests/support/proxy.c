#define _GNU_SOURCE
#include "proxy.h"

#include "broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct conn {
    test_proxy *p;
    int client;
    int generation;
} conn;

static int connect_upstream(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the start of CONNECT: fixed header, remaining length, "MQTT" name, protocol level.
 * Gives up after 5 s, or at once when the proxy stops. */
static int read_connect_head(test_proxy *p, int fd, unsigned char *buf, size_t cap, size_t *len,
                             int *level)
{
    *len = 0;
    int waited_ms = 0;
    while (*len < cap) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, 50);
        if (r < 0 || atomic_load(&p->stop) || (r == 0 && (waited_ms += 50) >= 5000)) {
            return -1;
        }
        if (r == 0) {
            continue;
        }
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n <= 0) {
            return -1;
        }
        *len += (size_t)n;
        size_t i = 1; /* Skip the variable-length remaining length. */
        while (i < *len && i < 5 && (buf[i] & 0x80)) {
            i++;
        }
        i++;
        if (*len >= i + 7) { /* 2-byte name length, "MQTT", level */
            *level = buf[i + 6];
            return 0;
        }
    }
    return -1;
}

static void pump(conn *c, int up)
{
    int fds[2] = {c->client, up};
    char buf[16384];
    for (;;) {
        if (atomic_load(&c->p->stop)) {
            return;
        }
        if (c->generation < atomic_load(&c->p->freeze_generation)) {
            mqpx_sleep_ms(20); /* Frozen: hold both sockets open, move nothing. */
            continue;
        }
        struct pollfd pfd[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        if (poll(pfd, 2, 50) < 0) {
            return;
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = read(fds[i], buf, sizeof buf);
                if (n <= 0 || write(fds[1 - i], buf, (size_t)n) != n) {
                    return;
                }
            }
        }
    }
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    unsigned char head[64];
    size_t len;
    int level = 0;
    int up = -1;
    if (read_connect_head(c->p, c->client, head, sizeof head, &len, &level) == 0) {
        if (level == 5 && atomic_load(&c->p->refuse_v5)) {
            atomic_fetch_add(&c->p->refused, 1);
        } else if ((up = connect_upstream(c->p->upstream_port)) >= 0 &&
                   write(up, head, len) == (ssize_t)len) {
            pump(c, up);
        }
    }
    if (up >= 0) {
        close(up);
    }
    close(c->client);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    test_proxy *p = arg;
    while (!atomic_load(&p->stop)) {
        struct pollfd pfd = {p->listen_fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        int fd = accept(p->listen_fd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        conn *c = calloc(1, sizeof *c);
        if (!c || p->nconns == (int)(sizeof p->conns / sizeof p->conns[0])) {
            free(c);
            close(fd); /* A test that opens this many connections is broken anyway. */
            continue;
        }
        c->p = p;
        c->client = fd;
        c->generation = atomic_fetch_add(&p->generation, 1) + 1;
        atomic_fetch_add(&p->accepted, 1);
        if (pthread_create(&p->conns[p->nconns], NULL, conn_main, c) == 0) {
            p->nconns++;
        } else {
            close(fd);
            free(c);
        }
    }
    return NULL;
}

void proxy_start(test_proxy *p, int upstream_port)
{
    memset(p, 0, sizeof *p);
    p->upstream_port = upstream_port;
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(p->listen_fd, 16) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        fail_msg("proxy: %s", strerror(errno));
    }
    p->port = ntohs(a.sin_port);
    snprintf(p->url, sizeof p->url, "mqtt://127.0.0.1:%d", p->port);
    pthread_create(&p->thread, NULL, accept_main, p);
}

void proxy_freeze_open_connections(test_proxy *p)
{
    atomic_store(&p->freeze_generation, atomic_load(&p->generation) + 1);
}

void proxy_thaw(test_proxy *p)
{
    atomic_store(&p->freeze_generation, 0);
}

void proxy_stop(test_proxy *p)
{
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
    for (int i = 0; i < p->nconns; i++) {
        pthread_join(p->conns[i], NULL); /* Each notices the stop within one 50 ms poll. */
    }
    p->nconns = 0;
}
