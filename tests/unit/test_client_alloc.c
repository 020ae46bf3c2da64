/* Allocation failure anywhere in client creation, envelope encoding and topic building:
 * a clean MQP_ERR_NOMEM, nothing written, nothing leaked (ASan and valgrind watch the leaks). */
#include "check.h"

#include "alloc.h"
#include "mqplane/client.h"
#include "mqplane/config.h"
#include "mqplane/envelope.h"
#include "mqplane/topics.h"

#include <string.h>

static void test_mqp_client_new_alloc_failure(void **state)
{
    (void)state;
    const char *urls[] = {"memory://alloc", "mqtt://u:p@127.0.0.1:1"};
    for (size_t u = 0; u < 2; u++) {
        int succeeded = 0;
        for (long n = 1; n < 200 && !succeeded; n++) {
            mqp_client_opts o = {.url = urls[u],
                                 .client_id = "alloc",
                                 .dedupe = true,
                                 .heartbeat_ms = 1000,
                                 .source = "src"};
            mqp_client *c = (mqp_client *)0x1;
            mqp__alloc_fail_after(n);
            mqp_err rc = mqp_client_new(&c, &o);
            mqp__alloc_fail_after(0);
            if (rc == MQP_OK) {
                mqp_client_destroy(c);
                succeeded = 1;
            } else {
                assert_rc(rc, MQP_ERR_NOMEM);
                assert_ptr_equal(c, (mqp_client *)0x1);
            }
        }
        assert_true(succeeded);
    }
}

static void test_mqp_envelope_encode_alloc_failure(void **state)
{
    (void)state;
    mqp_event ev = {.type = "t", .source = "s", .data_json = "{\"a\":[1,2,3]}"};
    for (long n = 1; n < 10; n++) {
        char *out = NULL;
        mqp__alloc_fail_after(n);
        mqp_err rc = mqp_envelope_encode(&ev, &out, NULL, NULL, 0);
        mqp__alloc_fail_after(0);
        if (rc == MQP_OK) {
            mqp_free(out);
            return;
        }
        assert_rc(rc, MQP_ERR_NOMEM);
        assert_null(out);
    }
    fail_msg("encoding never succeeded");
}

static void test_mqp_config_parse_alloc_failure(void **state)
{
    (void)state;
    const char *yaml = "mqtt:\n  broker_host: h\n  broker_port: 1884\n  username: u\n";
    for (long n = 1; n < 100; n++) {
        mqp_config *cfg = (mqp_config *)0x1;
        mqp__alloc_fail_after(n);
        mqp_err rc = mqp_config_parse(&cfg, yaml, strlen(yaml), "c.yaml", NULL, 0);
        mqp_mqtt_settings s;
        if (rc == MQP_OK) {
            rc = mqp_config_mqtt(cfg, &s, NULL, 0);
            mqp__alloc_fail_after(0);
            mqp_config_free(cfg);
            if (rc == MQP_OK) {
                return;
            }
        }
        mqp__alloc_fail_after(0);
        assert_rc(rc, MQP_ERR_NOMEM);
    }
    fail_msg("parsing never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_new_alloc_failure),
        cmocka_unit_test(test_mqp_envelope_encode_alloc_failure),
        cmocka_unit_test(test_mqp_config_parse_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
