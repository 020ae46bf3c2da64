/* Video source specs (av_spec_parse): file:PATH?loop=..&realtime=.., rtsp:// and rtsps://
 * with ?transport=, v4l2:/dev/videoN. Any text parses or is refused with a message naming the
 * spec; what parses has a description that never shows the password. */
#include "fuzz.h"

#include "source_spec.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = fuzz_string(data, size);
    if (!spec) {
        return 0;
    }
    av_spec s;
    char err[512] = "";
    if (av_spec_parse(&s, spec, err, sizeof err) == MQP_OK) {
        char *shown = av_spec_description(&s, spec);
        FUZZ_ASSERT(shown);
        FUZZ_ASSERT(s.url && s.url[0]);
        free(shown);
        av_spec_clear(&s);
    } else {
        FUZZ_ASSERT(err[0] != '\0');
    }
    free(spec);
    return 0;
}
