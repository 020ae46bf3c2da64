/* mqplane services, between its files: cli_services.c (the command, the process, the ports),
 * cli_services_files.c (the files in the services directory) and cli_services_disk.c (whether
 * the broker can save its data). */
#ifndef CLI_SERVICES_H
#define CLI_SERVICES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define SVC_NOT_RUNNING 3
/* Leaves room in PATH_MAX for the names of the files in DIR. */
#define SVC_DIR_MAX        (PATH_MAX - 64)
#define SVC_DOCKER_PROJECT "mqplane-services"
/* Where DIR is mounted in the container (deploy/docker-compose.services.yml). */
#define SVC_DOCKER_ROOT "/mqplane"

typedef struct svc {
    char profile[8];          /* dev | prod */
    char engine[8];           /* direct | docker */
    char mosquitto[PATH_MAX]; /* the executable, for direct */
    char dir[PATH_MAX];
    char deploy[PATH_MAX];
    char web[PATH_MAX]; /* The dashboard's files; "" when none was found (cli_services_web.c). */
    int port, ws_port, local_port;
    bool mutual_tls;
    int lines;
    bool follow;
    char bridge[512];         /* --bridge URL: the central broker this site bridges to; "". */
    char site[64];            /* --site NAME: the bridge's name there. */
    char bridge_ca[PATH_MAX]; /* --bridge-ca FILE: the central broker's CA (mqtts://). */
} svc;

typedef struct svc_listener {
    int port;
    const char *addr; /* NULL: every interface */
    const char *what;
} svc_listener;

/* Prints "mqplane services: " and the message to stderr; returns status. */
int svc_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* DIR/name into out (PATH_MAX bytes). */
void svc_path(char *out, const svc *s, const char *name);
bool svc_is_prod(const svc *s);
bool svc_is_docker(const svc *s);
bool svc_exists(const char *path);
/* The profile's listeners (at most 3): ports, addresses, what they are for. */
size_t svc_listeners(const svc *s, svc_listener out[3]);
/* Runs argv with its output on ours (or silenced); its exit status, or -1. */
int svc_run(char *const argv[], bool quiet);

/* services.state and mosquitto.pid: what up started, so down, status and logs need only DIR. */
bool svc_state_write(const svc *s, pid_t pid);
/* Fills s's profile, engine and ports, and *pid (0 without a pid file); false without state. */
bool svc_state_read(svc *s, pid_t *pid);
void svc_state_clear(const svc *s);

/* The prod profile's secrets (made once, kept after), acl copy and client configurations. */
int svc_prepare_prod(const svc *s);
/* The bridge's lines (cli_services_bridge.c): connection, address, credentials and TLS of
 * --bridge, then deploy/mosquitto/bridge.conf; appended to fo. EXIT_OK or a failure, said. */
int svc_render_bridge(const svc *s, FILE *fo);
/* --bridge and --site checked and the site named (the host name by default). */
int svc_check_bridge(svc *s);

/* DIR/mosquitto.conf from the shipped profile, with its ports moved and its paths under root
 * (DIR itself, or where the container sees DIR). */
int svc_render(const svc *s, const char *root);

/* ../share/mqplane/sub beside the running executable, into buf; NULL if it cannot be told. */
const char *svc_beside_executable(const char *sub, char *buf, size_t size);

/* The dashboard (cli_services_web.c): finds its files ($MQPLANE_WEB_DIR, installed, the build
 * tree) into s->web, false without them; renders DIR/www, the copy the broker serves, with
 * config.json from the environment's topic layout (MQTT_TOPIC_VERSION, ...). */
bool svc_web_find(svc *s);
int svc_web_render(const svc *s);
/* Whether the TLS websockets listener on that loopback port answers browsers in HTTP/2, over
 * which this mosquitto cannot serve the dashboard's files (see cli_services_web.c). */
bool svc_web_tls_h2(int port);

/* The broker's $SYS figures, a line (cli_services_sys.c); says so when there are none. */
void svc_print_broker_figures(const svc *s);

/* The data directory DIR/data (cli_services_disk.c). false, with why, when the broker could
 * not save there (read-only, full) or soon will not (nearly full). */
bool svc_disk_check(const char *data, char *why, size_t len);
/* true, with mosquitto's words, when its last save since it started failed. */
bool svc_disk_log_error(const char *log, char *out, size_t len);
/* true when mosquitto's start-up errors (in file err) say it cannot read its database. */
bool svc_disk_db_unreadable(const char *err);

#endif
