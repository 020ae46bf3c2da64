/**
 * @file detector.h
 * @brief The detector plugin ABI: how a detector built elsewhere (ONNX Runtime, TensorRT, a
 *        remote service, OpenCV) plugs into `mqplane run --detector plugin:PATH.so[?k=v&…]`.
 *
 * A plugin is a shared object that exports one function, `mqp_detector_plugin_get`, returning
 * its mqp_detector_plugin: the ABI version it was built for, its name, the option keys it
 * knows, and three calls — create, detect, destroy. The node refuses a plugin whose major
 * version differs from its own (MQP_DETECTOR_ABI_MAJOR), and an option key the plugin does not
 * list, each with a message that names them.
 *
 * The node calls a plugin instance from one thread at a time (its pipeline's): detect() needs
 * no locking, and several instances (one per source) may run at once. Nothing here is
 * library-internal: a plugin needs this header and the C standard library only.
 *
 * A minimal plugin, `examples/detector_plugin.c`:
 * @code
 * static int create(const mqp_detector_option *opts, size_t n, int w, int h, void **self,
 *                   mqp_detector_info *info, char *err, size_t errlen) { … }
 * static int detect(void *self, const mqp_image *img, mqp_box *out, size_t cap, size_t *n,
 *                   char *err, size_t errlen) { … }
 * static void destroy(void *self) { … }
 * static const char *const keys[] = {"size", NULL};
 * static const mqp_detector_plugin plugin = {MQP_DETECTOR_ABI_MAJOR, MQP_DETECTOR_ABI_MINOR,
 *                                            "example", keys, create, detect, destroy};
 * MQP_DETECTOR_EXPORT const mqp_detector_plugin *mqp_detector_plugin_get(void) { return &plugin; }
 * @endcode
 */
#ifndef MQPLANE_DETECTOR_H
#define MQPLANE_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI's major version: a plugin with another one is refused. */
#define MQP_DETECTOR_ABI_MAJOR 1
/** The minor version: additions a plugin of an older minor version simply does not use. */
#define MQP_DETECTOR_ABI_MINOR 0

/** The name of the function every plugin exports. */
#define MQP_DETECTOR_ENTRY "mqp_detector_plugin_get"

#if defined(__GNUC__)
/** Marks the entry function exported even when the plugin builds with hidden visibility. */
#define MQP_DETECTOR_EXPORT __attribute__((visibility("default")))
#else
#define MQP_DETECTOR_EXPORT
#endif

/** Pixel formats, packed, 8 bits a channel. */
typedef enum mqp_pixfmt {
    MQP_PIXFMT_GRAY8 = 0, /**< One byte a pixel. */
    MQP_PIXFMT_RGB24 = 1, /**< Red, green, blue. */
    MQP_PIXFMT_BGR24 = 2  /**< Blue, green, red (OpenCV's order). */
} mqp_pixfmt;

/** An image handed to detect(): borrowed for the call. */
typedef struct mqp_image {
    const uint8_t *data; /**< Its top-left pixel. */
    int width, height;
    int stride;        /**< Bytes between rows. */
    mqp_pixfmt format; /**< The format the plugin asked for. */
    int origin_x;      /**< Where (0, 0) of this image lies in the full frame: a crop of the */
    int origin_y;      /**< frame (the region of interest) has a non-zero origin. */
} mqp_image;

/** One object found. */
typedef struct mqp_box {
    int x, y, width, height; /**< In the image's own coordinates (the node maps them back). */
    float confidence;        /**< In [0, 1]. */
    int class_id;            /**< Negative: none. */
    const char *class_name;  /**< Valid until the next detect() on this instance. */
} mqp_box;

/** An option from the spec (`?size=640&conf=0.4`): borrowed for create(). */
typedef struct mqp_detector_option {
    const char *key;
    const char *value;
} mqp_detector_option;

/** What an instance tells the node at creation. */
typedef struct mqp_detector_info {
    mqp_pixfmt format;    /**< The format detect() takes: the source converts into it. */
    int input_width;      /**< The input size the model works at (0: any), so the node can */
    int input_height;     /**< give it a region at least that big. */
    uint64_t reserved[6]; /**< Zero; for what later minor versions add. */
} mqp_detector_info;

/** Return codes of create() and detect(). */
enum {
    MQP_DETECTOR_OK = 0,
    MQP_DETECTOR_FAILED = 1,    /**< With a message in err. */
    MQP_DETECTOR_BAD_OPTION = 2 /**< create(): an option's value is wrong (message in err). */
};

/** A detector plugin: what mqp_detector_plugin_get() returns. Static for the process. */
typedef struct mqp_detector_plugin {
    uint32_t abi_major;             /**< MQP_DETECTOR_ABI_MAJOR it was built with. */
    uint32_t abi_minor;             /**< MQP_DETECTOR_ABI_MINOR it was built with. */
    const char *name;               /**< Short, for logs and detections: "hog", "yolo". */
    const char *const *option_keys; /**< NULL-terminated: the keys create() takes. */
    /**
     * Makes an instance for frames of frame_width x frame_height, with the spec's options
     * (each key one of option_keys). Writes *self and *info on success. On failure writes a
     * message (no trailing newline) into err and returns MQP_DETECTOR_FAILED or
     * MQP_DETECTOR_BAD_OPTION.
     */
    int (*create)(const mqp_detector_option *opts, size_t nopts, int frame_width, int frame_height,
                  void **self, mqp_detector_info *info, char *err, size_t errlen);
    /**
     * Finds objects in img (in info.format). Writes at most cap boxes to out and their number
     * to *n. On failure writes a message into err and returns MQP_DETECTOR_FAILED: the node
     * counts it and goes on with the next frame.
     */
    int (*detect)(void *self, const mqp_image *img, mqp_box *out, size_t cap, size_t *n, char *err,
                  size_t errlen);
    /** Frees an instance. */
    void (*destroy)(void *self);
    uint64_t reserved[8]; /**< Zero; for what later minor versions add. */
} mqp_detector_plugin;

/** The type of the exported entry. */
typedef const mqp_detector_plugin *(*mqp_detector_plugin_get_fn)(void);

/** What a plugin defines (and the node looks up by MQP_DETECTOR_ENTRY): its description, static
 *  for the process. Declared here so a plugin's definition has its prototype, and C++ plugins
 *  get C linkage. */
MQP_DETECTOR_EXPORT const mqp_detector_plugin *mqp_detector_plugin_get(void);

#ifdef __cplusplus
}
#endif

#endif
