/* Per-detector latency: each spec given is opened as the node opens it and run on frames of
 * the synthetic scene at WIDTHxHEIGHT (its objects move, so the motion detector has work),
 * converted to the format the detector asks for. Prints the median and the 90th percentile of
 * RUNS calls after WARMUP, in milliseconds. Numbers are printed, never asserted.
 *   bench_detectors WIDTHxHEIGHT RUNS SPEC...    (e.g. 640x480 50 motion hog onnx:m.onnx) */
#define _POSIX_C_SOURCE 200809L
#include "detector_plugin.h"
#include "scene.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARMUP 5

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static image_view in_format(image_view g, pixfmt f, uint8_t *buf)
{
    if (f == PIXFMT_GRAY8) {
        return g;
    }
    for (int i = 0; i < g.width * g.height; i++) {
        buf[3 * i] = buf[3 * i + 1] = buf[3 * i + 2] = g.data[i];
    }
    return (image_view){buf, g.width, g.height, g.width * 3, 0, 0, f};
}

static int bench(const char *spec, int w, int h, int runs, uint8_t *buf)
{
    char err[1024];
    detector *d = NULL;
    double t0 = mqpx_mono_s();
    if (detector_open(&d, spec, w, h, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "bench_detectors: %s\n", err);
        return 1;
    }
    double open_ms = (mqpx_mono_s() - t0) * 1e3;
    scene *sc;
    if (scene_new(&sc, &(scene_opts){.width = w, .height = h, .seed = 1}, err, sizeof err) !=
        MQP_OK) {
        fprintf(stderr, "bench_detectors: %s\n", err);
        detector_destroy(d);
        return 1;
    }
    double *ms = calloc((size_t)runs, sizeof *ms);
    size_t found = 0;
    for (int i = 0; i < WARMUP + runs && ms; i++) {
        image_view v = in_format(scene_render(sc, (uint64_t)i), d->format, buf);
        detection out[256];
        size_t n = 0;
        double s = mqpx_mono_s();
        detector_detect(d, v, out, 256, &n);
        if (i >= WARMUP) {
            ms[i - WARMUP] = (mqpx_mono_s() - s) * 1e3;
            found += n;
        }
    }
    if (ms) {
        qsort(ms, (size_t)runs, sizeof *ms, by_value);
        printf("  %-40s %9.2f ms median  %9.2f ms p90  (%s, opened in %.0f ms, %.1f boxes/frame)\n",
               spec, ms[runs / 2], ms[runs * 9 / 10], pixfmt_name(d->format), open_ms,
               (double)found / runs);
    }
    free(ms);
    scene_free(sc);
    detector_destroy(d);
    return ms ? 0 : 1;
}

int main(int argc, char **argv)
{
    int w, h, runs;
    if (argc < 4 || sscanf(argv[1], "%dx%d", &w, &h) != 2 || (runs = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: bench_detectors WIDTHxHEIGHT RUNS SPEC...\n");
        return 64;
    }
    uint8_t *buf = malloc((size_t)w * (size_t)h * 3);
    if (!buf) {
        return 1;
    }
    printf("detector latency at %dx%d, %d runs after %d (synthetic scene):\n", w, h, runs, WARMUP);
    int rc = 0;
    for (int i = 3; i < argc; i++) {
        rc |= bench(argv[i], w, h, runs, buf);
    }
    free(buf);
    return rc;
}
