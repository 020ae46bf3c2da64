// The `onnx` detector: YOLO models through OpenCV's DNN module, behind the C ABI of
// mqplane/detector.h. `--detector onnx:MODEL.onnx?options` reaches it as the option model=.
//
// Both output layouts, told apart by shape: YOLOv5's [1, N, 5+C] (cx, cy, w, h, objectness,
// C class scores; confidence = objectness x best class score) and YOLOv8's and YOLO11's
// [1, 4+C, N] (cx, cy, w, h, C class scores; confidence = best class score). The input is
// letterboxed (aspect kept, padded with gray 114) to size x size, RGB, scaled by 1/255; boxes
// are in input pixels, mapped back through the letterbox; NMS is per class. Options:
//   model=PATH     the .onnx file (required; the spec's onnx:PATH)
//   labels=FILE    class names, one a line (default: COCO's 80)
//   conf=F         the least confidence kept (default 0.25)
//   iou=F          NMS: a box overlapping a better one of its class by more is dropped (0.45)
//   size=N         the square input the model was exported at (default 640)
//   classes=A,B    report only these classes (default: all)
//   layout=L       auto (default), v5 or v8, for a model whose shape does not tell
#include "plugin_util.hpp"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace
{

using mqp_plugin::fail;

const char *const coco[] = {"person",        "bicycle",      "car",
                            "motorcycle",    "airplane",     "bus",
                            "train",         "truck",        "boat",
                            "traffic light", "fire hydrant", "stop sign",
                            "parking meter", "bench",        "bird",
                            "cat",           "dog",          "horse",
                            "sheep",         "cow",          "elephant",
                            "bear",          "zebra",        "giraffe",
                            "backpack",      "umbrella",     "handbag",
                            "tie",           "suitcase",     "frisbee",
                            "skis",          "snowboard",    "sports ball",
                            "kite",          "baseball bat", "baseball glove",
                            "skateboard",    "surfboard",    "tennis racket",
                            "bottle",        "wine glass",   "cup",
                            "fork",          "knife",        "spoon",
                            "bowl",          "banana",       "apple",
                            "sandwich",      "orange",       "broccoli",
                            "carrot",        "hot dog",      "pizza",
                            "donut",         "cake",         "chair",
                            "couch",         "potted plant", "bed",
                            "dining table",  "toilet",       "tv",
                            "laptop",        "mouse",        "remote",
                            "keyboard",      "cell phone",   "microwave",
                            "oven",          "toaster",      "sink",
                            "refrigerator",  "book",         "clock",
                            "vase",          "scissors",     "teddy bear",
                            "hair drier",    "toothbrush"};

enum class layout { automatic, v5, v8 };

struct yolo {
    cv::dnn::Net net;
    std::string model, labels_file, classes_arg;
    std::vector<std::string> names;
    std::vector<bool> wanted; // Per class: reported (classes=).
    double conf = 0.25, iou = 0.45;
    int size = 640;
    layout lay = layout::automatic;
    int nclasses = 0;
    cv::Mat canvas, blob; // Reused each frame.
};

int parse(yolo &y, const mqp_detector_option &o, char *err, size_t errlen)
{
    const char *k = o.key;
    if (!std::strcmp(k, "model")) {
        y.model = o.value;
    } else if (!std::strcmp(k, "labels")) {
        y.labels_file = o.value;
    } else if (!std::strcmp(k, "classes")) {
        y.classes_arg = o.value;
    } else if (!std::strcmp(k, "conf")) {
        return mqp_plugin::number(o, 0, 1, &y.conf, err, errlen);
    } else if (!std::strcmp(k, "iou")) {
        return mqp_plugin::number(o, 0, 1, &y.iou, err, errlen);
    } else if (!std::strcmp(k, "size")) {
        int rc = mqp_plugin::whole(o, 32, 4096, &y.size, err, errlen);
        return rc == MQP_DETECTOR_OK && y.size % 32
                   ? fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                          "size must be a multiple of 32 (YOLO's largest stride), not %d", y.size)
                   : rc;
    } else if (!std::strcmp(o.value, "auto") || !std::strcmp(o.value, "v5") ||
               !std::strcmp(o.value, "v8")) { // "layout"
        y.lay = o.value[0] == 'a' ? layout::automatic : o.value[1] == '5' ? layout::v5 : layout::v8;
    } else {
        return fail(err, errlen, MQP_DETECTOR_BAD_OPTION, "layout must be auto, v5 or v8, not '%s'",
                    o.value);
    }
    return MQP_DETECTOR_OK;
}

int load_labels(yolo &y, char *err, size_t errlen)
{
    if (y.labels_file.empty()) {
        y.names.assign(std::begin(coco), std::end(coco));
        return MQP_DETECTOR_OK;
    }
    std::ifstream in(y.labels_file);
    if (!in) {
        return fail(err, errlen, MQP_DETECTOR_BAD_OPTION, "labels file '%s' cannot be read: %s",
                    y.labels_file.c_str(), std::strerror(errno));
    }
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.pop_back();
        }
        if (!line.empty()) {
            y.names.push_back(line);
        }
    }
    return y.names.empty() ? fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                                  "labels file '%s' holds no names", y.labels_file.c_str())
                           : MQP_DETECTOR_OK;
}

int load_model(yolo &y, char *err, size_t errlen)
{
    if (y.model.empty()) {
        return fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                    "no model: use onnx:MODEL.onnx[?options]");
    }
    if (!std::ifstream(y.model)) {
        return fail(err, errlen, MQP_DETECTOR_FAILED, "model '%s' cannot be read: %s",
                    y.model.c_str(), std::strerror(errno));
    }
    try {
        y.net = cv::dnn::readNetFromONNX(y.model);
    } catch (const cv::Exception &e) {
        return fail(err, errlen, MQP_DETECTOR_FAILED,
                    "OpenCV %s cannot load '%s': %s. A model exported with a recent default "
                    "opset is the usual cause (YOLOv8 and YOLO11 are known cases): export it "
                    "again with opset 12, e.g. `yolo export model=yolov8n.pt format=onnx "
                    "opset=12 imgsz=%d` (docs/DETECTORS.md)",
                    CV_VERSION, y.model.c_str(), e.err.c_str(), y.size);
    }
    if (y.net.empty()) {
        return fail(err, errlen, MQP_DETECTOR_FAILED, "OpenCV read no network from '%s'",
                    y.model.c_str());
    }
    y.net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    y.net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return MQP_DETECTOR_OK;
}

// Which layout an output of shape [1, a, b] is: v5 when b is 5 + classes (of the labels), v8
// when a is 4 + classes; when both or neither, the one with room for a class score, and if
// both have, the boxes are the longer dimension (a real model has thousands).
int choose_layout(yolo &y, const cv::Mat &out, char *err, size_t errlen)
{
    if (out.dims != 3 || out.size[0] != 1) {
        std::ostringstream s;
        for (int i = 0; i < out.dims; i++) {
            s << (i ? "x" : "") << out.size[i];
        }
        return fail(err, errlen, MQP_DETECTOR_FAILED,
                    "model '%s' gives an output of shape %s; a YOLO model gives [1, N, 5+C] "
                    "(YOLOv5) or [1, 4+C, N] (YOLOv8, YOLO11)",
                    y.model.c_str(), s.str().c_str());
    }
    int a = out.size[1], b = out.size[2], c = static_cast<int>(y.names.size());
    if (y.lay == layout::automatic) {
        bool v5 = b == 5 + c, v8 = a == 4 + c;
        if (v5 == v8) {
            v5 = b >= 6;
            v8 = a >= 5;
        }
        y.lay = v5 != v8 ? (v5 ? layout::v5 : layout::v8) : (a > b ? layout::v5 : layout::v8);
    }
    y.nclasses = y.lay == layout::v5 ? b - 5 : a - 4;
    if (y.nclasses < 1) {
        return fail(err, errlen, MQP_DETECTOR_FAILED,
                    "model '%s' gives [1, %d, %d]: no room for a class score in the %s layout",
                    y.model.c_str(), a, b, y.lay == layout::v5 ? "YOLOv5" : "YOLOv8");
    }
    if (y.nclasses != c) {
        return fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                    "model '%s' scores %d classes (output [1, %d, %d], %s layout) but %s has "
                    "%d names: give labels=FILE with one name a class",
                    y.model.c_str(), y.nclasses, a, b, y.lay == layout::v5 ? "YOLOv5" : "YOLOv8",
                    y.labels_file.empty() ? "the default (COCO)" : y.labels_file.c_str(), c);
    }
    return MQP_DETECTOR_OK;
}

int parse_classes(yolo &y, char *err, size_t errlen)
{
    y.wanted.assign(y.names.size(), y.classes_arg.empty());
    std::stringstream s(y.classes_arg);
    for (std::string name; std::getline(s, name, ',');) {
        auto it = std::find(y.names.begin(), y.names.end(), name);
        if (it == y.names.end()) {
            return fail(err, errlen, MQP_DETECTOR_BAD_OPTION,
                        "classes: '%s' is not a class of the labels (%s, %s, ...)", name.c_str(),
                        y.names[0].c_str(), y.names.size() > 1 ? y.names[1].c_str() : "");
        }
        y.wanted[static_cast<size_t>(it - y.names.begin())] = true;
    }
    return MQP_DETECTOR_OK;
}

// Letterboxes img into the size x size canvas: the scale and the offsets used.
void letterbox(yolo &y, const cv::Mat &img, double *r, int *dx, int *dy)
{
    *r = std::min(static_cast<double>(y.size) / img.cols, static_cast<double>(y.size) / img.rows);
    int w = std::max(1, static_cast<int>(std::lround(img.cols * *r)));
    int h = std::max(1, static_cast<int>(std::lround(img.rows * *r)));
    *dx = (y.size - w) / 2;
    *dy = (y.size - h) / 2;
    y.canvas.create(y.size, y.size, CV_8UC3);
    y.canvas.setTo(cv::Scalar(114, 114, 114));
    cv::Mat roi = y.canvas(cv::Rect(*dx, *dy, w, h));
    cv::resize(img, roi, roi.size(), 0, 0, cv::INTER_LINEAR);
}

cv::Mat forward(yolo &y, const cv::Mat &canvas)
{
    // The frame is RGB already (the plugin asks for it): no channel swap.
    cv::dnn::blobFromImage(canvas, y.blob, 1.0 / 255, cv::Size(y.size, y.size), cv::Scalar(), false,
                           false, CV_32F);
    y.net.setInput(y.blob);
    return y.net.forward();
}

int yolo_create(const mqp_detector_option *opts, size_t nopts, int, int, void **self,
                mqp_detector_info *info, char *err, size_t errlen)
{
    return mqp_plugin::guarded(err, errlen, "onnx", [&]() -> int {
        auto y = std::make_unique<yolo>();
        int rc = MQP_DETECTOR_OK;
        for (size_t i = 0; i < nopts && rc == MQP_DETECTOR_OK; i++) {
            rc = parse(*y, opts[i], err, errlen);
        }
        if (rc == MQP_DETECTOR_OK) {
            rc = load_labels(*y, err, errlen);
        }
        if (rc == MQP_DETECTOR_OK) {
            rc = load_model(*y, err, errlen);
        }
        if (rc != MQP_DETECTOR_OK) {
            return rc;
        }
        // One pass on a gray image: the model takes this input size, and its output tells the
        // layout (and costs the first frame nothing more).
        cv::Mat out;
        try {
            y->canvas = cv::Mat(y->size, y->size, CV_8UC3, cv::Scalar(114, 114, 114));
            out = forward(*y, y->canvas);
        } catch (const cv::Exception &e) {
            return fail(err, errlen, MQP_DETECTOR_FAILED,
                        "model '%s' does not run on a %dx%d input: %s (give size= the size it "
                        "was exported at)",
                        y->model.c_str(), y->size, y->size, e.err.c_str());
        }
        rc = choose_layout(*y, out, err, errlen);
        if (rc == MQP_DETECTOR_OK) {
            rc = parse_classes(*y, err, errlen);
        }
        if (rc != MQP_DETECTOR_OK) {
            return rc;
        }
        info->format = MQP_PIXFMT_RGB24;
        info->input_width = y->size;
        info->input_height = y->size;
        *self = y.release();
        return MQP_DETECTOR_OK;
    });
}

struct candidate {
    cv::Rect2d box; // In the image's pixels.
    float conf;
    int cls;
};

// The candidates of one output above the confidence threshold, mapped back to the image.
void decode(const yolo &y, const cv::Mat &out, double r, int dx, int dy,
            std::vector<candidate> &cands)
{
    bool v5 = y.lay == layout::v5;
    int n = v5 ? out.size[1] : out.size[2];
    const float *p = out.ptr<float>();
    // v5: value k of box i is p[i * (5 + C) + k]; v8: it is p[k * N + i].
    size_t step = v5 ? static_cast<size_t>(out.size[2]) : 1;
    size_t stride = v5 ? 1 : static_cast<size_t>(n);
    int first = v5 ? 5 : 4;
    for (int i = 0; i < n; i++) {
        const float *row = p + static_cast<size_t>(i) * step;
        auto at = [&](int k) { return row[static_cast<size_t>(k) * stride]; };
        int best = 0;
        float score = at(first);
        for (int c = 1; c < y.nclasses; c++) {
            if (at(first + c) > score) {
                score = at(first + c);
                best = c;
            }
        }
        float conf = v5 ? at(4) * score : score;
        if (!(conf >= y.conf) || !y.wanted[static_cast<size_t>(best)]) {
            continue; // Also drops NaN.
        }
        double cx = at(0), cy = at(1), w = at(2), h = at(3);
        cands.push_back(
            {cv::Rect2d((cx - w / 2 - dx) / r, (cy - h / 2 - dy) / r, w / r, h / r), conf, best});
    }
}

int yolo_detect(void *self, const mqp_image *img, mqp_box *out, size_t cap, size_t *n, char *err,
                size_t errlen)
{
    *n = 0;
    yolo &y = *static_cast<yolo *>(self);
    return mqp_plugin::guarded(err, errlen, "onnx", [&]() -> int {
        cv::Mat frame(img->height, img->width, CV_8UC3, const_cast<uint8_t *>(img->data),
                      static_cast<size_t>(img->stride));
        double r;
        int dx, dy;
        letterbox(y, frame, &r, &dx, &dy);
        cv::Mat o = forward(y, y.canvas);
        std::vector<candidate> cands;
        decode(y, o, r, dx, dy, cands);
        // Per-class NMS: a box is suppressed only by a better one of its own class.
        std::map<int, std::vector<size_t>> by_class;
        for (size_t i = 0; i < cands.size(); i++) {
            by_class[cands[i].cls].push_back(i);
        }
        std::vector<size_t> kept;
        for (auto &kv : by_class) {
            std::vector<cv::Rect2d> boxes;
            std::vector<float> scores;
            for (size_t i : kv.second) {
                boxes.push_back(cands[i].box);
                scores.push_back(cands[i].conf);
            }
            std::vector<int> idx;
            cv::dnn::NMSBoxes(boxes, scores, static_cast<float>(y.conf), static_cast<float>(y.iou),
                              idx);
            for (int k : idx) {
                kept.push_back(kv.second[static_cast<size_t>(k)]);
            }
        }
        std::sort(kept.begin(), kept.end(),
                  [&](size_t a, size_t b) { return cands[a].conf > cands[b].conf; });
        for (size_t i : kept) {
            const candidate &c = cands[i];
            mqp_box b{};
            if (*n == cap ||
                !mqp_plugin::clamp_box(c.box.x, c.box.y, c.box.x + c.box.width,
                                       c.box.y + c.box.height, img->width, img->height, &b)) {
                continue;
            }
            b.confidence = c.conf;
            b.class_id = c.cls;
            b.class_name = y.names[static_cast<size_t>(c.cls)].c_str();
            out[(*n)++] = b;
        }
        return MQP_DETECTOR_OK;
    });
}

void yolo_destroy(void *self)
{
    delete static_cast<yolo *>(self);
}

const char *const option_keys[] = {"model", "labels",  "conf",   "iou",
                                   "size",  "classes", "layout", nullptr};

const mqp_detector_plugin plugin = {MQP_DETECTOR_ABI_MAJOR,
                                    MQP_DETECTOR_ABI_MINOR,
                                    "onnx",
                                    option_keys,
                                    yolo_create,
                                    yolo_detect,
                                    yolo_destroy,
                                    {0}};

} // namespace

extern "C" MQP_DETECTOR_EXPORT const mqp_detector_plugin *mqp_detector_plugin_get(void)
{
    return &plugin;
}
