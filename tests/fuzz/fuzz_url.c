/* Broker URLs (mqp_url_parse): any text parses or is refused with a message, and what parses
 * can be shown redacted without its password. */
#include "fuzz.h"

#include "mqplane/url.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    if (!text) {
        return 0;
    }
    mqp_url u;
    char err[256] = "";
    if (mqp_url_parse(text, &u, err, sizeof err) == MQP_OK) {
        char shown[512];
        mqp_url_redacted(&u, shown, sizeof shown);
        FUZZ_ASSERT(u.scheme == MQP_SCHEME_MEMORY || (u.port > 0 && u.port <= 65535));
        if (u.password && u.password[0] && strlen(u.password) < 200) {
            char leak[256]; /* Where the password would stand, were it shown. */
            snprintf(leak, sizeof leak, ":%s@", u.password);
            FUZZ_ASSERT(!strstr(shown, leak));
        }
        mqp_url_clear(&u);
    } else {
        FUZZ_ASSERT(err[0] != '\0'); /* A refusal says why. */
    }
    free(text);
    return 0;
}
