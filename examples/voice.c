/* A voice-assistant conversation on seed 04's topics, played through libmqplane: what the
 * reference's AI gateway publishes for one spoken request, for the dashboard's voice view
 * (docs/DASHBOARD.md) or any client of that layout to show.
 *
 *   mqp-example-voice [-r ROOM] [-s SESSION] [-n COUNT] [-p PACE_MS] [URL]
 *
 * URL defaults to mqtt://localhost:1883; ROOM to salon; each conversation gets a session id of
 * its own unless -s gives one; -n conversations (default 1, 0: until killed), PACE_MS between
 * messages (default 150). The layout follows the environment as every libmqplane client does:
 * MQTT_TOPIC_VERSION, MQTT_BASE_PREFIX, and MQTT_TOPIC_PREVIOUS_VERSION, which while migrating
 * publishes every message on the previous layout too. Payloads are the reference's plain JSON. */
#define _POSIX_C_SOURCE 200809L
#include <mqplane/mqplane.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct talk {
    mqp_client *client;
    mqp_topics topics;
    const char *room;
    char session[64];
    long pace_ms;
} talk;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One message of the conversation, on every live layout. fields: JSON members without braces,
 * to which the reference's millisecond timestamp is added. */
static int say(talk *t, const char *type, const char *fields)
{
    char a[512], b[512], err[MQP_TOPICS_ERRLEN], payload[512];
    char *outs[2] = {a, b};
    size_t n = 0;
    const mqp_topic_var vars[] = {{"room_id", t->room, 0},
                                  {"session_id", t->session, 0},
                                  {"topic_type", type, MQP_VAR_MULTILEVEL}};
    if (mqp_topics_build(&t->topics, MQP_TEMPLATE_VOICE, vars, 3, MQP_TOPIC_NAME, outs, sizeof a,
                         &n, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqp-example-voice: %s\n", err);
        return -1;
    }
    int len = snprintf(payload, sizeof payload, "{%s%s\"timestamp\":%lld}", fields,
                       *fields ? "," : "", now_ms());
    for (size_t i = 0; i < n; i++) {
        mqp_err rc = mqp_client_publish(t->client, outs[i], payload, (size_t)len, 1, false);
        if (rc != MQP_OK) {
            fprintf(stderr, "mqp-example-voice: publish to %s: %s\n", outs[i], mqp_strerror(rc));
            return -1;
        }
        printf("%-72s %s\n", outs[i], payload);
    }
    nanosleep(&(struct timespec){t->pace_ms / 1000, (t->pace_ms % 1000) * 1000000L}, NULL);
    return 0;
}

/* "Turn on the lights": listening, transcripts, a tool, a display action, a streamed answer. */
static int conversation(talk *t)
{
    static const char *const interim[] = {"turn on", "turn on the", "turn on the lights"};
    static const char *const chunks[] = {"Turning", " on",  " the",   " lights",
                                         " in",     " the", " salon."};
    char f[256];
    int rc = say(t, "state", "\"state\":\"listening\"");
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        snprintf(f, sizeof f, "\"text\":\"%s\",\"sequence\":%zu", interim[i], i + 1);
        rc = say(t, "transcript/interim", f);
    }
    if (rc == 0) {
        rc = say(t, "transcript/final", "\"text\":\"turn on the lights\",\"confidence\":0.85");
    }
    if (rc == 0) {
        rc = say(t, "transcript/refined", "\"text\":\"Turn on the lights in the salon\"");
    }
    if (rc == 0) {
        rc = say(t, "state", "\"state\":\"thinking\"");
    }
    if (rc == 0) {
        rc = say(t, "tool_executed", "\"tool_name\":\"control_light\",\"success\":true");
    }
    if (rc == 0) {
        snprintf(f, sizeof f,
                 "\"type\":\"light_control\",\"data\":{\"room\":\"%s\",\"on\":true,"
                 "\"brightness\":80}",
                 t->room);
        rc = say(t, "display_action", f);
    }
    if (rc == 0) {
        rc = say(t, "state", "\"state\":\"speaking\"");
    }
    if (rc == 0) {
        rc = say(t, "response/stream/start", "");
    }
    for (size_t i = 0; rc == 0 && i < sizeof chunks / sizeof chunks[0]; i++) {
        snprintf(f, sizeof f, "\"chunk\":\"%s\"", chunks[i]);
        rc = say(t, "response/stream/chunk", f);
    }
    if (rc == 0) {
        rc = say(t, "response/stream/complete", "");
    }
    if (rc == 0) {
        rc = say(t, "response", "\"text\":\"Turning on the lights in the salon.\"");
    }
    return rc == 0 ? say(t, "state", "\"state\":\"idle\"") : rc;
}

int main(int argc, char **argv)
{
    talk t = {.room = "salon", .pace_ms = 150};
    const char *session = NULL;
    long count = 1;
    int c;
    while ((c = getopt(argc, argv, "r:s:n:p:h")) != -1) {
        switch (c) {
        case 'r':
            t.room = optarg;
            break;
        case 's':
            session = optarg;
            break;
        case 'n':
            count = strtol(optarg, NULL, 10);
            break;
        case 'p':
            t.pace_ms = strtol(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: %s [-r ROOM] [-s SESSION] [-n COUNT] [-p PACE_MS] [URL]\n",
                    argv[0]);
            return c == 'h' ? 0 : 2;
        }
    }
    char err[256];
    if (mqp_topics_init(&t.topics, NULL, NULL) != MQP_OK) {
        fprintf(stderr, "mqp-example-voice: bad MQTT_TOPIC_VERSION or MQTT_BASE_PREFIX\n");
        return 2;
    }
    mqp_client_opts opts = {.url = optind < argc ? argv[optind] : "mqtt://localhost:1883",
                            .client_id = "example-voice-gateway"};
    if (mqp_client_new_err(&t.client, &opts, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqp-example-voice: %s\n", err);
        return 2;
    }
    if (mqp_client_connect(t.client, 5000) != MQP_OK) {
        mqp_client_last_error(t.client, err, sizeof err);
        fprintf(stderr, "mqp-example-voice: cannot connect: %s\n", err);
        mqp_client_destroy(t.client);
        return 1;
    }
    int rc = 0;
    for (long i = 0; rc == 0 && (count == 0 || i < count); i++) {
        if (session) {
            snprintf(t.session, sizeof t.session, "%s", session);
        } else {
            snprintf(t.session, sizeof t.session, "s%lld-%d-%ld", now_ms(), (int)getpid(), i);
        }
        rc = conversation(&t);
    }
    /* Every QoS 1 message acknowledged by the broker before leaving. */
    if (rc == 0 && mqp_client_sync(t.client, 5000) != MQP_OK) {
        fprintf(stderr, "mqp-example-voice: the broker did not acknowledge every message\n");
        rc = 1;
    }
    mqp_client_destroy(t.client);
    return rc == 0 ? 0 : 1;
}
