#define _POSIX_C_SOURCE 200809L
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

int mqpx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return port;
}

bool mqpx_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

bool mqpx_server_gone(const struct sockaddr *addr, socklen_t len, int wait_ms)
{
    int fd = socket(addr->sa_family, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    bool gone = false;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0) {
        int rc = connect(fd, addr, len);
        int err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            socklen_t elen = sizeof err;
            err =
                poll(&p, 1, wait_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0
                    ? err
                    : ETIMEDOUT;
        }
        if (err == ECONNREFUSED) {
            gone = true;
        } else if (err == 0) {
            /* Accepted: a server on its way down closes it at once; a live one waits for the
             * CONNECT that never comes. */
            struct pollfd p = {fd, POLLIN, 0};
            char byte;
            gone = poll(&p, 1, wait_ms) == 1 && recv(fd, &byte, 1, 0) <= 0;
        }
    }
    close(fd);
    return gone;
}
