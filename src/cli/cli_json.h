/* Reading the node's JSON messages in the operator's tools (monitor, the live view): a member
 * as a string or a number, with a stand-in when it is missing or of another type. */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <cjson/cJSON.h>

static inline const char *cli_json_str(const cJSON *o, const char *k, const char *missing)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : missing;
}

static inline double cli_json_num(const cJSON *o, const char *k, double missing)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : missing;
}

#endif
