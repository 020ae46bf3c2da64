/* A service that publishes events and handles them, in about sixty lines.
 *
 *   mqp-example-events                      # in-process broker, runs anywhere
 *   mqp-example-events mqtt://localhost     # a real broker
 *
 * It builds versioned voice-assistant topics, subscribes a handler to every session of a room,
 * publishes five enveloped events, and prints what the handler saw. */
#define _POSIX_C_SOURCE 200809L
#include <mqplane/mqplane.h>

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int handled;

static int on_transcript(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    (void)user;
    mqp_envelope *env;
    char err[MQP_ENVELOPE_ERRLEN];
    if (mqp_envelope_decode(msg->payload, msg->payload_len, &env, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "not an envelope on %s: %s\n", msg->topic, err);
        return -1; /* Logged and counted by the client; other handlers are unaffected. */
    }
    printf("%-60s %s seq=%llu data=%s\n", msg->topic, mqp_envelope_type(env),
           (unsigned long long)mqp_envelope_seq(env, NULL), mqp_envelope_data(env, NULL));
    mqp_envelope_free(env);
    atomic_fetch_add(&handled, 1);
    return 0;
}

static void log_line(mqp_log_level level, const char *msg, void *user)
{
    (void)user;
    fprintf(stderr, "%-7s %s\n", mqp_log_level_name(level), msg);
}

int main(int argc, char **argv)
{
    mqp_client_opts opts = {
        .url = argc > 1 ? argv[1] : "memory://example",
        .client_id = "example-events",
        .log_cb = log_line,
        .log_level = MQP_LOG_NOTICE,
    };
    mqp_client *client;
    char err[256];
    if (mqp_client_new_err(&client, &opts, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "cannot create client: %s\n", err);
        return 2;
    }
    mqp_topics topics;
    char filter[256], topic[256];
    if (mqp_topics_init(&topics, NULL, NULL) != MQP_OK ||
        mqp_topics_voice_filter(&topics, "salon", NULL, filter, sizeof filter, err, sizeof err) ||
        mqp_topics_voice(&topics, "salon", "abc-123", "transcript/final", topic, sizeof topic, err,
                         sizeof err)) {
        fprintf(stderr, "bad topic layout: %s\n", err);
        return 2;
    }
    mqp_client_subscribe(client, filter, 1, on_transcript, NULL);
    if (mqp_client_connect(client, 5000) != MQP_OK) {
        mqp_client_last_error(client, err, sizeof err);
        fprintf(stderr, "cannot connect: %s\n", err);
        mqp_client_destroy(client);
        return 1;
    }
    const char *texts[] = {"turn on", "turn on the", "turn on the lights", "dim them", "thank you"};
    for (int i = 0; i < 5; i++) {
        char data[128];
        snprintf(data, sizeof data, "{\"text\":\"%s\",\"confidence\":0.9}", texts[i]);
        mqp_client_publish_event(client, topic, "stt.final", data, NULL, 1, false);
    }
    for (int waited = 0; atomic_load(&handled) < 5 && waited < 5000; waited += 10) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    mqp_client_stats s;
    mqp_client_stats_get(client, &s);
    printf("published %llu, received %llu, dispatched %llu, handler errors %llu\n",
           (unsigned long long)s.published, (unsigned long long)s.received,
           (unsigned long long)s.dispatched, (unsigned long long)s.handler_errors);
    mqp_client_destroy(client);
    return atomic_load(&handled) == 5 ? 0 : 1;
}
