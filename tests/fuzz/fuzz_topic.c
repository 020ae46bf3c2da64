/* Topic names, filters and matching, templates with placeholder values, and versioned layouts.
 * Input: a filter or template, a newline, then a topic or value. Properties checked: every name
 * is a filter that matches itself; what a template
 * builds is a valid name (or filter). */
#include "fuzz.h"

#include "mqplane/topic.h"
#include "mqplane/topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *first = fuzz_string(data, size);
    if (!first) {
        return 0;
    }
    char *second = fuzz_split(first);
    bool name_ok = mqp_topic_validate_name(second) == MQP_OK;
    bool filter_ok = mqp_topic_validate_filter(first) == MQP_OK;
    if (filter_ok && name_ok) {
        mqp_topic_matches(first, second); /* Defined only for valid input, as documented. */
    }
    /* A name is a filter that matches itself; not one that starts with $share/, which as a
     * filter is a shared subscription (group, then filter). */
    if (name_ok && strncmp(second, "$share/", 7) != 0) {
        FUZZ_ASSERT(mqp_topic_validate_filter(second) == MQP_OK);
        FUZZ_ASSERT(mqp_topic_matches(second, second));
    }

    char out[1024], err[MQP_TOPICS_ERRLEN];
    const mqp_topic_var vars[] = {{"room_id", second, 0},
                                  {"session_id", second, MQP_VAR_OPTIONAL},
                                  {"stream", second, MQP_VAR_MULTILEVEL},
                                  {"client_id", "node-1", 0}};
    if (mqp_topic_build(first, vars, 4, MQP_TOPIC_NAME, out, sizeof out, err, sizeof err) ==
        MQP_OK) {
        FUZZ_ASSERT(mqp_topic_validate_name(out) == MQP_OK);
    }
    if (mqp_topic_build(first, vars, 4, MQP_TOPIC_FILTER, out, sizeof out, err, sizeof err) ==
        MQP_OK) {
        FUZZ_ASSERT(mqp_topic_validate_filter(out) == MQP_OK);
    }
    mqp_topics t;
    if (mqp_topics_init(&t, first, second) == MQP_OK) {
        if (mqp_topics_voice(&t, "room", "session", "audio", out, sizeof out, err, sizeof err) ==
            MQP_OK) {
            FUZZ_ASSERT(mqp_topic_validate_name(out) == MQP_OK);
        }
    }
    free(first);
    return 0;
}
