/* The control plane against a client written to the reference: every command, the retained
 * status, answers with request ids and MQTT 5 response topics, bad input, handler failure,
 * the "disconnected" will, and "stopped" at the end. On mosquitto and on memory://. */
#define _GNU_SOURCE
#include "fixture.h"

#include "mqplane/controlplane.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>

typedef struct app {
    atomic_int calls[MQP_CMD_COUNT];
    atomic_int fail_next; /* The next command fails with this message. */
    atomic_int bad_result;
} app;

static mqp_err on_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *u)
{
    (void)cp;
    app *a = u;
    atomic_fetch_add(&a->calls[cmd], 1);
    if (atomic_exchange(&a->fail_next, 0)) {
        snprintf(r->error, r->error_cap, "camera 0 is gone");
        return MQP_ERR_IO;
    }
    if (atomic_exchange(&a->bad_result, 0)) {
        snprintf(r->result, r->result_cap, "{oops");
        return MQP_OK;
    }
    if (cmd == MQP_CMD_STATUS) {
        snprintf(r->result, r->result_cap, "{\"pipeline\":\"running\",\"fps\":30.0}");
    } else if (cmd == MQP_CMD_STABILIZATION_STATS) {
        snprintf(r->result, r->result_cap, "{\"tracks_active\":2,\"flicker_suppressed\":5}");
    }
    return MQP_OK;
}

typedef struct rig {
    app a;
    mqp_controlplane *cp;
    mqp_client *op; /* The operator's client. */
    collector *status;
    collector *responses;
} rig;

static void rig_up(rig *r, fixture *f)
{
    memset(r, 0, sizeof *r);
    const char *url = fixture_url(f);
    mqp_controlplane_opts o = {.client = test_opts(url, NULL),
                               .on_command = on_command,
                               .user = &r->a,
                               .max_payload = 1024};
    char err[256];
    assert_ok(mqp_controlplane_new(&r->cp, &o, err, sizeof err));
    assert_ok(mqp_controlplane_start(r->cp, 5000));
    assert_string_equal(mqp_client_id(mqp_controlplane_client(r->cp)), "inference_control");
    /* The tests share a broker, whose retained status is the previous test's until this plane's
     * "connected" (published on its network thread once connected) has reached it: wait for
     * that, so the operator's first status message is this plane's, and no later one is the
     * live copy of it. A count off by one under load was exactly that. */
    mqp_controlplane_stats st;
    assert_true(wait_for((mqp_controlplane_stats_get(r->cp, &st), st.status_published >= 1), 5000));
    assert_ok(mqp_client_sync(mqp_controlplane_client(r->cp), 5000));
    mqp_client_opts oo = test_opts(url, "operator");
    oo.no_health = true;
    r->op = test_client(&oo);
    r->status = collector_new();
    r->responses = collector_new();
    assert_ok(mqp_client_subscribe(r->op, "inference/control/status", 1, collector_cb, r->status));
    assert_ok(
        mqp_client_subscribe(r->op, "inference/control/responses", 1, collector_cb, r->responses));
    assert_ok(mqp_client_sync(r->op, 5000)); /* The broker has the (un)subscriptions. */
}

static void rig_down(rig *r)
{
    mqp_controlplane_destroy(r->cp);
    mqp_client_destroy(r->op);
    collector_free(r->status);
    collector_free(r->responses);
}

static void send_cmd(rig *r, const char *json)
{
    assert_ok(
        mqp_client_publish(r->op, "inference/control/commands", json, strlen(json), 1, false));
}

static cJSON *last_json(collector *c)
{
    collected m = collector_get(c, collector_count(c) - 1);
    cJSON *j = cJSON_Parse(m.payload);
    assert_non_null(j);
    return j;
}

static const char *str(cJSON *j, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(j, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_mqp_controlplane_new_bad_options(void **state)
{
    (void)state;
    mqp_controlplane *cp = NULL;
    char err[256];
    mqp_controlplane_opts o = {.client = {.url = "memory://cp-bad"}};
    assert_rc(mqp_controlplane_new(&cp, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "handler"));
    o.on_command = on_command;
    o.status_topic = "a/+";
    assert_rc(mqp_controlplane_new(&cp, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "status_topic"));
    assert_null(cp);
    mqp_command c;
    assert_ok(mqp_command_parse("Toggle_Crop", &c));
    assert_int_equal(c, MQP_CMD_TOGGLE_CROP);
    assert_rc(mqp_command_parse("fly", &c), MQP_ERR_NOT_FOUND);
    assert_string_equal(mqp_status_name(MQP_STATUS_DISCONNECTED), "disconnected");
    mqp_controlplane_destroy(NULL);
}

static void test_mqp_controlplane_status_lifecycle(void **state)
{
    rig r;
    rig_up(&r, *state);
    /* "connected" on connect... */
    assert_true(wait_for(collector_count(r.status) >= 1, 3000));
    cJSON *j = last_json(r.status);
    assert_string_equal(str(j, "status"), "connected");
    assert_string_equal(str(j, "client_id"), "inference_control");
    assert_int_equal(strlen(str(j, "timestamp")), 26);
    cJSON_Delete(j);
    /* ...retained: a subscriber that comes later gets it at once. */
    fixture *f = *state;
    mqp_client_opts lo = test_opts(f->url, "late-operator");
    lo.no_health = true;
    mqp_client *lc = test_client(&lo);
    collector *late = collector_new();
    assert_ok(mqp_client_subscribe(lc, "inference/control/status", 1, collector_cb, late));
    assert_true(wait_for(collector_count(late) == 1, 3000));
    assert_true(collector_get(late, 0).retain);
    assert_non_null(strstr(collector_get(late, 0).payload, "\"connected\""));
    mqp_client_destroy(lc);
    collector_free(late);
    assert_ok(mqp_controlplane_set_status(r.cp, MQP_STATUS_RUNNING));
    assert_true(wait_for(collector_count(r.status) >= 2, 3000));
    j = last_json(r.status);
    assert_string_equal(str(j, "status"), "running");
    cJSON_Delete(j);
    /* pause and resume move the status; without a request id there is no answer. */
    send_cmd(&r, "{\"command\": \"pause\"}");
    assert_true(wait_for(collector_count(r.status) >= 3, 3000));
    j = last_json(r.status);
    assert_string_equal(str(j, "status"), "paused");
    cJSON_Delete(j);
    send_cmd(&r, "{\"command\": \"RESUME\"}"); /* any letter case */
    assert_true(wait_for(collector_count(r.status) >= 4, 3000));
    j = last_json(r.status);
    assert_string_equal(str(j, "status"), "running");
    cJSON_Delete(j);
    assert_int_equal(atomic_load(&r.a.calls[MQP_CMD_PAUSE]), 1);
    assert_int_equal(atomic_load(&r.a.calls[MQP_CMD_RESUME]), 1);
    assert_int_equal(collector_count(r.responses), 0);
    /* stop: "stopped"; and destroy does not publish it twice. */
    send_cmd(&r, "{\"command\": \"stop\"}");
    assert_true(wait_for(collector_count(r.status) >= 5, 3000));
    j = last_json(r.status);
    assert_string_equal(str(j, "status"), "stopped");
    cJSON_Delete(j);
    mqp_controlplane_destroy(r.cp);
    r.cp = NULL;
    mqpx_sleep_ms(200);
    assert_int_equal(collector_count(r.status), 5); /* No will after an orderly end. */
    rig_down(&r);
}

/* The status the last status message gives, and when it was made. */
static void last_status(collector *c, char *status, size_t slen, char *stamp, size_t tlen)
{
    cJSON *j = last_json(c);
    snprintf(status, slen, "%s", str(j, "status"));
    snprintf(stamp, tlen, "%s", str(j, "timestamp"));
    cJSON_Delete(j);
}

/* Waits for exactly one more status message, and checks it says want, made no earlier than the
 * one before (ISO 8601 of one length compares as text). */
static void expect_status(rig *r, size_t *count, const char *want)
{
    char before[40], status[32], stamp[40];
    last_status(r->status, status, sizeof status, before, sizeof before);
    assert_true(wait_for(collector_count(r->status) >= *count + 1, 3000));
    assert_int_equal(collector_count(r->status), *count + 1);
    (*count)++;
    last_status(r->status, status, sizeof status, stamp, sizeof stamp);
    assert_string_equal(status, want);
    assert_true(strcmp(stamp, before) >= 0);
}

static void test_mqp_controlplane_commands_restate_status(void **state)
{
    rig r;
    rig_up(&r, *state);
    assert_true(wait_for(collector_count(r.status) >= 1, 3000));
    assert_ok(mqp_controlplane_set_status(r.cp, MQP_STATUS_RUNNING));
    assert_true(wait_for(collector_count(r.status) >= 2, 3000));
    size_t n = 2;
    /* As the reference: every status, pause, resume and stop publishes the status, even when
     * it stays the same, so a client that watches only the status topic sees each one. */
    send_cmd(&r, "{\"command\": \"status\"}");
    expect_status(&r, &n, "running");
    send_cmd(&r, "{\"command\": \"pause\"}");
    expect_status(&r, &n, "paused");
    send_cmd(&r, "{\"command\": \"pause\"}");
    expect_status(&r, &n, "paused");
    send_cmd(&r, "{\"command\": \"status\"}");
    expect_status(&r, &n, "paused");
    send_cmd(&r, "{\"command\": \"resume\"}");
    expect_status(&r, &n, "running");
    /* The others leave the status topic alone: after them, the next status message is the
     * one a status command asked for (commands are handled, and published, in order). */
    send_cmd(&r, "{\"command\": \"metrics\"}");
    send_cmd(&r, "{\"command\": \"toggle_crop\"}");
    send_cmd(&r, "{\"command\": \"stabilization_stats\"}");
    send_cmd(&r, "{\"command\": \"status\"}");
    expect_status(&r, &n, "running");
    /* A failed command moves nothing. */
    atomic_store(&r.a.fail_next, 1);
    send_cmd(&r, "{\"command\": \"pause\"}");
    send_cmd(&r, "{\"command\": \"status\"}");
    expect_status(&r, &n, "running");
    send_cmd(&r, "{\"command\": \"stop\"}");
    expect_status(&r, &n, "stopped");
    rig_down(&r);
}

static void test_mqp_controlplane_answers(void **state)
{
    rig r;
    rig_up(&r, *state);
    /* status and stabilization_stats always answer, with their result. */
    send_cmd(&r, "{\"command\": \"status\"}");
    assert_true(wait_for(collector_count(r.responses) == 1, 3000));
    cJSON *j = last_json(r.responses);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "request_id")));
    assert_string_equal(str(j, "command"), "status");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_string_equal(str(j, "status"), "connected");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "fps")->valuedouble == 30);
    cJSON_Delete(j);
    send_cmd(&r, "{\"command\": \"stabilization_stats\", \"request_id\": 42}");
    assert_true(wait_for(collector_count(r.responses) == 2, 3000));
    j = last_json(r.responses);
    assert_int_equal(cJSON_GetObjectItem(j, "request_id")->valueint, 42);
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "flicker_suppressed")->valueint, 5);
    cJSON_Delete(j);
    /* Any command with a request id is answered. */
    send_cmd(&r, "{\"command\": \"toggle_crop\", \"request_id\": \"r-7\"}");
    assert_true(wait_for(collector_count(r.responses) == 3, 3000));
    j = last_json(r.responses);
    assert_string_equal(str(j, "request_id"), "r-7");
    assert_string_equal(str(j, "command"), "toggle_crop");
    assert_null(cJSON_GetObjectItem(j, "result"));
    assert_null(cJSON_GetObjectItem(j, "error"));
    cJSON_Delete(j);
    /* A handler's failure: answered, status unchanged, the plane goes on. */
    atomic_store(&r.a.fail_next, 1);
    send_cmd(&r, "{\"command\": \"pause\", \"request_id\": \"r-8\"}");
    assert_true(wait_for(collector_count(r.responses) == 4, 3000));
    j = last_json(r.responses);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
    assert_string_equal(str(j, "error"), "camera 0 is gone");
    assert_string_equal(str(j, "status"), "connected");
    cJSON_Delete(j);
    atomic_store(&r.a.bad_result, 1);
    send_cmd(&r, "{\"command\": \"metrics\", \"request_id\": 9}");
    assert_true(wait_for(collector_count(r.responses) == 5, 3000));
    j = last_json(r.responses);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
    assert_non_null(strstr(str(j, "error"), "not JSON"));
    cJSON_Delete(j);
    mqp_controlplane_stats s;
    mqp_controlplane_stats_get(r.cp, &s);
    assert_int_equal(s.received, 5);
    assert_int_equal(s.ok, 3);
    assert_int_equal(s.failed, 2);
    assert_int_equal(s.repeated, 0);
    rig_down(&r);
}

/* A request id carried out already (a QoS 1 redelivery, a client retrying): the same answer
 * again, the command not run again; a failure's answer too; a new id runs. */
static void test_mqp_controlplane_repeated_request_id(void **state)
{
    rig r;
    rig_up(&r, *state);
    send_cmd(&r, "{\"command\": \"toggle_crop\", \"request_id\": \"once\"}");
    assert_true(wait_for(collector_count(r.responses) == 1, 3000));
    send_cmd(&r, "{\"command\": \"toggle_crop\", \"request_id\": \"once\"}");
    assert_true(wait_for(collector_count(r.responses) == 2, 3000));
    assert_string_equal(collector_get(r.responses, 0).payload,
                        collector_get(r.responses, 1).payload);
    assert_int_equal(atomic_load(&r.a.calls[MQP_CMD_TOGGLE_CROP]), 1);
    atomic_store(&r.a.fail_next, 1);
    send_cmd(&r, "{\"command\": \"pause\", \"request_id\": 77}");
    assert_true(wait_for(collector_count(r.responses) == 3, 3000));
    send_cmd(&r, "{\"command\": \"pause\", \"request_id\": 77}");
    assert_true(wait_for(collector_count(r.responses) == 4, 3000));
    assert_non_null(strstr(collector_get(r.responses, 3).payload, "camera 0 is gone"));
    assert_int_equal(atomic_load(&r.a.calls[MQP_CMD_PAUSE]), 1);
    send_cmd(&r, "{\"command\": \"toggle_crop\", \"request_id\": \"twice\"}");
    assert_true(wait_for(collector_count(r.responses) == 5, 3000));
    assert_int_equal(atomic_load(&r.a.calls[MQP_CMD_TOGGLE_CROP]), 2);
    send_cmd(&r, "{\"command\": \"status\"}"); /* No request id: every one runs. */
    send_cmd(&r, "{\"command\": \"status\"}");
    assert_true(wait_for(collector_count(r.responses) == 7, 3000));
    assert_int_equal(atomic_load(&r.a.calls[MQP_CMD_STATUS]), 2);
    mqp_controlplane_stats s;
    mqp_controlplane_stats_get(r.cp, &s);
    assert_int_equal(s.repeated, 2);
    assert_int_equal(s.received, 7);
    rig_down(&r);
}

static void test_mqp_controlplane_rejects_bad_input(void **state)
{
    rig r;
    rig_up(&r, *state);
    char big[1100];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "{\"command\":\"status\"}", 20); /* valid JSON, then too much padding */
    const struct {
        const char *payload;
        const char *error;
    } bad[] = {
        {"pause", "not JSON"},
        {"{\"command\": ", "not JSON"},
        {"[\"pause\"]", "not a JSON object"},
        {"{\"cmd\": \"pause\"}", "no 'command' member"},
        {"{\"command\": 7}", "'command' must be a string"},
        {"{\"command\": \"fly\"}", "unknown command 'fly'"},
        {"{\"command\": \"pause\", \"request_id\": [1]}", "'request_id' must be"},
        {big, "payload of 1099 bytes is over the 1024-byte limit"},
    };
    size_t n = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n; i++) {
        send_cmd(&r, bad[i].payload);
        assert_true(wait_for(collector_count(r.responses) == i + 1, 3000));
        cJSON *j = last_json(r.responses);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
        if (!strstr(str(j, "error"), bad[i].error)) {
            fail_msg("payload %zu: error '%s', expected '%s'", i, str(j, "error"), bad[i].error);
        }
        cJSON_Delete(j);
    }
    for (int c = 0; c < MQP_CMD_COUNT; c++) {
        assert_int_equal(atomic_load(&r.a.calls[c]), 0); /* The application saw none. */
    }
    /* ...and the plane still obeys. */
    send_cmd(&r, "{\"command\": \"pause\", \"request_id\": 1}");
    assert_true(wait_for(collector_count(r.responses) == n + 1, 3000));
    cJSON *j = last_json(r.responses);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    assert_string_equal(str(j, "status"), "paused");
    cJSON_Delete(j);
    mqp_controlplane_stats s;
    mqp_controlplane_stats_get(r.cp, &s);
    assert_int_equal(s.rejected, n);
    rig_down(&r);
}

typedef struct corr_seen {
    atomic_int n;
    char payload[512];
    char corr[16];
    size_t corr_len;
} corr_seen;

static int on_private_reply(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    corr_seen *s = user;
    snprintf(s->payload, sizeof s->payload, "%.*s", (int)m->payload_len, (const char *)m->payload);
    s->corr_len = m->correlation_len < sizeof s->corr ? m->correlation_len : 0;
    memcpy(s->corr, m->correlation_data, s->corr_len);
    atomic_fetch_add(&s->n, 1);
    return 0;
}

static void test_mqp_controlplane_mqtt5_response_topic(void **state)
{
    rig r;
    rig_up(&r, *state);
    corr_seen seen = {0};
    assert_ok(mqp_client_subscribe(r.op, "operator/replies", 1, on_private_reply, &seen));
    assert_ok(mqp_client_sync(r.op, 5000)); /* The broker has the (un)subscriptions. */
    mqp_publish_props p = {
        .response_topic = "operator/replies", .correlation_data = "abc", .correlation_len = 3};
    const char *cmd = "{\"command\":\"resume\"}";
    assert_ok(mqp_client_publish_props(r.op, "inference/control/commands", cmd, strlen(cmd), 1,
                                       false, &p));
    assert_true(wait_for(atomic_load(&seen.n) == 1, 3000));
    assert_int_equal(seen.corr_len, 3);
    assert_memory_equal(seen.corr, "abc", 3);
    assert_non_null(strstr(seen.payload, "\"command\":\"resume\",\"ok\":true"));
    assert_int_equal(collector_count(r.responses), 0); /* Answered where asked, only. */
    rig_down(&r);
}

static void test_mqp_controlplane_will_and_status_after_reconnect(void **state)
{
    rig r;
    rig_up(&r, *state);
    assert_ok(mqp_controlplane_set_status(r.cp, MQP_STATUS_PAUSED));
    assert_true(wait_for(collector_count(r.status) >= 2, 3000));
    /* The connection drops without DISCONNECT: the broker says "disconnected"... */
    assert_ok(mqp_client_reconnect(mqp_controlplane_client(r.cp)));
    bool saw_disconnected = false;
    for (int64_t until = mqpx_mono_ms() + 5000; !saw_disconnected && mqpx_mono_ms() < until;) {
        for (size_t i = 0; i < collector_count(r.status); i++) {
            saw_disconnected |= strstr(collector_get(r.status, i).payload, "disconnected") != NULL;
        }
        mqpx_sleep_ms(10);
    }
    assert_true(saw_disconnected);
    /* ...and after the reconnection the current status is published again. */
    assert_true(wait_for(strstr(collector_get(r.status, collector_count(r.status) - 1).payload,
                                "\"paused\"") != NULL,
                         5000));
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_controlplane_new_bad_options),
        cmocka_unit_test(test_mqp_controlplane_status_lifecycle),
        cmocka_unit_test(test_mqp_controlplane_commands_restate_status),
        cmocka_unit_test(test_mqp_controlplane_answers),
        cmocka_unit_test(test_mqp_controlplane_repeated_request_id),
        cmocka_unit_test(test_mqp_controlplane_rejects_bad_input),
        cmocka_unit_test(test_mqp_controlplane_mqtt5_response_topic),
        cmocka_unit_test(test_mqp_controlplane_will_and_status_after_reconnect),
    };
    return RUN_ON_BOTH(tests);
}
