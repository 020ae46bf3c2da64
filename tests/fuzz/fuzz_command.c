/* Command messages as the control plane reads them (mqp__command_read): any payload is a known
 * command or is refused with a reason; a request id is JSON text of a string or a number. */
#include "fuzz.h"

#include "controlplane_answer.h"

#include <cjson/cJSON.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqp_command cmd = MQP_CMD_COUNT;
    char *request_id = NULL;
    char why[512] = "";
    bool ok = mqp__command_read(data, size, 65536, &cmd, &request_id, why, sizeof why);
    if (ok) {
        FUZZ_ASSERT((unsigned)cmd < MQP_CMD_COUNT && mqp_command_name(cmd));
    } else {
        FUZZ_ASSERT(why[0] != '\0');
    }
    if (request_id) {
        FUZZ_ASSERT(request_id[0] == '"' || request_id[0] == '-' ||
                    (request_id[0] >= '0' && request_id[0] <= '9'));
        /* The answer carries it back: it must make valid JSON. */
        size_t len = 0;
        char *answer = mqp__response_json(request_id, ok ? mqp_command_name(cmd) : NULL, ok,
                                          MQP_STATUS_RUNNING, ok ? NULL : why, NULL, &len);
        if (answer) {
            cJSON *check = cJSON_ParseWithLength(answer, len);
            FUZZ_ASSERT(check);
            cJSON_Delete(check);
            mqp_free(answer);
        }
        cJSON_free(request_id);
    }
    return 0;
}
