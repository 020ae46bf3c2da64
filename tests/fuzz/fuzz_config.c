/* YAML configuration (mqp_config_parse, then the mqtt: schema and the key check): any text is
 * read or refused with a message naming where, never a crash. */
#include "fuzz.h"

#include "mqplane/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqp_config *cfg = NULL;
    char err[MQP_CONFIG_ERRLEN] = "";
    if (mqp_config_parse(&cfg, (const char *)data, size, "fuzz.yaml", err, sizeof err) != MQP_OK) {
        FUZZ_ASSERT(err[0] != '\0');
        return 0;
    }
    mqp_mqtt_settings s;
    err[0] = '\0';
    if (mqp_config_mqtt(cfg, &s, err, sizeof err) != MQP_OK) {
        FUZZ_ASSERT(err[0] != '\0');
    }
    static const char *const pipeline_keys[] = {"sources", "detector", "detect_on", NULL};
    mqp_config_check_keys(cfg, "pipeline", pipeline_keys, err, sizeof err);
    long n = 0;
    mqp_config_get_int(cfg, "pipeline.detect_fps", 0, 1000, 0, &n, err, sizeof err);
    mqp_config_get(cfg, "mqtt.url");
    mqp_config_origin(cfg, "mqtt.url");
    mqp_config_free(cfg);
    return 0;
}
