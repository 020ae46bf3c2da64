// The `hog` detector: OpenCV's pretrained people detector (Dalal-Triggs HOG + linear SVM, its
// coefficients compiled into libopencv-objdetect, so nothing is downloaded), behind the C ABI
// of mqplane/detector.h. Class `person` (COCO's class 0). Options:
//   conf=F    the least confidence kept, 0..1 (default 0.3); confidence is 1 - exp(-w) of the
//             SVM's weight w, so 0.3 keeps w >= 0.36 and a weight of 1 reads 0.63
//   hit=F     the SVM's own threshold on w before grouping (default 0)
//   stride=N  window step in pixels: 4, 8 (default) or 16 (coarser is faster, misses more)
//   scale=F   step between the pyramid's scales, 1.01..2 (default 1.05)
//   group=N   windows a detection needs after grouping (default 2; 0 keeps every window)
//   width=N   shrink wider images to N pixels before detecting (default 0: never); people
//             must then stand at least 128 x N / width pixels tall
#include "plugin_util.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

namespace
{

using mqp_plugin::fail;

struct hog {
    cv::HOGDescriptor d;
    double conf = 0.3, hit = 0, scale = 1.05;
    int stride = 8, group = 2, width = 0;
    cv::Mat small; // The shrunk image, when width asks for one.
};

int parse(hog &h, const mqp_detector_option &o, char *err, size_t errlen)
{
    const char *k = o.key;
    if (!std::strcmp(k, "conf")) {
        return mqp_plugin::number(o, 0, 1, &h.conf, err, errlen);
    }
    if (!std::strcmp(k, "hit")) {
        return mqp_plugin::number(o, -10, 10, &h.hit, err, errlen);
    }
    if (!std::strcmp(k, "scale")) {
        return mqp_plugin::number(o, 1.01, 2, &h.scale, err, errlen);
    }
    if (!std::strcmp(k, "group")) {
        return mqp_plugin::whole(o, 0, 100, &h.group, err, errlen);
    }
    if (!std::strcmp(k, "width")) {
        int rc = mqp_plugin::whole(o, 0, 16384, &h.width, err, errlen);
        return rc == MQP_DETECTOR_OK && h.width && h.width < 64
                   ? fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                          "width must be 0 or at least 64 (the detector's window), not %d", h.width)
                   : rc;
    }
    int rc = mqp_plugin::whole(o, 4, 16, &h.stride, err, errlen); // "stride": the node checked.
    return rc == MQP_DETECTOR_OK && h.stride != 4 && h.stride != 8 && h.stride != 16
               ? fail(err, errlen, MQP_DETECTOR_BAD_OPTION, "stride must be 4, 8 or 16, not %d",
                      h.stride)
               : rc;
}

int hog_create(const mqp_detector_option *opts, size_t nopts, int, int, void **self,
               mqp_detector_info *info, char *err, size_t errlen)
{
    return mqp_plugin::guarded(err, errlen, "hog", [&]() -> int {
        auto h = std::make_unique<hog>();
        for (size_t i = 0; i < nopts; i++) {
            int rc = parse(*h, opts[i], err, errlen);
            if (rc != MQP_DETECTOR_OK) {
                return rc;
            }
        }
        h->d.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
        info->format = MQP_PIXFMT_BGR24; // Gradients of colour: OpenCV's order.
        info->input_width = h->d.winSize.width;
        info->input_height = h->d.winSize.height;
        *self = h.release();
        return MQP_DETECTOR_OK;
    });
}

int hog_detect(void *self, const mqp_image *img, mqp_box *out, size_t cap, size_t *n, char *err,
               size_t errlen)
{
    *n = 0;
    hog &h = *static_cast<hog *>(self);
    if (img->width < h.d.winSize.width || img->height < h.d.winSize.height) {
        return MQP_DETECTOR_OK; // Smaller than one window: nobody fits.
    }
    return mqp_plugin::guarded(err, errlen, "hog", [&]() -> int {
        cv::Mat frame(img->height, img->width, CV_8UC3, const_cast<uint8_t *>(img->data),
                      static_cast<size_t>(img->stride));
        double f = 1; // Image pixels per pixel detected on.
        const cv::Mat *in = &frame;
        if (h.width && img->width > h.width) {
            f = static_cast<double>(img->width) / h.width;
            cv::resize(frame, h.small,
                       cv::Size(h.width, static_cast<int>(std::lround(img->height / f))), 0, 0,
                       cv::INTER_AREA);
            in = &h.small;
        }
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        h.d.detectMultiScale(*in, found, weights, h.hit, cv::Size(h.stride, h.stride),
                             cv::Size(8, 8), h.scale, h.group);
        for (size_t i = 0; i < found.size() && *n < cap; i++) {
            double conf = 1 - std::exp(-(i < weights.size() ? weights[i] : 0));
            const cv::Rect &r = found[i];
            mqp_box b{};
            if (conf < h.conf ||
                !mqp_plugin::clamp_box(r.x * f, r.y * f, (r.x + r.width) * f, (r.y + r.height) * f,
                                       img->width, img->height, &b)) {
                continue;
            }
            b.confidence = static_cast<float>(conf);
            b.class_id = 0;
            b.class_name = "person";
            out[(*n)++] = b;
        }
        return MQP_DETECTOR_OK;
    });
}

void hog_destroy(void *self)
{
    delete static_cast<hog *>(self);
}

const char *const option_keys[] = {"conf", "hit", "stride", "scale", "group", "width", nullptr};

const mqp_detector_plugin plugin = {MQP_DETECTOR_ABI_MAJOR,
                                    MQP_DETECTOR_ABI_MINOR,
                                    "hog",
                                    option_keys,
                                    hog_create,
                                    hog_detect,
                                    hog_destroy,
                                    {0}};

} // namespace

extern "C" MQP_DETECTOR_EXPORT const mqp_detector_plugin *mqp_detector_plugin_get(void)
{
    return &plugin;
}
