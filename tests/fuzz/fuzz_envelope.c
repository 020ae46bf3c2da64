/* Event envelopes from the wire (mqp_envelope_decode): any payload decodes or is refused with a
 * message; what decodes can be encoded again, and that decodes to the same fields. */
#include "fuzz.h"

#include "mqplane/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqp_envelope *env = NULL;
    char err[MQP_ENVELOPE_ERRLEN] = "";
    if (mqp_envelope_decode(data, size, &env, err, sizeof err) != MQP_OK) {
        FUZZ_ASSERT(err[0] != '\0');
        return 0;
    }
    bool has_seq = false;
    size_t dlen = 0;
    mqp_event ev = {.type = mqp_envelope_type(env),
                    .source = mqp_envelope_source(env),
                    .correlation_id = mqp_envelope_correlation_id(env),
                    .data_json = mqp_envelope_data(env, &dlen)};
    ev.data_len = dlen;
    ev.seq = mqp_envelope_seq(env, &has_seq);
    mqp_envelope_id(env);
    mqp_envelope_ts(env);
    char *json = NULL;
    size_t len = 0;
    if (mqp_envelope_encode(&ev, &json, &len, err, sizeof err) == MQP_OK) {
        mqp_envelope *again = NULL;
        FUZZ_ASSERT(mqp_envelope_decode(json, len, &again, err, sizeof err) == MQP_OK);
        FUZZ_ASSERT(strcmp(mqp_envelope_type(again), ev.type) == 0);
        mqp_envelope_free(again);
        mqp_free(json);
    }
    mqp_envelope_free(env);
    return 0;
}
