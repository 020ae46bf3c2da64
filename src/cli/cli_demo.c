/* mqplane demo: a private broker, a node and a live monitor, stopped together by pid. */
#define _GNU_SOURCE
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char demo_usage[] =
    "usage: mqplane demo [--seconds N]\n"
    "\n"
    "Starts a private mosquitto on a free loopback port, an inference node on the synthetic\n"
    "scene and a live monitor, and sends the node a few commands along the way. Ctrl-C (or\n"
    "--seconds N) stops everything it started, by pid. Needs mosquitto on the PATH.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int free_port(void)
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
        close(fd);
    }
    return port;
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* Starts argv[0] with stdout to out_fd (or inherited when -1) and stderr to err_path. */
static pid_t spawn(char *const argv[], int out_fd, const char *err_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err >= 0) {
            dup2(err, 2);
        }
        if (out_fd >= 0) {
            dup2(out_fd, 1);
        }
        signal(SIGINT, SIG_IGN); /* The demo decides the order of shutdown, not the terminal. */
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void stop_child(pid_t pid, const char *what, int wait_s)
{
    if (pid <= 0) {
        return;
    }
    kill(pid, SIGTERM);
    for (int i = 0; i < wait_s * 20; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            return;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    fprintf(stderr, "demo: %s (pid %d) did not stop; killing it\n", what, (int)pid);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void run_ctl(const char *self, const char *url, const char *cmd, const char *dir)
{
    char err[300];
    snprintf(err, sizeof err, "%s/ctl.log", dir);
    int null = open("/dev/null", O_WRONLY);
    char *argv[] = {(char *)self, "ctl", "-b", (char *)url, (char *)cmd, NULL};
    pid_t pid = spawn(argv, null, err);
    if (null >= 0) {
        close(null);
    }
    if (pid > 0) {
        waitpid(pid, NULL, 0);
    }
}

int cli_demo(int argc, char **argv)
{
    static const struct option longopts[] = {{"seconds", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    double seconds = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
        char *end;
        if (c == 's') {
            seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(seconds > 0)) {
                fprintf(stderr, "mqplane demo: --seconds '%s' is not a positive number\n", optarg);
                return EXIT_USAGE;
            }
        } else {
            fputs(demo_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? EXIT_OK : EXIT_USAGE;
        }
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "mqplane demo: cannot find its own executable: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    self[n] = '\0';
    char dir[] = "/tmp/mqplane-demo-XXXXXX";
    int port = free_port();
    if (!mkdtemp(dir) || port < 0) {
        fprintf(stderr, "mqplane demo: cannot set up: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    char conf[300], log[300], nodelog[300], url[64], cmd[400];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    snprintf(nodelog, sizeof nodelog, "%s/node.log", dir);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    FILE *f = fopen(conf, "w");
    if (!f) {
        fprintf(stderr, "mqplane demo: cannot write %s\n", conf);
        return EXIT_FAILED;
    }
    fprintf(f,
            "listener %d 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
            "log_dest file %s\n%s",
            port, log, geteuid() == 0 ? "user root\n" : "");
    fclose(f);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char *broker_argv[] = {"mosquitto", "-c", conf, NULL};
    char brokererr[300];
    snprintf(brokererr, sizeof brokererr, "%s/mosquitto.stderr", dir);
    pid_t broker = spawn(broker_argv, -1, brokererr);
    int rc = EXIT_OK;
    for (int i = 0; i < 100 && !port_open(port); i++) {
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    pid_t node = 0, monitor = 0;
    if (!port_open(port)) {
        fprintf(stderr, "mqplane demo: mosquitto did not start (is it installed? see %s)\n",
                brokererr);
        rc = EXIT_FAILED;
    } else {
        printf("demo: broker %s (pid %d), node log %s; Ctrl-C stops everything\n", url, (int)broker,
               nodelog);
        fflush(stdout);
        char *node_argv[] = {self, "run", "-b", url, "--metrics-interval", "5", NULL};
        node = spawn(node_argv, -1, nodelog);
        char monerr[300];
        snprintf(monerr, sizeof monerr, "%s/monitor.log", dir);
        char *mon_argv[] = {self, "monitor", "-b", url, "all", NULL};
        monitor = spawn(mon_argv, -1, monerr);
        /* The control plane at work, while the monitor shows it. */
        static const struct {
            double at;
            const char *cmd;
        } script[] = {{4, "toggle_crop"}, {7, "pause"}, {9, "resume"}, {11, "stabilization_stats"}};
        size_t next = 0;
        for (double t = 0; !interrupted && !(seconds > 0 && t >= seconds); t += 0.1) {
            if (next < sizeof script / sizeof script[0] && t >= script[next].at) {
                run_ctl(self, url, script[next++].cmd, dir);
            }
            if (waitpid(node, NULL, WNOHANG) == node) {
                fprintf(stderr, "demo: the node stopped; see %s\n", nodelog);
                node = 0;
                rc = EXIT_FAILED;
                break;
            }
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
    }
    stop_child(node, "node", 10); /* SIGTERM: status stopped, clean disconnects. */
    stop_child(monitor, "monitor", 5);
    stop_child(broker, "mosquitto", 5);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "demo: could not remove %s\n", dir);
    }
    printf("demo: stopped the node, the monitor and the broker\n");
    return rc;
}
