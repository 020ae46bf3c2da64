/* A topic-layout migration seen through (include/mqplane/migration.h), on mosquitto and on
 * memory://: two clients, one publishing on the legacy layout only and one migrating; the
 * counts are exact, the notices name what still comes on the old layout, and the quiet line
 * comes once it has been silent for the quiet time. */
#define _GNU_SOURCE
#include "fixture.h"

#include "mqplane/client.h"
#include "mqplane/migration.h"

#include <pthread.h>
#include <stdlib.h>

/* The client's log, kept to be searched. */
typedef struct logbook {
    pthread_mutex_t mu;
    char text[16384];
    size_t len;
} logbook;

static void log_into(mqp_log_level level, const char *msg, void *user)
{
    logbook *b = user;
    pthread_mutex_lock(&b->mu);
    int n = snprintf(b->text + b->len, sizeof b->text - b->len, "%s %s\n",
                     mqp_log_level_name(level), msg);
    if (n > 0 && b->len + (size_t)n < sizeof b->text) {
        b->len += (size_t)n;
    }
    pthread_mutex_unlock(&b->mu);
}

static bool logged(logbook *b, const char *s)
{
    pthread_mutex_lock(&b->mu);
    bool found = strstr(b->text, s) != NULL;
    pthread_mutex_unlock(&b->mu);
    return found;
}

/* The messages the notices counted on the legacy layout, all lines together. */
static unsigned long noticed(logbook *b)
{
    static const char line[] = "voice: ";
    unsigned long total = 0;
    pthread_mutex_lock(&b->mu);
    for (const char *p = b->text; (p = strstr(p, line)); p += sizeof line - 1) {
        char *end;
        unsigned long n = strtoul(p + sizeof line - 1, &end, 10);
        if (end != p + sizeof line - 1 &&
            (strncmp(end, " messages on layout '' (legacy) in the last ", 44) == 0 ||
             strncmp(end, " message on layout '' (legacy) in the last ", 43) == 0)) {
            total += n;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return total;
}

static mqp_topics layout(const char *version, const char *previous)
{
    mqp_topics t = {.migrating = previous != NULL};
    snprintf(t.version, sizeof t.version, "%s", version);
    snprintf(t.base_prefix, sizeof t.base_prefix, "voice_assistant");
    snprintf(t.previous_version, sizeof t.previous_version, "%s", previous ? previous : "");
    return t;
}

static const mqp_topic_var salon_all[] = {
    {"room_id", "salon", 0}, {"session_id", "+", 0}, {"topic_type", "#", 0}};

static void publish_n(mqp_client *c, const char *topic, int n)
{
    for (int i = 0; i < n; i++) {
        char p[32];
        int len = snprintf(p, sizeof p, "{\"n\":%d}", i);
        assert_ok(mqp_client_publish(c, topic, p, (size_t)len, 1, false));
    }
}

static mqp_migration_stat stat_of(mqp_migration *m, const char *name)
{
    mqp_migration_stat s[4];
    size_t n = mqp_migration_stats(m, s, 4);
    for (size_t i = 0; i < n && i < 4; i++) {
        if (strcmp(s[i].name, name) == 0) {
            return s[i];
        }
    }
    fail_msg("no template '%s' in the stats", name);
    return s[0];
}

static void test_migration_counts_notices_and_quiet(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    logbook book = {.mu = PTHREAD_MUTEX_INITIALIZER};
    mqp_client_opts o = test_opts(url, "migrating");
    o.log_cb = log_into;
    o.log_user = &book;
    o.log_level = MQP_LOG_NOTICE;
    mqp_client *c = test_client(&o);
    mqp_topics t = layout("v1", "");
    mqp_migration *m = NULL;
    mqp_migration_opts mo = {.notice_interval_s = 1, .quiet_s = 2};
    assert_ok(mqp_migration_new(&m, c, &t, &mo));
    collector *col = collector_new();
    char err[MQP_TOPICS_ERRLEN];
    assert_ok(mqp_migration_subscribe(m, "voice", MQP_TEMPLATE_VOICE, salon_all, 3, 1, collector_cb,
                                      col, err, sizeof err));
    assert_ok(mqp_client_sync(c, 5000));

    o = test_opts(url, "legacy-only");
    mqp_client *old = test_client(&o);
    o = test_opts(url, "v1-only");
    mqp_client *cur = test_client(&o);
    publish_n(old, "voice_assistant/room/salon/session/s1/display_action", 3);
    publish_n(old, "voice_assistant/room/salon/session/s1/state", 2);
    publish_n(cur, "v1/voice_assistant/room/salon/session/s2/state", 4);
    publish_n(cur, "v1/voice_assistant/room/kitchen/session/s3/state", 1); /* Not subscribed. */
    const mqp_topic_var kitchen[] = {{"room_id", "kitchen", 0},
                                     {"session_id", "s4", 0},
                                     {"topic_type", "response/stream/chunk", MQP_VAR_MULTILEVEL}};
    for (int i = 0; i < 2; i++) {
        assert_ok(mqp_migration_publish(m, "voice", MQP_TEMPLATE_VOICE, kitchen, 3, "{}", 2, 1,
                                        false, err, sizeof err));
    }
    assert_true(wait_for(collector_count(col) == 9, 5000));
    mqp_migration_stat s = stat_of(m, "voice");
    assert_int_equal(s.received[0], 4);
    assert_int_equal(s.received[1], 5);
    assert_int_equal(s.sent[0], 2);
    assert_int_equal(s.sent[1], 2);
    assert_true(s.previous_age_s >= 0 && s.previous_age_s < 5);
    assert_false(mqp_migration_droppable(m));

    /* Within a notice interval (or two, if one ended while they came): what came on the old
     * layout, by kind. */
    assert_true(wait_for(noticed(&book) == 5, 4000));
    assert_true(logged(&book, "display_action") && logged(&book, "state"));
    /* Two seconds without any: droppable, said once. */
    assert_true(
        wait_for(logged(&book, "no traffic on the previous layout '' (legacy) for "), 5000));
    assert_true(logged(&book, " s: it can be dropped\n"));
    assert_true(mqp_migration_droppable(m));
    /* Traffic again: said, and no longer droppable. */
    publish_n(old, "voice_assistant/room/salon/session/s1/transcript/final", 1);
    assert_true(wait_for(logged(&book, "voice: traffic on the previous layout '' (legacy) again, "
                                       "from transcript/final: it cannot be dropped yet"),
                         3000));
    assert_false(mqp_migration_droppable(m));
    assert_int_equal(stat_of(m, "voice").received[1], 6);
    assert_true(wait_for(logged(&book, "voice: 1 message on layout '' (legacy) in the last 1 s, "
                                       "from transcript/final\n"),
                         3000));

    mqp_migration_free(m);
    size_t before = collector_count(col);
    publish_n(old, "voice_assistant/room/salon/session/s1/state", 1);
    assert_ok(mqp_client_sync(old, 5000));
    assert_ok(mqp_client_sync(c, 5000));
    assert_int_equal(collector_count(col), before); /* Unsubscribed with the migration. */
    mqp_client_destroy(old);
    mqp_client_destroy(cur);
    mqp_client_destroy(c);
    collector_free(col);
}

static void test_migration_not_migrating(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "settled");
    mqp_client *c = test_client(&o);
    mqp_topics t = layout("v2", NULL);
    mqp_migration *m = NULL;
    assert_ok(mqp_migration_new(&m, c, &t, NULL));
    collector *col = collector_new();
    assert_ok(mqp_migration_subscribe(m, "voice", MQP_TEMPLATE_VOICE, salon_all, 3, 1, collector_cb,
                                      col, NULL, 0));
    const mqp_topic_var one[] = {
        {"room_id", "salon", 0}, {"session_id", "a", 0}, {"topic_type", "state", 0}};
    assert_ok(
        mqp_migration_publish(m, "voice", MQP_TEMPLATE_VOICE, one, 3, "{}", 2, 1, false, NULL, 0));
    assert_true(wait_for(collector_count(col) == 1, 5000));
    assert_string_equal(collector_get(col, 0).topic,
                        "v2/voice_assistant/room/salon/session/a/state");
    mqp_migration_stat s = stat_of(m, "voice");
    assert_int_equal(s.received[0], 1);
    assert_int_equal(s.received[1], 0);
    assert_int_equal(s.sent[0], 1);
    assert_int_equal(s.sent[1], 0);
    assert_true(s.previous_age_s < 0);
    assert_false(mqp_migration_droppable(m));
    mqp_migration_free(m);
    mqp_client_destroy(c);
    collector_free(col);
}

static void test_migration_bad_arguments(void **state)
{
    fixture *f = *state;
    mqp_client_opts o = test_opts(fixture_url(f), "bad-migration");
    mqp_client *c = test_client(&o);
    mqp_topics t = layout("v1", "");
    mqp_migration *m = NULL;
    assert_rc(mqp_migration_new(NULL, c, &t, NULL), MQP_ERR_INVALID);
    assert_rc(mqp_migration_new(&m, NULL, &t, NULL), MQP_ERR_INVALID);
    mqp_migration_opts bad = {.quiet_s = -1};
    assert_rc(mqp_migration_new(&m, c, &t, &bad), MQP_ERR_INVALID);
    bad = (mqp_migration_opts){.reserved = {1}};
    assert_rc(mqp_migration_new(&m, c, &t, &bad), MQP_ERR_INVALID);
    assert_null(m);
    assert_ok(mqp_migration_new(&m, c, &t, NULL));
    char err[MQP_TOPICS_ERRLEN] = "";
    const mqp_topic_var slash[] = {
        {"room_id", "a/b", 0}, {"session_id", "+", 0}, {"topic_type", "#", 0}};
    assert_rc(mqp_migration_subscribe(m, "voice", MQP_TEMPLATE_VOICE, slash, 3, 1, collector_cb,
                                      NULL, err, sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "room_id"));
    assert_rc(mqp_migration_subscribe(m, "", MQP_TEMPLATE_VOICE, salon_all, 3, 1, collector_cb,
                                      NULL, err, sizeof err),
              MQP_ERR_INVALID);
    assert_non_null(strstr(err, "template name ''"));
    assert_rc(mqp_migration_publish(m, "voice", MQP_TEMPLATE_VOICE, salon_all, 3, "{}", 2, 1, false,
                                    err, sizeof err),
              MQP_ERR_TOPIC); /* Wildcards in a name to publish to. */
    assert_int_equal(mqp_migration_stats(m, NULL, 0), 0);
    assert_int_equal(mqp_migration_stats(NULL, NULL, 0), 0);
    assert_false(mqp_migration_droppable(NULL));
    mqp_migration_free(m);
    mqp_migration_free(NULL);
    mqp_client_destroy(c);
}

/* Freed while messages still arrive: no handler touches the freed migration (ASan, TSan). */
static void test_migration_free_under_traffic(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "freed-migrating");
    mqp_client *c = test_client(&o);
    o = test_opts(url, "freed-legacy");
    mqp_client *old = test_client(&o);
    mqp_topics t = layout("v1", "");
    for (int round = 0; round < 3; round++) {
        mqp_migration *m = NULL;
        assert_ok(mqp_migration_new(&m, c, &t, NULL));
        collector *col = collector_new();
        assert_ok(mqp_migration_subscribe(m, "voice", MQP_TEMPLATE_VOICE, salon_all, 3, 0,
                                          collector_cb, col, NULL, 0));
        assert_ok(mqp_client_sync(c, 5000));
        for (int i = 0; i < 300; i++) {
            (void)mqp_client_publish(old, "voice_assistant/room/salon/session/x/state", "{}", 2, 0,
                                     false);
        }
        assert_true(wait_for(collector_count(col) > 0, 5000));
        mqp_migration_free(m);
        assert_ok(mqp_client_sync(old, 5000));
        assert_ok(mqp_client_sync(c, 5000));
        collector_free(col);
    }
    mqp_client_destroy(old);
    mqp_client_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_counts_notices_and_quiet),
        cmocka_unit_test(test_migration_not_migrating),
        cmocka_unit_test(test_migration_bad_arguments),
        cmocka_unit_test(test_migration_free_under_traffic),
    };
    return RUN_ON_BOTH(tests);
}
