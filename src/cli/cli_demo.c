/* mqplane demo: a private broker, a node and a live monitor, stopped together by pid. */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_opts.h"
#include "cli_proc.h"
#include "clock.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void run_ctl(const char *self, const char *url, const char *cmd, const char *dir)
{
    char err[300];
    snprintf(err, sizeof err, "%s/ctl.log", dir);
    int null = open("/dev/null", O_WRONLY);
    char *argv[] = {(char *)self, "ctl", "-b", (char *)url, (char *)cmd, NULL};
    pid_t pid = cli_spawn(argv, null, err, false);
    if (null >= 0) {
        close(null);
    }
    if (pid > 0) {
        waitpid(pid, NULL, 0);
    }
}

static int on_status(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    if (strstr(m->payload, "\"status\":\"running\"")) { /* The payload ends with a NUL. */
        atomic_store((atomic_bool *)user, true);
    }
    return 0;
}

/* Waits until the node's status says it runs, so the script below shows commands to a node
 * that can obey them, however long it took to start. */
static bool wait_running(const char *url, pid_t node, double timeout_s, double *waited)
{
    static atomic_bool running;
    mqp_client_opts o = {.url = url, .no_health = true};
    mqp_client *c = NULL;
    if (mqp_client_new(&c, &o) != MQP_OK ||
        mqp_client_subscribe(c, MQP_TOPIC_STATUS, 1, on_status, &running) != MQP_OK) {
        mqp_client_destroy(c);
        return false;
    }
    mqp_client_start(c);
    for (*waited = 0; !atomic_load(&running) && !interrupted && *waited < timeout_s;
         *waited += 0.05) {
        if (waitpid(node, NULL, WNOHANG) == node) {
            break;
        }
        mqpx_sleep_ms(50);
    }
    mqp_client_destroy(c);
    return atomic_load(&running);
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
        if (c == 's') {
            if (!cli_number_arg("demo", "--seconds", optarg, 0.1, 365 * 86400, &seconds)) {
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
    int port = mqpx_free_port();
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
    pid_t broker = cli_spawn(broker_argv, -1, brokererr, false);
    int rc = EXIT_OK;
    for (int i = 0; i < 100 && !mqpx_port_open(port); i++) {
        mqpx_sleep_ms(50);
    }
    pid_t node = 0, monitor = 0;
    if (!mqpx_port_open(port)) {
        fprintf(stderr, "mqplane demo: mosquitto did not start (is it installed? see %s)\n",
                brokererr);
        rc = EXIT_FAILED;
    } else {
        printf("demo: broker %s (pid %d), node log %s; Ctrl-C stops everything\n", url, (int)broker,
               nodelog);
        fflush(stdout);
        char *node_argv[] = {self, "run", "-b", url, "--metrics-interval", "5", NULL};
        node = cli_spawn(node_argv, -1, nodelog, false);
        char monerr[300];
        snprintf(monerr, sizeof monerr, "%s/monitor.log", dir);
        char *mon_argv[] = {self, "monitor", "-b", url, "all", NULL};
        monitor = cli_spawn(mon_argv, -1, monerr, false);
        /* The control plane at work, while the monitor shows it: seconds after the node runs. */
        static const struct {
            double at;
            const char *cmd;
        } script[] = {{3, "toggle_crop"}, {6, "pause"}, {8, "resume"}, {10, "stabilization_stats"}};
        size_t next = 0;
        double running_at = 0;
        if (!wait_running(url, node, 20, &running_at) && !interrupted) {
            fprintf(stderr, "demo: the node did not start running; see %s\n", nodelog);
        }
        for (double t = running_at; !interrupted && !(seconds > 0 && t >= seconds); t += 0.1) {
            if (next < sizeof script / sizeof script[0] && t - running_at >= script[next].at) {
                run_ctl(self, url, script[next++].cmd, dir);
            }
            if (waitpid(node, NULL, WNOHANG) == node) {
                fprintf(stderr, "demo: the node stopped; see %s\n", nodelog);
                node = 0;
                rc = EXIT_FAILED;
                break;
            }
            mqpx_sleep_ms(100);
        }
    }
    cli_stop(node, "node", 10); /* SIGTERM: status stopped, clean disconnects. */
    cli_stop(monitor, "monitor", 5);
    cli_stop(broker, "mosquitto", 5);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "demo: could not remove %s\n", dir);
    }
    printf("demo: stopped the node, the monitor and the broker\n");
    return rc;
}
