/* mqplane services: the broker of a profile (deploy/mosquitto/dev.conf or prod.conf), run
 * directly with a pid file and a log in a directory of its own, or by docker compose. */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_opts.h"
#include "cli_proc.h"
#include "cli_services.h"
#include "clock.h"
#include "net.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char services_usage[] =
    "usage: mqplane services up|down|status|logs [options]\n"
    "\n"
    "The broker the node needs, with the shipped configuration (deploy/mosquitto/):\n"
    "  up       start mosquitto; waits until every listener accepts connections\n"
    "  down     stop it (SIGTERM, SIGKILL after 10 s); the data directory is kept\n"
    "  status   what runs, where, and whether it accepts connections\n"
    "  logs     print the broker's log and follow it (Ctrl-C stops following)\n"
    "\n"
    "  -p, --profile dev|prod  dev (default): anonymous MQTT on loopback, websockets;\n"
    "                          prod: passwords and ACL everywhere, MQTT over TLS, websockets\n"
    "                          over TLS, plain MQTT on loopback; passwords and a development\n"
    "                          CA are made in DIR the first time (replace them with yours)\n"
    "  -P, --port P            MQTT port (dev 1883, prod 8883 with TLS)\n"
    "      --ws-port P         websockets port, where the dashboard is served too (default\n"
    "                          9001; its files: $MQPLANE_WEB_DIR, else those installed or built)\n"
    "      --local-port P      prod's plain loopback port (default 1883)\n"
    "      --mutual-tls        prod: also require a client certificate signed by the CA\n"
    "  -d, --dir DIR           state: rendered config, pid file, log, data, secrets (default\n"
    "                          $MQPLANE_SERVICES_DIR, else $XDG_STATE_HOME/mqplane/services,\n"
    "                          else ~/.local/state/mqplane/services)\n"
    "      --engine E          auto (default: mosquitto if installed, else docker compose),\n"
    "                          direct, or docker\n"
    "      --deploy DIR        the shipped deploy/ folder (default: found next to mqplane)\n"
    "      --bridge URL        a site broker: bridge it to the central broker at URL\n"
    "                          (mqtt[s]://[user:password@]host[:port]; deploy/mosquitto/\n"
    "                          bridge.conf says what goes up and what comes down)\n"
    "      --site NAME         the site's name on the central broker (default: host name)\n"
    "      --bridge-ca FILE    the central broker's CA, for mqtts:// (default: the system's)\n"
    "  -n, --lines N           logs: lines of history first (default 50)\n"
    "      --no-follow         logs: print and exit\n"
    "  -h, --help              this text\n"
    "\n"
    "down, status and logs act on what up started from DIR; they need only --dir.\n"
    "exit status: 0 success (status: running and accepting connections); 1 the broker could\n"
    "not start or stop (port in use, bad configuration); 3 status: not running; 64 bad\n"
    "arguments.\n";

int svc_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mqplane services: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

/* DIR/name. DIR is at most SVC_DIR_MAX long (checked on the command line), so it fits. */
void svc_path(char *out, const svc *s, const char *name)
{
    if (snprintf(out, PATH_MAX, "%s/%s", s->dir, name) >= PATH_MAX) {
        out[0] = '\0';
    }
}

bool svc_is_prod(const svc *s)
{
    return strcmp(s->profile, "prod") == 0;
}

bool svc_is_docker(const svc *s)
{
    return strcmp(s->engine, "docker") == 0;
}

/* mkdir -p, mode 0700: DIR holds secrets. */
static bool make_dirs(const char *dir)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
                return false;
            }
            *p = '/';
        }
    }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST;
}

static bool default_dir(char *out)
{
    const char *env = getenv("MQPLANE_SERVICES_DIR");
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (env && *env) {
        snprintf(out, PATH_MAX, "%s", env);
    } else if (xdg && *xdg) {
        snprintf(out, PATH_MAX, "%s/mqplane/services", xdg);
    } else if (home && *home) {
        snprintf(out, PATH_MAX, "%s/.local/state/mqplane/services", home);
    } else {
        return false;
    }
    return true;
}

/* ../share/mqplane/SUB from the executable's directory: an installed tree that was moved (or
 * installed with DESTDIR or another --prefix) still finds its own copy. */
const char *svc_beside_executable(const char *sub, char *buf, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (!slash) {
        return NULL;
    }
    *slash = '\0';
    return snprintf(buf, size, "%s/../share/mqplane/%s", exe, sub) < (int)size ? buf : NULL;
}

/* The deploy/ folder: --deploy, $MQPLANE_DEPLOY_DIR, the copy installed beside the executable,
 * the configured install location, the source tree. */
static bool find_deploy(svc *s)
{
    char beside[PATH_MAX];
    const char *candidates[] = {s->deploy[0] ? s->deploy : NULL, getenv("MQPLANE_DEPLOY_DIR"),
                                svc_beside_executable("deploy", beside, sizeof beside),
                                MQP_DEPLOY_INSTALLED, MQP_DEPLOY_SOURCE};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char conf[PATH_MAX + 32];
        if (!candidates[i] || !*candidates[i]) {
            continue;
        }
        snprintf(conf, sizeof conf, "%s/mosquitto/dev.conf", candidates[i]);
        if (svc_exists(conf)) {
            if (candidates[i] != s->deploy) { /* --deploy is already there */
                snprintf(s->deploy, sizeof s->deploy, "%s", candidates[i]);
            }
            return true;
        }
        if (i == 0) {
            return false; /* An explicit --deploy that is not one is an error, not a hint. */
        }
    }
    return false;
}

/* prog's full path into out (PATH_MAX bytes, may be NULL), from the PATH and then the sbin
 * folders: Debian puts mosquitto in /usr/sbin, which a normal user's PATH does not hold. */
static bool find_program(const char *prog, char *out)
{
    const char *path = getenv("PATH");
    char dirs[PATH_MAX * 2];
    snprintf(dirs, sizeof dirs, "%s:/usr/local/sbin:/usr/sbin:/sbin", path ? path : "");
    for (const char *p = dirs; *p;) {
        size_t n = strcspn(p, ":");
        char full[PATH_MAX];
        if (n && snprintf(full, sizeof full, "%.*s/%s", (int)n, p, prog) < (int)sizeof full &&
            access(full, X_OK) == 0) {
            if (out) {
                snprintf(out, PATH_MAX, "%s", full);
            }
            return true;
        }
        p += n + (p[n] == ':');
    }
    return false;
}

/* Runs argv with its output on ours (or silenced); its exit status, or -1. */
int svc_run(char *const argv[], bool quiet)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (quiet) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "mqplane services: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool docker_usable(void)
{
    char *version[] = {"docker", "compose", "version", NULL};
    char *info[] = {"docker", "info", NULL};
    return find_program("docker", NULL) && svc_run(version, true) == 0 && svc_run(info, true) == 0;
}

static int choose_engine(svc *s)
{
    if (strcmp(s->engine, "auto") == 0) {
        if (find_program("mosquitto", s->mosquitto)) {
            strcpy(s->engine, "direct");
        } else if (docker_usable()) {
            strcpy(s->engine, "docker");
        } else {
            return svc_fail(EXIT_FAILED, "neither mosquitto nor a Docker engine is available: "
                                         "install mosquitto (apt-get install mosquitto) or Docker");
        }
    } else if (strcmp(s->engine, "direct") == 0 && !find_program("mosquitto", s->mosquitto)) {
        return svc_fail(EXIT_FAILED,
                        "mosquitto is not installed (not on the PATH nor in /usr/sbin): "
                        "apt-get install mosquitto");
    } else if (svc_is_docker(s) && !docker_usable()) {
        return svc_fail(EXIT_FAILED,
                        "docker compose cannot reach a Docker engine (docker info fails)");
    }
    return EXIT_OK;
}

/* A pid from the pid file is ours only while it is a mosquitto: pids are reused. */
static bool is_mosquitto(pid_t pid)
{
    char comm[32];
    return cli_proc_read(pid, "comm", comm, sizeof comm) && strncmp(comm, "mosquitto", 9) == 0 &&
           cli_pid_alive(pid);
}

/* Whether the broker up started from this state still runs: a container has no pid here, so
 * it runs while its broker answers; a direct broker while its pid is a mosquitto. */
static bool broker_runs(const svc *s, pid_t pid)
{
    return svc_is_docker(s) ? mqpx_port_open(s->port) : is_mosquitto(pid);
}

/* "mosquitto (prod) runs directly, pid 1234", without a newline. */
static void print_runs(const svc *s, pid_t pid)
{
    printf("mosquitto (%s) runs %s", s->profile, svc_is_docker(s) ? "in Docker" : "directly");
    if (pid > 0) {
        printf(", pid %d", (int)pid);
    }
}

/* ---- listeners ---- */

size_t svc_listeners(const svc *s, svc_listener out[3])
{
    size_t n = 0;
    if (svc_is_prod(s)) {
        out[n++] = (svc_listener){s->port, NULL, "MQTT over TLS"};
        out[n++] = (svc_listener){s->local_port, "127.0.0.1", "plain MQTT (loopback)"};
    } else {
        out[n++] = (svc_listener){s->port, "127.0.0.1", "MQTT (loopback)"};
    }
    /* mosquitto binds websockets on every interface, whatever address is given. */
    out[n++] = (svc_listener){s->ws_port, NULL, "websockets"};
    return n;
}

static int check_ports_free(const svc *s)
{
    svc_listener l[3];
    size_t n = svc_listeners(s, l);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (l[i].port == l[j].port) {
                return svc_fail(EXIT_USAGE, "the %s and %s listeners both want port %d", l[j].what,
                                l[i].what, l[i].port);
            }
        }
        int err = cli_port_bindable(l[i].addr, l[i].port);
        if (err == 0) {
            continue;
        }
        char owner[128];
        if (err == EADDRINUSE && cli_port_owner(l[i].port, owner, sizeof owner)) {
            /* Debian's mosquitto package starts a broker of its own on 1883. */
            bool system = strncmp(owner, "mosquitto", 9) == 0;
            return svc_fail(EXIT_FAILED,
                            "port %d, for %s, is already in use by %s; stop it%s, or choose "
                            "another port (--port, --ws-port%s)",
                            l[i].port, l[i].what, owner,
                            system ? " (the system's broker? systemctl stop mosquitto)" : "",
                            svc_is_prod(s) ? ", --local-port" : "");
        }
        return svc_fail(EXIT_FAILED, "port %d, for %s, cannot be used: %s%s", l[i].port, l[i].what,
                        strerror(err),
                        err == EADDRINUSE ? " (another program listens there; `ss -ltnp` names it)"
                                          : "");
    }
    return EXIT_OK;
}

static bool all_listening(const svc *s, int *missing)
{
    svc_listener l[3];
    size_t n = svc_listeners(s, l);
    for (size_t i = 0; i < n; i++) {
        if (!mqpx_port_open(l[i].port)) {
            *missing = l[i].port;
            return false;
        }
    }
    return true;
}

/* ---- printing ---- */

static void print_tail(const char *file, int n)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        return;
    }
    char lines[16][512];
    int count = 0;
    n = n > 16 ? 16 : n;
    while (fgets(lines[count % n], sizeof lines[0], f)) {
        count++;
    }
    fclose(f);
    for (int i = count > n ? count - n : 0; i < count; i++) {
        fprintf(stderr, "  %s: %s", file, lines[i % n]);
    }
}

static void print_endpoints(const svc *s)
{
    if (svc_is_prod(s)) {
        printf("  mqtts://localhost:%-6d  MQTT over TLS%s, passwords and ACL\n", s->port,
               s->mutual_tls ? " with client certificates" : "");
        printf("  wss://localhost:%-8d  MQTT over websockets and TLS, passwords and ACL\n",
               s->ws_port);
        printf("  mqtt://127.0.0.1:%-7d  plain MQTT, this machine only, passwords and ACL\n",
               s->local_port);
        printf("  CA: %s/certs/ca.crt   passwords: %s/passwords.env\n", s->dir, s->dir);
        printf("  configs: %s/{node,operator,monitor}.yaml\n", s->dir);
    } else {
        printf("  mqtt://127.0.0.1:%-7d  MQTT, anonymous, this machine only\n", s->port);
        printf("  ws://127.0.0.1:%-9d  MQTT over websockets, anonymous\n", s->ws_port);
    }
    char page[PATH_MAX];
    svc_path(page, s, "www/index.html");
    if (svc_exists(page) && svc_is_prod(s) && !svc_is_docker(s) && svc_web_tls_h2(s->ws_port)) {
        /* The page itself still works, opened from disk: it then talks wss:// like any client. */
        printf("  the dashboard: this mosquitto answers browsers in HTTP/2 over TLS and cannot\n"
               "    serve files that way (mosquitto issue 2251; --engine docker's image can):\n"
               "    open file://%s/www/index.html?broker=wss://HOST:%d/ instead\n",
               s->dir, s->ws_port);
    } else if (svc_exists(page)) {
        printf("  %s://localhost:%-*d  the dashboard, served by the broker%s\n",
               svc_is_prod(s) ? "https" : "http", svc_is_prod(s) ? 6 : 7, s->ws_port,
               svc_is_prod(s) ? " (log in as operator or monitor)" : "");
    } else {
        printf("  (no dashboard: its files are built with npm, see docs/DASHBOARD.md)\n");
    }
    printf("  log: %s/mosquitto.log (mqplane services logs --dir %s)\n", s->dir, s->dir);
}

static void print_next_steps(const svc *s)
{
    if (svc_is_prod(s)) {
        printf("next: set -a; . %s/passwords.env; set +a\n"
               "      mqplane run -c %s/node.yaml\n"
               "      mqplane ctl -c %s/operator.yaml status\n",
               s->dir, s->dir, s->dir);
    } else {
        printf("next: mqplane run -b mqtt://127.0.0.1:%d\n"
               "      mqplane monitor -b mqtt://127.0.0.1:%d all\n",
               s->port, s->port);
    }
}

/* ---- docker ---- */

static int docker_compose(const svc *s, const char *const verb[], bool quiet)
{
    char file[PATH_MAX + 48];
    snprintf(file, sizeof file, "%s/docker-compose.services.yml", s->deploy);
    /* The compose file mounts DIR, which holds the rendered configuration (host network:
     * the ports are the configuration's). */
    setenv("MQPLANE_SERVICES_DIR", s->dir, 1);
    char *argv[16] = {"docker", "compose", "-f", file, "-p", SVC_DOCKER_PROJECT};
    size_t n = 6;
    for (size_t i = 0; verb[i] && n + 1 < sizeof argv / sizeof argv[0]; i++) {
        argv[n++] = (char *)verb[i];
    }
    argv[n] = NULL;
    return svc_run(argv, quiet);
}

/* ---- the four verbs ---- */

static int wait_ready(const svc *s, pid_t pid)
{
    int missing = s->port;
    char log[PATH_MAX], err[PATH_MAX];
    svc_path(log, s, "mosquitto.log");
    svc_path(err, s, "mosquitto.stderr");
    for (int i = 0; i < 200; i++) { /* 10 s */
        if (all_listening(s, &missing)) {
            return EXIT_OK;
        }
        if (pid > 0 && !cli_pid_alive(pid)) {
            fprintf(stderr, "mqplane services: mosquitto exited during start-up:\n");
            print_tail(err, 8);
            print_tail(log, 8);
            if (svc_disk_db_unreadable(err)) {
                fprintf(stderr,
                        "mqplane services: its database %s/data/mosquitto.db cannot be read "
                        "(damaged, perhaps by a full disk): move it aside and start again, "
                        "with no sessions and no retained messages\n",
                        s->dir);
            }
            svc_state_clear(s);
            return EXIT_FAILED;
        }
        mqpx_sleep_ms(50);
    }
    fprintf(stderr,
            "mqplane services: mosquitto started but port %d does not accept connections "
            "after 10 s:\n",
            missing);
    print_tail(log, 8);
    return EXIT_FAILED;
}

static int services_up(svc *s)
{
    svc running = *s;
    pid_t pid;
    if (svc_state_read(&running, &pid) && broker_runs(&running, pid)) {
        if (strcmp(running.profile, s->profile) != 0 || running.port != s->port) {
            return svc_fail(EXIT_FAILED,
                            "a %s broker on port %d already runs from %s; stop it first "
                            "(mqplane services down --dir %s)",
                            running.profile, running.port, s->dir, s->dir);
        }
        printf("mosquitto (%s) already runs from %s", running.profile, s->dir);
        printf(pid > 0 ? ", pid %d\n" : "\n", (int)pid);
        print_endpoints(&running);
        return EXIT_OK;
    }
    int rc = choose_engine(s);
    char data[PATH_MAX];
    svc_path(data, s, "data");
    if (rc != EXIT_OK || (rc = check_ports_free(s)) != EXIT_OK) {
        return rc;
    }
    if (!make_dirs(data)) {
        return svc_fail(EXIT_FAILED, "cannot create %s: %s", data, strerror(errno));
    }
    char why[PATH_MAX + 512];
    if (!svc_disk_check(data, why, sizeof why)) {
        /* The broker still starts: a node needs it more than it needs it to remember. */
        fprintf(stderr, "mqplane services: warning: %s\n", why);
    }
    bool docker = svc_is_docker(s);
    if ((svc_is_prod(s) && (rc = svc_prepare_prod(s)) != EXIT_OK) ||
        (s->web[0] && (rc = svc_web_render(s)) != EXIT_OK) ||
        (rc = svc_render(s, docker ? SVC_DOCKER_ROOT : s->dir)) != EXIT_OK) {
        return rc;
    }
    pid = 0;
    if (docker) {
        const char *verb[] = {"up", "-d", NULL};
        if (docker_compose(s, verb, false) != 0) {
            return svc_fail(EXIT_FAILED, "docker compose up failed");
        }
    } else {
        char conf[PATH_MAX], err[PATH_MAX];
        svc_path(conf, s, "mosquitto.conf");
        svc_path(err, s, "mosquitto.stderr");
        char *argv[] = {s->mosquitto, "-c", conf, NULL};
        pid = cli_spawn(argv, -1, err, true);
        if (pid < 0) {
            return svc_fail(EXIT_FAILED, "cannot start mosquitto: %s", strerror(errno));
        }
    }
    if (!svc_state_write(s, pid)) {
        cli_stop(pid, "mosquitto", 10);
        return svc_fail(EXIT_FAILED, "cannot write the state in %s: %s", s->dir, strerror(errno));
    }
    if ((rc = wait_ready(s, pid)) != EXIT_OK) {
        return rc;
    }
    print_runs(s, pid);
    printf("\n");
    print_endpoints(s);
    print_next_steps(s);
    return EXIT_OK;
}

static int services_down(svc *s)
{
    pid_t pid;
    if (!svc_state_read(s, &pid)) {
        printf("no broker was started from %s\n", s->dir);
        return EXIT_OK;
    }
    if (svc_is_docker(s)) {
        const char *verb[] = {"down", NULL};
        if (docker_compose(s, verb, false) != 0) {
            return svc_fail(EXIT_FAILED, "docker compose down failed");
        }
        printf("stopped the %s broker (docker compose down); data kept in %s/data\n", s->profile,
               s->dir);
    } else if (is_mosquitto(pid)) {
        cli_stop(pid, "mosquitto", 10);
        if (cli_pid_alive(pid)) {
            return svc_fail(EXIT_FAILED, "mosquitto (pid %d) is still running", (int)pid);
        }
        printf("stopped mosquitto (%s, pid %d); data kept in %s/data\n", s->profile, (int)pid,
               s->dir);
    } else {
        printf("mosquitto (%s) was not running (pid %d is gone)\n", s->profile, (int)pid);
    }
    svc_state_clear(s);
    return EXIT_OK;
}

/* Whether the broker keeps its data: what its log says of its last save, and the disk now. */
static void print_data(const svc *s)
{
    char data[PATH_MAX], log[PATH_MAX], said[1024], why[PATH_MAX + 512];
    svc_path(data, s, "data");
    svc_path(log, s, "mosquitto.log");
    bool failed = svc_disk_log_error(log, said, sizeof said);
    bool ok = svc_disk_check(data, why, sizeof why);
    if (failed) {
        printf("  WARNING: the broker's last save failed (\"%s\"): what it holds is lost when "
               "it restarts\n",
               said);
    }
    if (!ok) {
        printf("  WARNING: %s\n", why);
    } else if (!failed) {
        printf("  data: %s, saved as it changes\n", data);
    }
}

static int services_status(svc *s)
{
    pid_t pid;
    if (!svc_state_read(s, &pid)) {
        printf("not running: no broker was started from %s (mqplane services up)\n", s->dir);
        return SVC_NOT_RUNNING;
    }
    if (svc_is_docker(s)) {
        const char *verb[] = {"ps", NULL};
        docker_compose(s, verb, false);
    }
    if (!broker_runs(s, pid)) {
        char log[PATH_MAX];
        svc_path(log, s, "mosquitto.log");
        if (svc_is_docker(s)) {
            printf("not running: the %s broker's container does not answer on port %d; its "
                   "last words:\n",
                   s->profile, s->port);
        } else {
            printf("not running: mosquitto (%s, pid %d) has exited; its last words:\n", s->profile,
                   (int)pid);
        }
        fflush(stdout);
        print_tail(log, 5);
        return SVC_NOT_RUNNING;
    }
    int missing = 0;
    bool ready = all_listening(s, &missing);
    print_runs(s, pid);
    printf(ready ? ", accepting connections\n" : ", NOT accepting connections on port %d\n",
           missing);
    if (ready) {
        svc_print_broker_figures(s);
    }
    print_endpoints(s);
    print_data(s);
    return ready ? EXIT_OK : EXIT_FAILED;
}

static int services_logs(svc *s)
{
    char log[PATH_MAX], lines[16];
    svc_path(log, s, "mosquitto.log");
    if (!svc_exists(log)) {
        return svc_fail(EXIT_FAILED, "no log at %s (mqplane services up writes it)", log);
    }
    snprintf(lines, sizeof lines, "%d", s->lines);
    fflush(stdout);
    char *argv[] = {"tail", "-n", lines, s->follow ? "-F" : log, s->follow ? log : NULL, NULL};
    execvp("tail", argv);
    return svc_fail(EXIT_FAILED, "cannot run tail: %s", strerror(errno));
}

static int check_services(svc *s, const char *word, const char **verb);

/* Reads the command line into s and the verb; CLI_GO, or the exit status of a bad argument. */
enum {
    OPT_WS = 256,
    OPT_LOCAL,
    OPT_MTLS,
    OPT_ENGINE,
    OPT_DEPLOY,
    OPT_NOFOLLOW,
    OPT_BRIDGE,
    OPT_SITE,
    OPT_BRIDGE_CA
};
static const struct option services_options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"port", required_argument, NULL, 'P'},
    {"ws-port", required_argument, NULL, OPT_WS},
    {"local-port", required_argument, NULL, OPT_LOCAL},
    {"mutual-tls", no_argument, NULL, OPT_MTLS},
    {"dir", required_argument, NULL, 'd'},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"deploy", required_argument, NULL, OPT_DEPLOY},
    {"lines", required_argument, NULL, 'n'},
    {"no-follow", no_argument, NULL, OPT_NOFOLLOW},
    {"bridge", required_argument, NULL, OPT_BRIDGE},
    {"site", required_argument, NULL, OPT_SITE},
    {"bridge-ca", required_argument, NULL, OPT_BRIDGE_CA},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_services(int argc, char **argv, svc *s, const char **verb)
{
    *s = (svc){.profile = "dev",
               .engine = "auto",
               .ws_port = 9001,
               .local_port = MQP_DEFAULT_PORT,
               .lines = 50,
               .follow = true};
    int port = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:P:d:n:h", services_options, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (strcmp(optarg, "dev") != 0 && strcmp(optarg, "prod") != 0) {
                return svc_fail(EXIT_USAGE, "--profile '%s': expected dev or prod", optarg);
            }
            snprintf(s->profile, sizeof s->profile, "%s", optarg);
            break;
        case 'P':
        case OPT_WS:
        case OPT_LOCAL:
            if (!cli_int_arg_int("services",
                                 c == 'P'      ? "--port"
                                 : c == OPT_WS ? "--ws-port"
                                               : "--local-port",
                                 optarg, 1, 65535,
                                 c == 'P'      ? &port
                                 : c == OPT_WS ? &s->ws_port
                                               : &s->local_port)) {
                return EXIT_USAGE;
            }
            break;
        case OPT_MTLS:
            s->mutual_tls = true;
            break;
        case 'd':
            snprintf(s->dir, sizeof s->dir, "%s", optarg);
            break;
        case OPT_ENGINE:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "direct") != 0 &&
                strcmp(optarg, "docker") != 0) {
                return svc_fail(EXIT_USAGE, "--engine '%s': expected auto, direct or docker",
                                optarg);
            }
            snprintf(s->engine, sizeof s->engine, "%s", optarg);
            break;
        case OPT_DEPLOY:
            snprintf(s->deploy, sizeof s->deploy, "%s", optarg);
            break;
        case 'n':
            if (!cli_int_arg_int("services", "--lines", optarg, 0, 1000000, &s->lines)) {
                return EXIT_USAGE;
            }
            break;
        case OPT_NOFOLLOW:
            s->follow = false;
            break;
        case OPT_BRIDGE:
        case OPT_SITE:
        case OPT_BRIDGE_CA: {
            char *to = c == OPT_BRIDGE ? s->bridge : c == OPT_SITE ? s->site : s->bridge_ca;
            size_t cap = c == OPT_BRIDGE ? sizeof s->bridge
                         : c == OPT_SITE ? sizeof s->site
                                         : sizeof s->bridge_ca;
            if (snprintf(to, cap, "%s", optarg) >= (int)cap) {
                return svc_fail(EXIT_USAGE, "--%s: too long",
                                c == OPT_BRIDGE ? "bridge"
                                : c == OPT_SITE ? "site"
                                                : "bridge-ca");
            }
            break;
        }
        case 'h':
            fputs(services_usage, stdout);
            return EXIT_OK;
        default:
            fputs(services_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "mqplane services: expected one of up, down, status, logs\n\n%s",
                services_usage);
        return EXIT_USAGE;
    }
    s->port = port ? port : svc_is_prod(s) ? MQP_DEFAULT_TLS_PORT : MQP_DEFAULT_PORT;
    return check_services(s, argv[optind], verb);
}

/* What the options mean together: the verb, the profile's needs, the directory made absolute
 * (it is stored and printed, so it must mean the same from anywhere). */
static int check_services(svc *s, const char *word, const char **verb)
{
    *verb = word;
    static const char *const verbs[] = {"up", "down", "status", "logs"};
    bool known = false;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        known = known || strcmp(*verb, verbs[i]) == 0;
    }
    if (!known) {
        fprintf(stderr, "mqplane services: unknown action '%s' (up, down, status, logs)\n", *verb);
        return EXIT_USAGE;
    }
    if (s->mutual_tls && !svc_is_prod(s)) {
        return svc_fail(EXIT_USAGE, "--mutual-tls needs --profile prod");
    }
    int bridged = svc_check_bridge(s);
    if (bridged != EXIT_OK) {
        return bridged;
    }
    if (!s->dir[0] && !default_dir(s->dir)) {
        return svc_fail(EXIT_USAGE, "no --dir, and neither MQPLANE_SERVICES_DIR nor HOME is set");
    }
    if (strlen(s->dir) > SVC_DIR_MAX) {
        return svc_fail(EXIT_USAGE, "--dir: path too long");
    }
    if (s->dir[0] != '/') {
        char cwd[PATH_MAX], rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%s", s->dir);
        if (!getcwd(cwd, sizeof cwd) ||
            snprintf(s->dir, sizeof s->dir, "%s/%s", cwd, rel) > SVC_DIR_MAX) {
            return svc_fail(EXIT_USAGE, "--dir '%s': path too long", rel);
        }
    }
    return CLI_GO;
}

static int run_services(svc *s, const char *verb)
{
    if (strcmp(verb, "up") == 0) {
        if (!find_deploy(s)) {
            return svc_fail(
                EXIT_USAGE,
                "cannot find the deploy/ folder (mosquitto/dev.conf)%s%s; give --deploy",
                s->deploy[0] ? " in " : "", s->deploy);
        }
        (void)svc_web_find(s); /* Without it, the broker serves MQTT alone. */
        return services_up(s);
    }
    (void)find_deploy(s); /* Only the docker engine needs it, for its compose file. */
    return strcmp(verb, "down") == 0     ? services_down(s)
           : strcmp(verb, "status") == 0 ? services_status(s)
                                         : services_logs(s);
}

int cli_services(int argc, char **argv)
{
    static svc s;
    const char *verb = NULL;
    int rc = parse_services(argc, argv, &s, &verb);
    return rc == CLI_GO ? run_services(&s, verb) : rc;
}
