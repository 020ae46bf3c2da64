/* mqplane services: the files in the services directory — the state of what up started, the
 * rendered broker configuration, and the production profile's secrets and client
 * configurations. */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool svc_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* ---- state: what up started, so that down, status and logs need only --dir ---- */

bool svc_state_write(const svc *s, pid_t pid)
{
    char p[PATH_MAX];
    svc_path(p, s, "services.state");
    FILE *f = fopen(p, "w");
    if (!f) {
        return false;
    }
    fprintf(f, "profile=%s\nengine=%s\nport=%d\nws_port=%d\nlocal_port=%d\nmutual_tls=%d\n",
            s->profile, s->engine, s->port, s->ws_port, s->local_port, s->mutual_tls);
    bool ok = fclose(f) == 0;
    if (pid > 0) {
        svc_path(p, s, "mosquitto.pid");
        f = fopen(p, "w");
        ok = f && fprintf(f, "%d\n", (int)pid) > 0 && fclose(f) == 0 && ok;
    }
    return ok;
}

bool svc_state_read(svc *s, pid_t *pid)
{
    char p[PATH_MAX], line[128];
    svc_path(p, s, "services.state");
    FILE *f = fopen(p, "r");
    if (!f) {
        return false;
    }
    int mtls = 0;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "profile=%7s", s->profile);
        sscanf(line, "engine=%7s", s->engine);
        sscanf(line, "port=%d", &s->port);
        sscanf(line, "ws_port=%d", &s->ws_port);
        sscanf(line, "local_port=%d", &s->local_port);
        sscanf(line, "mutual_tls=%d", &mtls);
    }
    fclose(f);
    s->mutual_tls = mtls != 0;
    *pid = 0;
    svc_path(p, s, "mosquitto.pid");
    f = fopen(p, "r");
    if (f) {
        int v = 0;
        if (fscanf(f, "%d", &v) == 1) {
            *pid = v;
        }
        fclose(f);
    }
    return true;
}

void svc_state_clear(const svc *s)
{
    char p[PATH_MAX];
    svc_path(p, s, "services.state");
    unlink(p);
    svc_path(p, s, "mosquitto.pid");
    unlink(p);
}

/* ---- the production profile's secrets ---- */

static int run_script(const svc *s, const char *script, char *const args[])
{
    char prog[PATH_MAX + 32];
    snprintf(prog, sizeof prog, "%s/scripts/%s", s->deploy, script);
    char *argv[12] = {prog};
    for (size_t i = 0; args[i] && i + 2 < sizeof argv / sizeof argv[0]; i++) {
        argv[i + 1] = args[i];
    }
    int rc = svc_run(argv, false);
    return rc == 0 ? EXIT_OK : svc_fail(EXIT_FAILED, "%s failed (exit %d)", prog, rc);
}

/* Configurations for the node and the operator's tools, with the passwords left as ${VAR}s
 * from passwords.env, so these files hold no secret. */
static bool write_client_configs(const svc *s)
{
    static const struct {
        const char *file, *body;
    } configs[] = {
        {"node.yaml", "  control_username: node-control\n"
                      "  control_password: ${MQTT_PASSWORD_NODE_CONTROL}\n"
                      "  data_username: node-data\n"
                      "  data_password: ${MQTT_PASSWORD_NODE_DATA}\n"},
        {"operator.yaml", "  username: operator\n  password: ${MQTT_PASSWORD_OPERATOR}\n"},
        {"monitor.yaml", "  username: monitor\n  password: ${MQTT_PASSWORD_MONITOR}\n"},
    };
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        char p[PATH_MAX];
        svc_path(p, s, configs[i].file);
        FILE *f = fopen(p, "w");
        if (!f) {
            return false;
        }
        fprintf(f,
                "# Written by mqplane services up --profile prod. Passwords come from the\n"
                "# environment: set -a; . %s/passwords.env; set +a\n"
                "mqtt:\n  url: mqtts://localhost:%d\n  tls_ca_file: %s/certs/ca.crt\n%s",
                s->dir, s->port, s->dir, configs[i].body);
        if (s->mutual_tls && strcmp(configs[i].file, "operator.yaml") == 0) {
            fprintf(f,
                    "  tls_cert_file: %s/certs/operator.crt\n"
                    "  tls_key_file: %s/certs/operator.key\n",
                    s->dir, s->dir);
        }
        if (fclose(f) != 0) {
            return false;
        }
    }
    return true;
}

int svc_prepare_prod(const svc *s)
{
    char p[PATH_MAX], certs[PATH_MAX];
    svc_path(p, s, "passwd");
    if (!svc_exists(p)) {
        char *args[] = {(char *)s->dir, NULL};
        if (run_script(s, "make-passwords.sh", args) != EXIT_OK) {
            return EXIT_FAILED;
        }
    }
    svc_path(certs, s, "certs");
    svc_path(p, s, "certs/ca.crt");
    if (!svc_exists(p)) {
        char host[256] = "localhost";
        gethostname(host, sizeof host - 1);
        char *args[] = {certs, "localhost", "127.0.0.1", host, "--client", "operator", NULL};
        if (run_script(s, "make-ca.sh", args) != EXIT_OK) {
            return EXIT_FAILED;
        }
    }
    /* The ACL in use is DIR/acl, copied once from the shipped one, so it can be edited. */
    svc_path(p, s, "acl");
    if (!svc_exists(p)) {
        char src[PATH_MAX + 32];
        snprintf(src, sizeof src, "%s/mosquitto/acl", s->deploy);
        char *cp[] = {"cp", src, p, NULL};
        if (svc_run(cp, false) != 0) {
            return svc_fail(EXIT_FAILED, "cannot copy %s to %s", src, p);
        }
    }
    if (!write_client_configs(s)) {
        return svc_fail(EXIT_FAILED, "cannot write the client configurations in %s: %s", s->dir,
                        strerror(errno));
    }
    return EXIT_OK;
}

/* ---- the configuration: the shipped file, with its ports and paths moved ---- */

/* Copies line into out, replacing every `from` with `to`. */
static void replace(char *line, size_t size, const char *from, const char *to)
{
    char out[2048];
    size_t o = 0;
    for (const char *p = line; *p && o + 1 < sizeof out;) {
        if (strncmp(p, from, strlen(from)) == 0) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s", to);
            o = o < sizeof out ? o : sizeof out - 1;
            p += strlen(from);
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(line, size, "%s", out);
}

int svc_render(const svc *s, const char *root)
{
    char in[PATH_MAX + 32], out[PATH_MAX], data[PATH_MAX + 16], log[PATH_MAX + 32],
        config[PATH_MAX + 16];
    snprintf(in, sizeof in, "%s/mosquitto/%s.conf", s->deploy, s->profile);
    svc_path(out, s, "mosquitto.conf");
    snprintf(data, sizeof data, "%s/data/", root);
    snprintf(config, sizeof config, "%s/", root);
    snprintf(log, sizeof log, "log_dest file %s/mosquitto.log", root);
    FILE *fi = fopen(in, "r");
    if (!fi) {
        return svc_fail(EXIT_FAILED, "cannot read %s: %s", in, strerror(errno));
    }
    FILE *fo = fopen(out, "w");
    if (fo && s->bridge[0] && strchr(s->bridge, '@')) {
        fchmod(fileno(fo), 0600); /* It will hold the bridge's password. */
    }
    if (!fo) {
        fclose(fi);
        return svc_fail(EXIT_FAILED, "cannot write %s: %s", out, strerror(errno));
    }
    fprintf(fo, "# Rendered by mqplane services from %s: edit that file, not this one.\n", in);
    char line[2048];
    int moved = 0;
    while (fgets(line, sizeof line, fi)) {
        int port;
        char addr[64] = "";
        if (sscanf(line, "listener %d %63s", &port, addr) >= 1) {
            int to = port == 9001     ? s->ws_port
                     : svc_is_prod(s) ? (port == 8883 ? s->port : s->local_port)
                                      : s->port;
            fprintf(fo, "listener %d%s%s\n", to, addr[0] ? " " : "", addr);
            moved++;
            continue;
        }
        if (strncmp(line, "protocol websockets", 19) == 0 && s->web[0]) {
            fprintf(fo,
                    "%s# The dashboard (docs/DASHBOARD.md), rendered from %s.\nhttp_dir %s/www\n",
                    line, s->web, root);
            continue;
        }
        if (strncmp(line, "require_certificate ", 20) == 0) {
            fprintf(fo, "require_certificate %s\n", s->mutual_tls ? "true" : "false");
            continue;
        }
        if (strncmp(line, "log_dest ", 9) == 0) {
            fprintf(fo, "%s\n", log);
            continue;
        }
        replace(line, sizeof line, "/mosquitto/data/", data);
        replace(line, sizeof line, "/var/lib/mosquitto/", data);
        replace(line, sizeof line, "/mosquitto/config/", config);
        fputs(line, fo);
    }
    fclose(fi);
    /* Run as root, mosquitto would switch to user mosquitto and then fail to read the root-owned
     * passwords and keys in DIR; in the container, DIR is the host user's. */
    if (geteuid() == 0 || svc_is_docker(s)) {
        fprintf(fo, "# mqplane services: keep the user that owns %s.\nuser root\n", s->dir);
    }
    int bridged = s->bridge[0] ? svc_render_bridge(s, fo) : EXIT_OK;
    if (bridged != EXIT_OK) {
        fclose(fo);
        return bridged;
    }
    if (fclose(fo) != 0) {
        return svc_fail(EXIT_FAILED, "cannot write %s: %s", out, strerror(errno));
    }
    svc_listener l[3];
    if (moved != (int)svc_listeners(s, l)) {
        return svc_fail(EXIT_FAILED, "%s has %d listeners, expected %zu: its layout changed", in,
                        moved, svc_listeners(s, l));
    }
    return EXIT_OK;
}
