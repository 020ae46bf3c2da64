/* mqplane services up --bridge URL: the site broker's bridge to a central broker. The lines
 * that name the central broker are made from the URL; what goes up and what comes down is the
 * shipped deploy/mosquitto/bridge.conf, appended as it is. */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_services.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool site_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

static bool site_name_ok(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!site_char_ok(*s)) {
            return false;
        }
    }
    return true;
}

int svc_check_bridge(svc *s)
{
    if (!s->bridge[0]) {
        if (s->site[0] || s->bridge_ca[0]) {
            return svc_fail(EXIT_USAGE, "--site and --bridge-ca go with --bridge URL");
        }
        return EXIT_OK;
    }
    mqp_url u;
    char err[MQP_URL_ERRLEN];
    if (mqp_url_parse(s->bridge, &u, err, sizeof err) != MQP_OK) {
        return svc_fail(EXIT_USAGE, "--bridge: %s", err);
    }
    bool memory = u.scheme == MQP_SCHEME_MEMORY, tls = u.scheme == MQP_SCHEME_MQTTS;
    mqp_url_clear(&u);
    if (memory) {
        return svc_fail(EXIT_USAGE, "--bridge: a bridge goes to a broker on the network, not %s",
                        s->bridge);
    }
    if (s->bridge_ca[0] && (!tls || access(s->bridge_ca, R_OK) != 0)) {
        return svc_fail(EXIT_USAGE, "--bridge-ca %s: %s", s->bridge_ca,
                        !tls ? "only for an mqtts:// bridge" : strerror(errno));
    }
    if (!s->site[0]) {
        char host[64] = "site";
        if (gethostname(host, sizeof host) != 0) {
            snprintf(host, sizeof host, "site");
        }
        host[sizeof host - 1] = '\0';
        for (char *p = host; *p; p++) {
            *p = site_char_ok(*p) ? *p : '-';
        }
        snprintf(s->site, sizeof s->site, "%s", host);
    }
    if (!site_name_ok(s->site)) {
        return svc_fail(EXIT_USAGE, "--site '%s': letters, digits, '-', '_' and '.' only", s->site);
    }
    return EXIT_OK;
}

int svc_render_bridge(const svc *s, FILE *fo)
{
    mqp_url u;
    if (mqp_url_parse(s->bridge, &u, NULL, 0) != MQP_OK) {
        return svc_fail(EXIT_USAGE, "--bridge: not a broker URL");
    }
    char shown[300], in[PATH_MAX + 32];
    mqp_url_redacted(&u, shown, sizeof shown);
    bool v6 = strchr(u.host, ':') != NULL;
    fprintf(fo,
            "\n# The bridge to %s (mqplane services up --bridge), then %s/mosquitto/bridge.conf.\n"
            "connection mqplane-site-%s\naddress %s%s%s:%d\nremote_clientid mqplane-site-%s\n",
            shown, s->deploy, s->site, v6 ? "[" : "", u.host, v6 ? "]" : "", u.port, s->site);
    if (u.username) {
        fprintf(fo, "remote_username %s\n", u.username);
    }
    if (u.password) {
        fprintf(fo, "remote_password %s\n", u.password);
    }
    if (u.scheme == MQP_SCHEME_MQTTS) {
        fprintf(fo, s->bridge_ca[0] ? "bridge_cafile %s\n" : "bridge_capath %s\n",
                s->bridge_ca[0] ? s->bridge_ca : "/etc/ssl/certs");
    }
    mqp_url_clear(&u);
    snprintf(in, sizeof in, "%s/mosquitto/bridge.conf", s->deploy);
    FILE *fi = fopen(in, "r");
    if (!fi) {
        return svc_fail(EXIT_FAILED, "cannot read %s: %s", in, strerror(errno));
    }
    char line[1024];
    while (fgets(line, sizeof line, fi)) {
        fputs(line, fo);
    }
    fclose(fi);
    return EXIT_OK;
}
