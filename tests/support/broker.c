#define _GNU_SOURCE
#include "broker.h"

#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static int free_port(void)
{
    int port = mqpx_free_port();
    if (port < 0) {
        fail_msg("cannot find a free port: %s", strerror(errno));
    }
    return port;
}

/* Whether the log, from byte `from` on, holds a line with s. */
static bool log_has_since(const test_broker *b, long from, const char *s)
{
    FILE *f = fopen(b->log, "r");
    bool found = false;
    char line[1024];
    if (f && fseek(f, from, SEEK_SET) == 0) {
        while (!found && fgets(line, sizeof line, f)) {
            found = strstr(line, s) != NULL;
        }
    }
    if (f) {
        fclose(f);
    }
    return found;
}

static long log_size(const test_broker *b)
{
    struct stat st;
    return stat(b->log, &st) == 0 ? (long)st.st_size : 0;
}

/* Starts mosquitto and waits until it runs: its own log says so (mosquitto writes "running"
 * once every listener is bound) and wait_port answers. Something else answering on the port
 * is not enough: when a test running beside this one took the port between our choice and the
 * bind, our mosquitto exits, and theirs would answer. False when ours exited (the caller picks
 * another port); fails the test on a timeout. */
static bool try_launch(test_broker *b, int wait_port)
{
    long from = log_size(b);
    pid_t pid = fork();
    if (pid < 0) {
        fail_msg("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("mosquitto", "mosquitto", "-c", b->conf, (char *)NULL);
        _exit(127);
    }
    b->pid = pid;
    int64_t until = mqpx_mono_ms() + 5000;
    while (!log_has_since(b, from, " running") || !mqpx_port_open(wait_port)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            b->pid = 0;
            return false;
        }
        if (mqpx_mono_ms() > until) {
            fail_msg("mosquitto did not listen on port %d within 5 s", wait_port);
        }
        mqpx_sleep_ms(5);
    }
    return true;
}

static void launch(test_broker *b, int wait_port)
{
    if (!try_launch(b, wait_port)) {
        fail_msg("mosquitto exited at start; see %s", b->log);
    }
}

static void write_conf(test_broker *b, const char *listeners, const char *extra_conf)
{
    FILE *f = fopen(b->conf, "w");
    if (!f) {
        fail_msg("cannot write %s", b->conf);
    }
    fprintf(f,
            "%s\n"
            "allow_anonymous true\n"
            "set_tcp_nodelay true\n"
            "log_dest file %s\n"
            "log_type all\n"
            "persistence true\n"
            "persistence_location %s/\n"
            "autosave_interval 1\n"
            "autosave_on_changes true\n"
            "%s%s\n",
            listeners, b->log, b->dir, geteuid() == 0 ? "user root\n" : "",
            extra_conf ? extra_conf : "");
    fclose(f);
}

void broker_start(test_broker *b, const char *extra_conf)
{
    memset(b, 0, sizeof *b);
    snprintf(b->dir, sizeof b->dir, "/tmp/mqp-broker-XXXXXX");
    if (!mkdtemp(b->dir)) {
        fail_msg("mkdtemp: %s", strerror(errno));
    }
    snprintf(b->conf, sizeof b->conf, "%s/mosquitto.conf", b->dir);
    snprintf(b->log, sizeof b->log, "%s/mosquitto.log", b->dir);
    /* Tests run in parallel: another may take the port between our choice and the bind. */
    for (int attempt = 0; attempt < 5; attempt++) {
        b->port = free_port();
        snprintf(b->url, sizeof b->url, "mqtt://127.0.0.1:%d", b->port);
        char listener[64];
        snprintf(listener, sizeof listener, "listener %d 127.0.0.1", b->port);
        write_conf(b, listener, extra_conf);
        if (try_launch(b, b->port)) {
            return;
        }
    }
    fail_msg("mosquitto would not start; see %s", b->log);
}

int broker_free_port(void)
{
    return free_port();
}

void broker_restart_with(test_broker *b, const char *listeners, int wait_port)
{
    write_conf(b, listeners, NULL);
    launch(b, wait_port);
}

static void signal_and_wait(test_broker *b, int sig)
{
    if (b->pid <= 0) {
        return;
    }
    kill(b->pid, sig);
    /* Bounded: a broker that does not exit (or is slow saving its persistence) must not hang
     * the test silently. */
    int64_t give_up = mqpx_mono_ms() + 10000;
    int status;
    while (waitpid(b->pid, &status, WNOHANG) == 0) {
        if (mqpx_mono_ms() > give_up) {
            fprintf(stderr, "  mosquitto (pid %d) still running 10 s after signal %d; killing it\n",
                    (int)b->pid, sig);
            kill(b->pid, SIGKILL);
            waitpid(b->pid, &status, 0);
            break;
        }
        mqpx_sleep_ms(5);
    }
    b->pid = 0;
    /* The port is released when the process is gone; wait until it really is. */
    int64_t until = mqpx_mono_ms() + 2000;
    while (mqpx_port_open(b->port) && mqpx_mono_ms() < until) {
        mqpx_sleep_ms(5);
    }
}

void broker_stop(test_broker *b)
{
    signal_and_wait(b, SIGTERM);
}

void broker_kill(test_broker *b)
{
    signal_and_wait(b, SIGKILL);
}

void broker_restart(test_broker *b)
{
    launch(b, b->port);
}

void broker_cleanup(test_broker *b)
{
    broker_stop(b);
    if (b->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", b->dir);
        }
        b->dir[0] = '\0';
    }
}

bool broker_log_contains(const test_broker *b, const char *s)
{
    FILE *f = fopen(b->log, "r");
    if (!f) {
        return false;
    }
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        found = strstr(line, s) != NULL;
    }
    fclose(f);
    return found;
}
