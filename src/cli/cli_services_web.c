/* mqplane services: the dashboard's files (web/, assembled by the build with npm's bundles),
 * copied to DIR/www for the broker's websockets listener to serve (http_dir), with
 * DIR/www/config.json telling the page the topic layout of this environment. A copy, not
 * links: mosquitto refuses to serve a file whose real path is outside http_dir. */
#define _GNU_SOURCE
#include "cli_services.h"

#include "cli.h"
#include "mqplane/topics.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEB_MARKER "vendor/mqtt.min.js" /* Absent from a web/ that npm never completed. */
#define WEB_DEPTH  4                    /* Folders below the root, at most: js/, vendor/. */

static bool is_web(const char *dir)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/index.html", dir);
    if (!svc_exists(p)) {
        return false;
    }
    snprintf(p, sizeof p, "%s/%s", dir, WEB_MARKER);
    return svc_exists(p);
}

bool svc_web_find(svc *s)
{
    char beside[PATH_MAX];
    const char *env = getenv("MQPLANE_WEB_DIR");
    const char *candidates[] = {env, svc_beside_executable("web", beside, sizeof beside),
                                MQP_WEB_INSTALLED, MQP_WEB_BUILD};
    s->web[0] = '\0';
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (candidates[i] && *candidates[i] && is_web(candidates[i])) {
            snprintf(s->web, sizeof s->web, "%s", candidates[i]);
            return true;
        }
        if (i == 0 && env && *env) {
            fprintf(stderr,
                    "mqplane services: warning: MQPLANE_WEB_DIR=%s has no index.html and %s\n", env,
                    WEB_MARKER);
        }
    }
    return false;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = in ? fopen(to, "wb") : NULL;
    bool ok = in && out;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        ok = fwrite(buf, 1, n, out) == n;
    }
    ok = ok && !ferror(in);
    if (in) {
        fclose(in);
    }
    if (out && fclose(out) != 0) {
        ok = false;
    }
    return ok;
}

/* Regular files and folders of from into to (made), depth folders deep at most. */
static bool copy_tree(const char *from, const char *to, int depth, char *why, size_t len)
{
    if (mkdir(to, 0755) != 0 && errno != EEXIST) {
        snprintf(why, len, "cannot create %s: %s", to, strerror(errno));
        return false;
    }
    DIR *d = opendir(from);
    if (!d) {
        snprintf(why, len, "cannot read %s: %s", from, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= (int)sizeof dst ||
            stat(src, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode) && depth > 0) {
            ok = copy_tree(src, dst, depth - 1, why, len);
        } else if (S_ISREG(st.st_mode) && !copy_file(src, dst)) {
            snprintf(why, len, "cannot copy %s to %s: %s", src, dst, strerror(errno));
            ok = false;
        }
    }
    closedir(d);
    return ok;
}

/* config.json: what the page cannot learn from the broker, from this environment. */
static bool write_config(const svc *s, const char *path, char *why, size_t len)
{
    mqp_topics t;
    if (mqp_topics_init(&t, NULL, NULL) != MQP_OK) {
        snprintf(why, len,
                 "MQTT_TOPIC_VERSION, MQTT_BASE_PREFIX or MQTT_TOPIC_PREVIOUS_VERSION is not a "
                 "valid topic level");
        return false;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "profile", s->profile);
    cJSON_AddBoolToObject(o, "login", svc_is_prod(s));
    cJSON_AddStringToObject(o, "topic_version", t.version);
    cJSON_AddStringToObject(o, "base_prefix", t.base_prefix);
    if (t.migrating) {
        cJSON_AddStringToObject(o, "previous_version", t.previous_version);
    } else {
        cJSON_AddNullToObject(o, "previous_version");
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    FILE *f = text ? fopen(path, "w") : NULL;
    bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        snprintf(why, len, "cannot write %s: %s", path, strerror(errno));
    }
    free(text);
    return ok;
}

int svc_web_render(const svc *s)
{
    char www[PATH_MAX], config[PATH_MAX + 16], why[2 * PATH_MAX + 64];
    svc_path(www, s, "www");
    if (nftw(www, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
        return svc_fail(EXIT_FAILED, "cannot remove the old %s: %s", www, strerror(errno));
    }
    snprintf(config, sizeof config, "%s/config.json", www);
    if (!copy_tree(s->web, www, WEB_DEPTH, why, sizeof why) ||
        !write_config(s, config, why, sizeof why)) {
        return svc_fail(EXIT_FAILED, "the dashboard: %s", why);
    }
    return EXIT_OK;
}

/* Whether the TLS listener on 127.0.0.1:port picks HTTP/2 when a browser offers it (ALPN "h2,
 * http/1.1"). Debian 12's mosquitto 2.0.11 is built with a libwebsockets that does, and then
 * cannot serve http_dir's files over it: browsers fail with ERR_HTTP2_PROTOCOL_ERROR (mosquitto
 * issue 2251); the eclipse-mosquitto image's libwebsockets has no HTTP/2 and serves them. */
bool svc_web_tls_h2(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SSL_CTX *ctx =
        connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? SSL_CTX_new(TLS_client_method()) : NULL;
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    bool h2 = false;
    static const unsigned char offer[] = "\x02h2\x08http/1.1";
    if (ssl && SSL_set_alpn_protos(ssl, offer, sizeof offer - 1) == 0 && SSL_set_fd(ssl, fd) &&
        SSL_connect(ssl) == 1) {
        const unsigned char *got = NULL;
        unsigned int len = 0;
        SSL_get0_alpn_selected(ssl, &got, &len);
        h2 = len == 2 && memcmp(got, "h2", 2) == 0;
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return h2;
}
