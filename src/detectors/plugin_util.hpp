// What the OpenCV detector plugins share: option values parsed strictly, messages written into
// the ABI's err buffer, and no C++ exception ever crossing the C ABI.
#ifndef MQP_DETECTORS_PLUGIN_UTIL_HPP
#define MQP_DETECTORS_PLUGIN_UTIL_HPP

#include "mqplane/detector.h"

#include <opencv2/core/utils/logger.hpp>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

namespace mqp_plugin
{

// Formats a message into err and returns rc.
__attribute__((format(printf, 4, 5))) inline int fail(char *err, size_t errlen, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) {
        vsnprintf(err, errlen, fmt, ap);
    }
    va_end(ap);
    return rc;
}

// A number option in [lo, hi]; MQP_DETECTOR_BAD_OPTION with a message naming it otherwise.
inline int number(const mqp_detector_option &o, double lo, double hi, double *out, char *err,
                  size_t errlen)
{
    char *end = nullptr;
    errno = 0;
    double v = std::strtod(o.value, &end);
    if (!*o.value || *end || errno || !std::isfinite(v) || v < lo || v > hi) {
        return fail(err, errlen, MQP_DETECTOR_BAD_OPTION, "%s must be a number in %g..%g, not '%s'",
                    o.key, lo, hi, o.value);
    }
    *out = v;
    return MQP_DETECTOR_OK;
}

// A whole-number option in [lo, hi].
inline int whole(const mqp_detector_option &o, long lo, long hi, int *out, char *err, size_t errlen)
{
    char *end = nullptr;
    errno = 0;
    long v = std::strtol(o.value, &end, 10);
    if (!*o.value || *end || errno || v < lo || v > hi) {
        return fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                    "%s must be a whole number in %ld..%ld, not '%s'", o.key, lo, hi, o.value);
    }
    *out = static_cast<int>(v);
    return MQP_DETECTOR_OK;
}

// OpenCV logs its own errors on stderr, which the plugin's message already carries (with what
// to do about it): quiet, unless the user asks for OpenCV's log with OPENCV_LOG_LEVEL.
inline void quiet_opencv()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (!std::getenv("OPENCV_LOG_LEVEL")) {
            cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        }
    });
}

// Runs f, turning any exception into MQP_DETECTOR_FAILED with what it says (prefixed).
template <typename F> int guarded(char *err, size_t errlen, const char *what, F f)
{
    try {
        quiet_opencv();
        return f();
    } catch (const std::exception &e) {
        return fail(err, errlen, MQP_DETECTOR_FAILED, "%s: %s", what, e.what());
    } catch (...) {
        return fail(err, errlen, MQP_DETECTOR_FAILED, "%s: an unknown C++ exception", what);
    }
}

// A box clamped to a w x h image; false when nothing of it is left.
inline bool clamp_box(double x0, double y0, double x1, double y1, int w, int h, mqp_box *b)
{
    int l = static_cast<int>(std::lround(std::fmax(0.0, x0)));
    int t = static_cast<int>(std::lround(std::fmax(0.0, y0)));
    int r = static_cast<int>(std::lround(std::fmin(static_cast<double>(w), x1)));
    int d = static_cast<int>(std::lround(std::fmin(static_cast<double>(h), y1)));
    if (r <= l || d <= t) {
        return false;
    }
    b->x = l;
    b->y = t;
    b->width = r - l;
    b->height = d - t;
    return true;
}

} // namespace mqp_plugin

#endif
