/* URL parsing: every part, every error naming its part, env fallback, redaction. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include "mqplane/url.h"

#include "alloc.h"
#include "url_format.h"

#include <stdlib.h>
#include <string.h>

static void expect_bad(const char *url, const char *fragment)
{
    mqp_url u;
    char err[MQP_URL_ERRLEN];
    mqp_err rc = mqp_url_parse(url, &u, err, sizeof err);
    if (rc != MQP_ERR_URL || !strstr(err, fragment)) {
        print_error("url '%s': rc=%s err='%s', expected fragment '%s'\n", url, mqp_err_name(rc),
                    err, fragment);
        fail();
    }
}

static void test_mqp_url_parse_bad_arguments(void **state)
{
    (void)state;
    mqp_url u;
    assert_rc(mqp_url_parse(NULL, &u, NULL, 0), MQP_ERR_INVALID);
    assert_rc(mqp_url_parse("mqtt://h", NULL, NULL, 0), MQP_ERR_INVALID);
}

static void test_mqp_url_parse_defaults(void **state)
{
    (void)state;
    mqp_url u;
    assert_ok(mqp_url_parse("mqtt://broker.local", &u, NULL, 0));
    assert_int_equal(u.scheme, MQP_SCHEME_MQTT);
    assert_string_equal(u.host, "broker.local");
    assert_int_equal(u.port, 1883);
    assert_null(u.username);
    assert_null(u.password);
    assert_null(u.client_id);
    assert_int_equal(u.keepalive, 0);
    assert_int_equal(u.protocol, MQP_PROTOCOL_AUTO);
    mqp_url_clear(&u);

    assert_ok(mqp_url_parse("MQTTS://broker", &u, NULL, 0));
    assert_int_equal(u.scheme, MQP_SCHEME_MQTTS);
    assert_int_equal(u.port, 8883);
    mqp_url_clear(&u);
}

static void test_mqp_url_parse_full(void **state)
{
    (void)state;
    mqp_url u;
    assert_ok(mqp_url_parse("mqtt://adeline:s3cr%40t%3Ax@10.0.0.5:1884/?client_id=cam%2F1"
                            "&keepalive=15&protocol=311",
                            &u, NULL, 0));
    assert_string_equal(u.username, "adeline");
    assert_string_equal(u.password, "s3cr@t:x");
    assert_string_equal(u.host, "10.0.0.5");
    assert_int_equal(u.port, 1884);
    assert_string_equal(u.client_id, "cam/1");
    assert_int_equal(u.keepalive, 15);
    assert_int_equal(u.protocol, MQP_PROTOCOL_V311);
    mqp_url_clear(&u);

    /* A raw '@' in the password: the last '@' ends the user info. */
    assert_ok(mqp_url_parse("mqtt://u:p@ss@host", &u, NULL, 0));
    assert_string_equal(u.password, "p@ss");
    assert_string_equal(u.host, "host");
    mqp_url_clear(&u);

    assert_ok(mqp_url_parse("mqtt://user@host?protocol=5", &u, NULL, 0));
    assert_string_equal(u.username, "user");
    assert_null(u.password);
    assert_int_equal(u.protocol, MQP_PROTOCOL_V5);
    mqp_url_clear(&u);
}

static void test_mqp_url_parse_ipv6(void **state)
{
    (void)state;
    mqp_url u;
    assert_ok(mqp_url_parse("mqtt://[::1]:1999", &u, NULL, 0));
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 1999);
    mqp_url_clear(&u);
    assert_ok(mqp_url_parse("mqtts://[fe80::1%25eth0]", &u, NULL, 0));
    assert_string_equal(u.host, "fe80::1%25eth0");
    assert_int_equal(u.port, 8883);
    mqp_url_clear(&u);
    expect_bad("mqtt://[::1", "closing ']'");
    expect_bad("mqtt://[zz]:1", "not an IPv6 address");
    expect_bad("mqtt://[::1]x", "unexpected 'x' after the host");
}

static void test_mqp_url_parse_memory(void **state)
{
    (void)state;
    mqp_url u;
    assert_ok(mqp_url_parse("memory://unit-test_1?client_id=a", &u, NULL, 0));
    assert_int_equal(u.scheme, MQP_SCHEME_MEMORY);
    assert_string_equal(u.host, "unit-test_1");
    assert_int_equal(u.port, 0);
    assert_string_equal(u.client_id, "a");
    mqp_url_clear(&u);
    expect_bad("memory://", "needs a broker name");
    expect_bad("memory://a b", "may only hold");
    expect_bad("memory://u:p@x", "takes no user name");
}

static void test_mqp_url_parse_errors_name_the_part(void **state)
{
    (void)state;
    expect_bad("localhost:1883", "missing scheme");
    expect_bad("http://host", "unknown scheme 'http'");
    expect_bad("mqtt://", "missing host");
    expect_bad("mqtt://:1883", "missing host");
    expect_bad("mqtt://host:0", "port '0'");
    expect_bad("mqtt://host:65536", "port '65536'");
    expect_bad("mqtt://host:12ab", "port '12ab'");
    expect_bad("mqtt://host:", "port ''");
    expect_bad("mqtt://ho st", "host 'ho st'");
    expect_bad("mqtt://host/path", "unexpected path '/path'");
    expect_bad("mqtt://host#frag", "fragments");
    expect_bad("mqtt://host?keepalive=2", "keepalive '2'");
    expect_bad("mqtt://host?keepalive=abc", "keepalive 'abc'");
    expect_bad("mqtt://host?protocol=4", "protocol '4'");
    expect_bad("mqtt://host?colour=red", "unknown query parameter 'colour'");
    expect_bad("mqtt://host?client_id=", "client_id must be");
    expect_bad("mqtt://host?=x", "empty query parameter name");
    expect_bad("mqtt://%zz@host", "bad percent-escape in the username");
    expect_bad("mqtt://:pw@host", "empty username");
    expect_bad("mqtt://u:%00@host", "bad percent-escape in the password");
    expect_bad("mqtt://u:%4@host", "bad percent-escape in the password");
}

static void test_mqp_url_parse_error_never_shows_password(void **state)
{
    (void)state;
    const char *bad[] = {"mqtt://u:hunter2@host:99999", "mqtt://u:hunter2@ho st",
                         "mqtt://u:hunter2%zz@host", "mqtt://u:hunter2@host/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mqp_url u;
        char err[MQP_URL_ERRLEN];
        assert_rc(mqp_url_parse(bad[i], &u, err, sizeof err), MQP_ERR_URL);
        assert_null(strstr(err, "hunter2"));
    }
}

static void test_mqp_url_redacted_hides_password(void **state)
{
    (void)state;
    mqp_url u;
    assert_ok(mqp_url_parse("mqtt://op:hunter2@[::1]:1884", &u, NULL, 0));
    char buf[128];
    size_t n = mqp_url_redacted(&u, buf, sizeof buf);
    assert_string_equal(buf, "mqtt://op:***@[::1]:1884");
    assert_int_equal(n, strlen(buf));
    mqp_url_clear(&u);
    assert_ok(mqp_url_parse("memory://x", &u, NULL, 0));
    mqp_url_redacted(&u, buf, sizeof buf);
    assert_string_equal(buf, "memory://x");
    mqp_url_clear(&u);
}

static void clear_env(void)
{
    unsetenv("MQTT_URL");
    unsetenv("MQTT_BROKER_HOST");
    unsetenv("MQTT_BROKER_PORT");
    unsetenv("MQTT_USERNAME");
    unsetenv("MQTT_PASSWORD");
}

static void test_mqp_url_resolve_environment(void **state)
{
    (void)state;
    mqp_url u;
    clear_env();
    assert_ok(mqp_url_resolve(NULL, &u, NULL, 0));
    assert_string_equal(u.host, "localhost");
    assert_int_equal(u.port, 1883);
    mqp_url_clear(&u);

    setenv("MQTT_BROKER_HOST", "10.1.2.3", 1);
    setenv("MQTT_BROKER_PORT", "2883", 1);
    setenv("MQTT_USERNAME", "adeline", 1);
    setenv("MQTT_PASSWORD", "pw", 1);
    assert_ok(mqp_url_resolve(NULL, &u, NULL, 0));
    assert_string_equal(u.host, "10.1.2.3");
    assert_int_equal(u.port, 2883);
    assert_string_equal(u.username, "adeline");
    assert_string_equal(u.password, "pw");
    mqp_url_clear(&u);

    /* MQTT_URL wins over the host/port variables; credentials still fill the gaps. */
    setenv("MQTT_URL", "mqtt://other:1999", 1);
    assert_ok(mqp_url_resolve(NULL, &u, NULL, 0));
    assert_string_equal(u.host, "other");
    assert_string_equal(u.username, "adeline");
    mqp_url_clear(&u);

    /* A URL given by the caller wins, and its own credentials are kept. */
    assert_ok(mqp_url_resolve("mqtt://me:mine@h", &u, NULL, 0));
    assert_string_equal(u.username, "me");
    assert_string_equal(u.password, "mine");
    mqp_url_clear(&u);

    setenv("MQTT_BROKER_HOST", "::1", 1);
    unsetenv("MQTT_URL");
    assert_ok(mqp_url_resolve(NULL, &u, NULL, 0));
    assert_string_equal(u.host, "::1");
    mqp_url_clear(&u);

    char err[MQP_URL_ERRLEN];
    setenv("MQTT_URL", "mqtt://host:bad", 1);
    assert_rc(mqp_url_resolve(NULL, &u, err, sizeof err), MQP_ERR_URL);
    assert_non_null(strstr(err, "(from MQTT_URL)"));
    clear_env();
}

static void expect_bad_list(const char *list, const char *fragment)
{
    mqp_url u[MQP_URL_LIST_MAX];
    size_t n = 99;
    char err[MQP_URL_ERRLEN];
    mqp_err rc = mqp_url_list_parse(list, u, MQP_URL_LIST_MAX, &n, err, sizeof err);
    if (rc != MQP_ERR_URL || !strstr(err, fragment) || n != 99) {
        print_error("list '%s': rc=%s err='%s', expected fragment '%s'\n", list, mqp_err_name(rc),
                    err, fragment);
        fail();
    }
}

static void test_mqp_url_list(void **state)
{
    (void)state;
    mqp_url u[MQP_URL_LIST_MAX];
    size_t n = 0;
    assert_ok(mqp_url_list_parse("mqtt://a:1883, mqtt://u:p%2Cq@b:1884 ,mqtt://[::1]:1885", u,
                                 MQP_URL_LIST_MAX, &n, NULL, 0));
    assert_int_equal(n, 3);
    assert_string_equal(u[0].host, "a");
    assert_string_equal(u[1].host, "b");
    assert_int_equal(u[1].port, 1884);
    assert_string_equal(u[1].password, "p,q");
    assert_string_equal(u[2].host, "::1");
    char shown[512];
    mqp_url_list_redacted(u, n, shown, sizeof shown);
    assert_string_equal(shown, "mqtt://a:1883,mqtt://u:***@b:1884,mqtt://[::1]:1885");
    for (size_t i = 0; i < n; i++) {
        mqp_url_clear(&u[i]);
    }
    /* One URL is a list of one; the first's query applies, a later one may repeat it. */
    assert_ok(mqp_url_list_parse("mqtt://a?client_id=x", u, MQP_URL_LIST_MAX, &n, NULL, 0));
    assert_int_equal(n, 1);
    mqp_url_clear(&u[0]);
    assert_ok(mqp_url_list_parse("mqtt://a?client_id=x&keepalive=30,mqtt://b?client_id=x", u,
                                 MQP_URL_LIST_MAX, &n, NULL, 0));
    assert_int_equal(n, 2);
    mqp_url_clear(&u[0]);
    mqp_url_clear(&u[1]);

    expect_bad_list("mqtt://a,,mqtt://b", "an empty URL at place 2");
    expect_bad_list("mqtt://a,", "an empty URL after the last comma");
    expect_bad_list("mqtt://a,mqtts://b", "broker 2 of 2 is mqtts:// but the first is mqtt://");
    expect_bad_list("memory://x,mqtt://b", "memory:// cannot be one of several brokers");
    expect_bad_list("mqtt://a,mqtt://b?client_id=y",
                    "broker 2 of 2 sets client_id unlike the first");
    expect_bad_list("mqtt://a?protocol=5,mqtt://b?protocol=311", "sets protocol unlike the first");
    expect_bad_list("mqtt://a,mqtt://b:99999", "broker list: broker 2: invalid broker URL");
    expect_bad_list("mqtt://a,mqtt://b,mqtt://c,mqtt://d,mqtt://e,mqtt://f,mqtt://g,mqtt://h,"
                    "mqtt://i",
                    "more than 8 brokers");
    expect_bad_list("mqtt://u:secret@a,mqtt://b:x", "broker 2");
    char err[MQP_URL_ERRLEN];
    assert_rc(mqp_url_list_parse("mqtt://u:secret@a,mqtt://b:x", u, MQP_URL_LIST_MAX, &n, err,
                                 sizeof err),
              MQP_ERR_URL);
    assert_null(strstr(err, "secret"));
    assert_rc(mqp_url_list_parse(NULL, u, 1, &n, NULL, 0), MQP_ERR_INVALID);
    assert_rc(mqp_url_list_parse("mqtt://a,mqtt://b", u, 1, &n, err, sizeof err), MQP_ERR_URL);
    assert_non_null(strstr(err, "more than 1 brokers"));

    /* From the environment, credentials filling each URL's gaps. */
    clear_env();
    setenv("MQTT_URL", "mqtt://a:1,mqtt://me:mine@b:2", 1);
    setenv("MQTT_USERNAME", "adeline", 1);
    setenv("MQTT_PASSWORD", "pw", 1);
    assert_ok(mqp_url_list_resolve(NULL, u, MQP_URL_LIST_MAX, &n, NULL, 0));
    assert_int_equal(n, 2);
    assert_string_equal(u[0].username, "adeline");
    assert_string_equal(u[0].password, "pw");
    assert_string_equal(u[1].username, "me");
    assert_string_equal(u[1].password, "mine");
    mqp_url_clear(&u[0]);
    mqp_url_clear(&u[1]);
    setenv("MQTT_URL", "mqtt://a:1,mqtts://b:2", 1);
    assert_rc(mqp_url_list_resolve(NULL, u, MQP_URL_LIST_MAX, &n, err, sizeof err), MQP_ERR_URL);
    assert_non_null(strstr(err, "(from MQTT_URL)"));
    unsetenv("MQTT_URL");
    assert_ok(mqp_url_list_resolve(NULL, u, MQP_URL_LIST_MAX, &n, NULL, 0));
    assert_int_equal(n, 1);
    assert_string_equal(u[0].host, "localhost");
    mqp_url_clear(&u[0]);
    clear_env();
}

static void test_mqp__url_format_round_trip(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "mqtt://h:1883",
        "mqtts://op:p%40ss@h:8883",
        "mqtt://u%20s:p%3Aw%2F%25%23@[::1]:1",
        "mqtt://user@10.0.0.7:2883",
        "mqtts://h:8884/?client_id=cam%2F1&keepalive=30&protocol=311",
        "mqtt://h:1883/?protocol=5",
        "memory://bus",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        mqp_url u, back;
        assert_ok(mqp_url_parse(urls[i], &u, NULL, 0));
        char *text = mqp__url_format(&u);
        assert_non_null(text);
        assert_string_equal(text, urls[i]); /* These are already in the written form. */
        assert_ok(mqp_url_parse(text, &back, NULL, 0));
        assert_int_equal(back.scheme, u.scheme);
        assert_string_equal(back.host, u.host);
        assert_int_equal(back.port, u.port);
        assert_true((!u.username && !back.username) || strcmp(u.username, back.username) == 0);
        assert_true((!u.password && !back.password) || strcmp(u.password, back.password) == 0);
        assert_true((!u.client_id && !back.client_id) || strcmp(u.client_id, back.client_id) == 0);
        assert_int_equal(back.keepalive, u.keepalive);
        assert_int_equal(back.protocol, u.protocol);
        mqp__free(text);
        mqp_url_clear(&u);
        mqp_url_clear(&back);
    }
    /* A port the text left out is written. */
    mqp_url u;
    assert_ok(mqp_url_parse("mqtts://h", &u, NULL, 0));
    char *text = mqp__url_format(&u);
    assert_string_equal(text, "mqtts://h:8883");
    mqp__free(text);
    mqp_url_clear(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp__url_format_round_trip),
        cmocka_unit_test(test_mqp_url_parse_bad_arguments),
        cmocka_unit_test(test_mqp_url_parse_defaults),
        cmocka_unit_test(test_mqp_url_parse_full),
        cmocka_unit_test(test_mqp_url_parse_ipv6),
        cmocka_unit_test(test_mqp_url_parse_memory),
        cmocka_unit_test(test_mqp_url_parse_errors_name_the_part),
        cmocka_unit_test(test_mqp_url_parse_error_never_shows_password),
        cmocka_unit_test(test_mqp_url_redacted_hides_password),
        cmocka_unit_test(test_mqp_url_resolve_environment),
        cmocka_unit_test(test_mqp_url_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
