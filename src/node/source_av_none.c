/* Video sources in a build without FFmpeg: each says so, and what to install. */
#include "source.h"

#include <stdio.h>

mqp_err source_av_open(source **out, const char *spec, const source_opts *o, char *err,
                       size_t errlen)
{
    (void)out;
    (void)o;
    snprintf(err, errlen,
             "source '%s': this mqplane was built without video support (FFmpeg); install "
             "libavformat-dev libavcodec-dev libswscale-dev libavdevice-dev and rebuild",
             spec);
    return MQP_ERR_UNSUPPORTED;
}
