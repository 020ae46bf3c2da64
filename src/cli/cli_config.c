/* mqplane config: the keys the configuration takes, and what a file amounts to. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char config_usage[] =
    "usage: mqplane config keys [--markdown]\n"
    "       mqplane config check [FILE]\n"
    "\n"
    "keys   every key of the mqtt: section: type, default, environment variable, meaning\n"
    "       (--markdown: as the table of docs/CLIENT.md)\n"
    "check  reads FILE (or only the environment) as mqplane run would, and prints each mqtt\n"
    "       key's value and where it came from, secrets masked; exit 64 with the reason when\n"
    "       the configuration is not valid\n";

typedef struct config_opts {
    bool markdown;
    const char *verb;
    const char *file;
} config_opts;

static int parse_config(int argc, char **argv, config_opts *o)
{
    static const struct option longopts[] = {
        {"markdown", no_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    *o = (config_opts){0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'm') {
            o->markdown = true;
        } else {
            fputs(config_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? EXIT_OK : EXIT_USAGE;
        }
    }
    o->verb = optind < argc ? argv[optind++] : NULL;
    bool keys = o->verb && strcmp(o->verb, "keys") == 0;
    bool check = o->verb && strcmp(o->verb, "check") == 0;
    if (!keys && !check) {
        return cli_usage_error("config", "expected keys or check%s%s%s", o->verb ? ", got '" : "",
                               o->verb ? o->verb : "", o->verb ? "'" : "");
    }
    if (check && optind < argc) {
        o->file = argv[optind++];
    }
    if (optind < argc) {
        return cli_usage_error("config", "unexpected argument '%s'", argv[optind]);
    }
    return CLI_GO;
}

/* "integer in 1..65535" and the like. */
static void type_text(const mqp_config_key *k, char *buf, size_t len)
{
    if (strcmp(k->type, "integer") == 0) {
        snprintf(buf, len, "integer %ld..%ld", k->min, k->max);
    } else {
        snprintf(buf, len, "%s", k->type);
    }
}

static int print_keys(bool markdown)
{
    const mqp_config_key *k;
    size_t n = mqp_config_mqtt_keys(&k);
    if (markdown) {
        puts("| key | type | default | environment | meaning |\n|---|---|---|---|---|");
    }
    for (size_t i = 0; i < n; i++) {
        char type[64];
        type_text(&k[i], type, sizeof type);
        if (markdown) {
            printf("| `mqtt.%s` | %s | %s%s%s | %s%s%s | %s |\n", k[i].key, type,
                   k[i].def ? "`" : "", k[i].def ? k[i].def : "—", k[i].def ? "`" : "",
                   k[i].env ? "`" : "", k[i].env ? k[i].env : "—", k[i].env ? "`" : "", k[i].doc);
        } else {
            printf("mqtt.%-22s %-22s %-28s %s\n", k[i].key, type, k[i].def ? k[i].def : "-",
                   k[i].doc);
        }
    }
    if (markdown) {
        puts("\nEvery key also takes `MQP_MQTT_<KEY>` (`MQP_MQTT_DATA_QOS`); a reference variable "
             "wins over it, and both over the file.");
    }
    return EXIT_OK;
}

/* A broker URL or list without its passwords into buf; false when it is not one. */
static bool redacted_urls(const char *v, char *buf, size_t len)
{
    mqp_url u[MQP_URL_LIST_MAX];
    size_t n = 0;
    if (mqp_url_list_parse(v, u, MQP_URL_LIST_MAX, &n, NULL, 0) != MQP_OK) {
        return false;
    }
    mqp_url_list_redacted(u, n, buf, len);
    for (size_t i = 0; i < n; i++) {
        mqp_url_clear(&u[i]);
    }
    return true;
}

/* A value as check prints it: secrets masked, a URL without its password. */
static void shown_value(const mqp_config_key *k, const char *v, char *buf, size_t len)
{
    if (!v) {
        snprintf(buf, len, "%s", k->def ? k->def : "-");
    } else if (strcmp(k->type, "secret") == 0) {
        snprintf(buf, len, "***");
    } else if (strcmp(k->type, "url") == 0 && redacted_urls(v, buf, len)) {
        /* Written. */
    } else if (strcmp(k->type, "url") == 0) {
        snprintf(buf, len, "(not a valid URL)");
    } else {
        snprintf(buf, len, "%s", v);
    }
}

static int check_file(const char *file)
{
    char err[MQP_CONFIG_ERRLEN];
    mqp_config *cfg = NULL;
    mqp_mqtt_settings s;
    if (mqp_config_load(&cfg, file, err, sizeof err) != MQP_OK ||
        mqp_config_mqtt(cfg, &s, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane config: %s\n", err);
        mqp_config_free(cfg);
        return EXIT_USAGE;
    }
    const mqp_config_key *k;
    size_t n = mqp_config_mqtt_keys(&k);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "mqtt.%s", k[i].key);
        const char *v = mqp_config_get(cfg, path);
        const char *origin = mqp_config_origin(cfg, path);
        char shown[512];
        shown_value(&k[i], v, shown, sizeof shown);
        printf("%-28s %-30s %s\n", path, shown, origin ? origin : "(default)");
    }
    if (s.url) {
        char shown[MQP_URL_LIST_MAX * 160];
        if (redacted_urls(s.url, shown, sizeof shown)) {
            printf("broker: %s\n", shown);
        }
    } else {
        printf("broker: from MQTT_URL or MQTT_BROKER_HOST/PORT, else mqtt://%s:%d\n",
               MQP_DEFAULT_HOST, MQP_DEFAULT_PORT);
    }
    mqp_config_free(cfg);
    return EXIT_OK;
}

int cli_config(int argc, char **argv)
{
    config_opts o;
    int rc = parse_config(argc, argv, &o);
    if (rc != CLI_GO) {
        return rc;
    }
    return strcmp(o.verb, "keys") == 0 ? print_keys(o.markdown) : check_file(o.file);
}
