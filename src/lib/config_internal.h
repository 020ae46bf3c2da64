/* What the configuration store (config.c) and the schemas of its sections (config_mqtt.c)
 * share. The store knows no key; a schema knows its keys and asks the store for values. */
#ifndef MQP_CONFIG_INTERNAL_H
#define MQP_CONFIG_INTERNAL_H

#include "mqplane/config.h"

#include "fail.h"

#include <stdbool.h>

/* Every configuration error has the same code. */
#define mqp__config_fail(err, errlen, ...) mqp__fail(err, errlen, MQP_ERR_CONFIG, __VA_ARGS__)

/* Sets path from the environment variable var, when it is set (origin "environment VAR"). */
mqp_err mqp__config_override(mqp_config *cfg, const char *path, const char *var);

/* Keeps s (allocated with mqp__malloc) alive as long as cfg, replacing what was kept before
 * under the same slot; returns s. */
const char *mqp__config_keep(mqp_config *cfg, char *s);

/* config_mqtt.c: the environment overrides of the mqtt: keys. With reference false, the
 * generic MQP_MQTT_<KEY> of every key (applied before those of the file's other keys); with
 * reference true, the reference's own variables (MQTT_URL, …), applied last, the strongest. */
mqp_err mqp__config_mqtt_environment(mqp_config *cfg, bool reference);

/* For the tests: the size of row i's member of mqp_mqtt_settings (0: it has none), and in
 * *type_size the size its type stores. */
size_t mqp__mqtt_key_size(size_t i, size_t *type_size);

#endif
