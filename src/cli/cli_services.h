/* mqplane services, between its files: cli_services.c (the command, the process, the ports),
 * cli_services_files.c (the files in the services directory) and cli_services_disk.c (whether
 * the broker can save its data). */
#ifndef CLI_SERVICES_H
#define CLI_SERVICES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
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
    int port, ws_port, local_port;
    bool mutual_tls;
    int lines;
    bool follow;
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
/* DIR/mosquitto.conf from the shipped profile, with its ports moved and its paths under root
 * (DIR itself, or where the container sees DIR). */
int svc_render(const svc *s, const char *root);

/* The data directory DIR/data (cli_services_disk.c). false, with why, when the broker could
 * not save there (read-only, full) or soon will not (nearly full). */
bool svc_disk_check(const char *data, char *why, size_t len);
/* true, with mosquitto's words, when its last save since it started failed. */
bool svc_disk_log_error(const char *log, char *out, size_t len);
/* true when mosquitto's start-up errors (in file err) say it cannot read its database. */
bool svc_disk_db_unreadable(const char *err);

#endif
