/* Topic validation and matching against the cases of MQTT 5 section 4.7. */
#include "check.h"

#include "mqplane/topic.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *filter;
    const char *topic;
    bool match;
} match_cases[] = {
    /* 4.7.1.2: the multi-level wildcard, including its parent level. */
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/tennis/player1/#", "sport/tennis/player2", false},
    {"sport/#", "sport", true},
    {"sport/#", "sports", false},
    {"#", "sport/tennis", true},
    {"#", "/", true},
    /* 4.7.1.3: the single-level wildcard. */
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player2", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+", "/finance", false},
    {"+", "finance", true},
    {"+/tennis/#", "sport/tennis", true},
    {"sport/+/player1", "sport/tennis/player1", true},
    {"sport/+/player1", "sport/tennis/player2", false},
    /* 4.7.2: $-topics are not matched by a leading wildcard. */
    {"#", "$SYS/broker/uptime", false},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
    {"$SYS/#", "$SYS/monitor/Clients", true},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
    /* 4.7.3: case-sensitive, literal matching otherwise. */
    {"ACCOUNTS", "Accounts", false},
    {"Accounts payable", "Accounts payable", true},
    {"/", "/", true},
    {"/finance", "finance", false},
    {"a//b", "a//b", true},
    {"a/+/b", "a//b", true},
    {"a/b/c", "a/b", false},
    {"a/b", "a/b/c", false},
    /* Shared subscriptions match like their filter. */
    {"$share/grp/inference/+/commands", "inference/control/commands", true},
    {"$share/grp/#", "anything/at/all", true},
    {"$share/grp/a", "b", false},
    /* The reference layouts. */
    {"v1/voice_assistant/room/salon/session/+/#",
     "v1/voice_assistant/room/salon/session/abc-123/transcript/interim", true},
    {"v1/voice_assistant/room/salon/session/+/#",
     "v1/voice_assistant/room/bedroom/session/abc-123/state", false},
    {"inference/data/+", "inference/data/detections", true},
};

static void test_mqp_topic_matches_bad_arguments(void **state)
{
    (void)state;
    assert_false(mqp_topic_matches(NULL, "a"));
    assert_false(mqp_topic_matches("a", NULL));
    assert_false(mqp_topic_matches("$share/a", "a"));
}

static void test_mqp_topic_matches_specification_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        bool got = mqp_topic_matches(match_cases[i].filter, match_cases[i].topic);
        if (got != match_cases[i].match) {
            print_error("filter '%s' topic '%s': got %d, expected %d\n", match_cases[i].filter,
                        match_cases[i].topic, got, match_cases[i].match);
            fail();
        }
    }
}

static void test_mqp_topic_validate_filter_table(void **state)
{
    (void)state;
    const char *valid[] = {"#",    "+",      "sport/tennis/#", "+/tennis/#",   "sport/+/player1",
                           "/",    "+/+",    "$SYS/#",         "$share/g/a/b", "$share/g/#",
                           "a//b", "sport/+"};
    const char *invalid[] = {"",
                             "sport/tennis#",
                             "sport/tennis/#/ranking",
                             "sport+",
                             "#/a",
                             "a/b+",
                             "a/#b",
                             "$share/g",
                             "$share//a",
                             "$share/g+/a",
                             "$share/g/",
                             "$share/g#/x",
                             "\xc0\xaf",
                             "a\xed\xa0\x80"};
    assert_rc(mqp_topic_validate_filter(NULL), MQP_ERR_INVALID);
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        if (mqp_topic_validate_filter(valid[i]) != MQP_OK) {
            print_error("'%s' should be a valid filter\n", valid[i]);
            fail();
        }
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (mqp_topic_validate_filter(invalid[i]) != MQP_ERR_TOPIC) {
            print_error("'%s' should be an invalid filter\n", invalid[i]);
            fail();
        }
    }
}

static void test_mqp_topic_validate_name_table(void **state)
{
    (void)state;
    assert_rc(mqp_topic_validate_name(NULL), MQP_ERR_INVALID);
    assert_ok(mqp_topic_validate_name("inference/control/commands"));
    assert_ok(mqp_topic_validate_name("/"));
    assert_ok(mqp_topic_validate_name("caf\xc3\xa9/\xf0\x9f\x93\xb7"));
    assert_rc(mqp_topic_validate_name(""), MQP_ERR_TOPIC);
    assert_rc(mqp_topic_validate_name("a/+"), MQP_ERR_TOPIC);
    assert_rc(mqp_topic_validate_name("a/#"), MQP_ERR_TOPIC);
    assert_rc(mqp_topic_validate_name("bad\xff"), MQP_ERR_TOPIC);
    assert_rc(mqp_topic_validate_name("overlong\xc1\x81"), MQP_ERR_TOPIC);

    char *big = malloc(MQP_TOPIC_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', MQP_TOPIC_MAX);
    big[MQP_TOPIC_MAX] = '\0';
    assert_ok(mqp_topic_validate_name(big));
    big[MQP_TOPIC_MAX] = 'a';
    big[MQP_TOPIC_MAX + 1] = '\0';
    assert_rc(mqp_topic_validate_name(big), MQP_ERR_TOPIC);
    free(big);
}

static void test_mqp_utf8_valid_edges(void **state)
{
    (void)state;
    assert_true(mqp_utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
    assert_false(mqp_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(mqp_utf8_valid("\xed\xbf\xbf", 3));     /* surrogate */
    assert_false(mqp_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(mqp_utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(mqp_utf8_valid("a\0b", 3));             /* NUL */
    assert_true(mqp_utf8_valid("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_topic_matches_bad_arguments),
        cmocka_unit_test(test_mqp_topic_matches_specification_table),
        cmocka_unit_test(test_mqp_topic_validate_filter_table),
        cmocka_unit_test(test_mqp_topic_validate_name_table),
        cmocka_unit_test(test_mqp_utf8_valid_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
