#define _POSIX_C_SOURCE 200809L
#include "framepub.h"

#include "annotate.h"

#include "clock.h"
#include "source.h"
#include "sync.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MQP_HAVE_TURBOJPEG
#include <turbojpeg.h>

/* One source's frame waiting to be encoded. */
typedef struct slot {
    bool full;
    framepub_frame f;
    tracked tracks[FRAMEPUB_MAX_TRACKS];
    uint8_t *rgb;
    size_t cap;
} slot;

struct framepub {
    mqp_dataplane *dp;
    tjhandle tj;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    slot slots[FRAMEPUB_MAX_SOURCES];
    framepub_stats stats;
    /* The thread's own. */
    slot work;
    uint8_t *jpeg;
    size_t jpeg_cap;
};

mqp_err framepub_encode(framepub *fp, uint8_t *rgb, const framepub_frame *f, uint8_t **jpeg,
                        size_t *cap, size_t *len)
{
    annotate_draw(rgb, f->width, f->height, f->tracks, f->ntracks);
    unsigned long need = tjBufSize(f->width, f->height, TJSAMP_420);
    if (*cap < need) {
        uint8_t *b = tjAlloc((int)need);
        if (!b) {
            return MQP_ERR_NOMEM;
        }
        tjFree(*jpeg);
        *jpeg = b;
        *cap = need;
    }
    unsigned long size = *cap;
    if (tjCompress2(fp->tj, rgb, f->width, 0, f->height, TJPF_RGB, jpeg, &size, TJSAMP_420,
                    FRAMEPUB_QUALITY, TJFLAG_FASTDCT | TJFLAG_NOREALLOC) != 0) {
        return MQP_ERR_IO;
    }
    *len = size;
    return MQP_OK;
}

/* Takes a full slot (the lowest source id first), or false when stopping with none left. */
static bool take(framepub *fp)
{
    pthread_mutex_lock(&fp->mu);
    for (;;) {
        for (int i = 0; i < FRAMEPUB_MAX_SOURCES; i++) {
            slot *s = &fp->slots[i];
            if (s->full) {
                /* Exchange buffers: the slot keeps the work's old one for the next offer. */
                uint8_t *b = s->rgb;
                size_t c = s->cap;
                s->rgb = fp->work.rgb;
                s->cap = fp->work.cap;
                fp->work = *s;
                fp->work.rgb = b;
                fp->work.cap = c;
                fp->work.f.tracks = fp->work.tracks;
                s->full = false;
                pthread_mutex_unlock(&fp->mu);
                return true;
            }
        }
        if (fp->stop) {
            pthread_mutex_unlock(&fp->mu);
            return false;
        }
        pthread_cond_wait(&fp->cond, &fp->mu);
    }
}

static void *framepub_main(void *arg)
{
    framepub *fp = arg;
    mqpx_thread_lower_priority(NODE_FRAME_WORK_NICE); /* Best effort, as the pipeline's. */
    while (take(fp)) {
        double t0 = mqpx_mono_s();
        size_t len = 0;
        mqp_err rc = framepub_encode(fp, fp->work.rgb, &fp->work.f, &fp->jpeg, &fp->jpeg_cap, &len);
        double ms = (mqpx_mono_s() - t0) * 1e3;
        if (rc == MQP_OK) {
            mqp_frame_info fi = {fp->work.f.frame_id, fp->work.f.source_id, fp->work.f.timestamp};
            rc = mqp_dataplane_publish_frame(fp->dp, fp->jpeg, len, &fi);
        }
        pthread_mutex_lock(&fp->mu);
        fp->stats.published += rc == MQP_OK;
        fp->stats.encode_ms =
            fp->stats.encode_ms > 0 ? fp->stats.encode_ms + 0.2 * (ms - fp->stats.encode_ms) : ms;
        pthread_mutex_unlock(&fp->mu);
    }
    return NULL;
}

mqp_err framepub_new(framepub **out, mqp_dataplane *dp, char *err, size_t errlen)
{
    framepub *fp = calloc(1, sizeof *fp);
    if (!fp) {
        return MQP_ERR_NOMEM;
    }
    fp->dp = dp;
    pthread_mutex_init(&fp->mu, NULL);
    pthread_cond_init(&fp->cond, NULL);
    if (!(fp->tj = tjInitCompress())) {
        snprintf(err, errlen, "cannot start the JPEG encoder: %s", tjGetErrorStr());
        framepub_free(fp);
        return MQP_ERR_NOMEM;
    }
    if (pthread_create(&fp->thread, NULL, framepub_main, fp) != 0) {
        tjDestroy(fp->tj);
        fp->tj = NULL;
        framepub_free(fp);
        return MQP_ERR_IO;
    }
    *out = fp;
    return MQP_OK;
}

void framepub_offer(framepub *fp, const framepub_frame *f, uint8_t **rgb, size_t *cap)
{
    if (!fp || f->source_id < 0 || f->source_id >= FRAMEPUB_MAX_SOURCES) {
        return;
    }
    pthread_mutex_lock(&fp->mu);
    slot *s = &fp->slots[f->source_id];
    fp->stats.replaced += s->full;
    s->f = *f;
    s->f.ntracks = f->ntracks < FRAMEPUB_MAX_TRACKS ? f->ntracks : FRAMEPUB_MAX_TRACKS;
    memcpy(s->tracks, f->tracks, s->f.ntracks * sizeof *s->tracks);
    s->f.tracks = s->tracks;
    uint8_t *b = s->rgb;
    size_t c = s->cap;
    s->rgb = *rgb;
    s->cap = *cap;
    *rgb = b;
    *cap = c;
    s->full = true;
    pthread_cond_signal(&fp->cond);
    pthread_mutex_unlock(&fp->mu);
}

void framepub_stats_get(framepub *fp, framepub_stats *out)
{
    pthread_mutex_lock(&fp->mu);
    *out = fp->stats;
    pthread_mutex_unlock(&fp->mu);
}

void framepub_free(framepub *fp)
{
    if (!fp) {
        return;
    }
    if (fp->tj) { /* The thread runs only with an encoder. */
        pthread_mutex_lock(&fp->mu);
        fp->stop = true;
        pthread_cond_signal(&fp->cond);
        pthread_mutex_unlock(&fp->mu);
        pthread_join(fp->thread, NULL);
        tjDestroy(fp->tj);
    }
    for (int i = 0; i < FRAMEPUB_MAX_SOURCES; i++) {
        free(fp->slots[i].rgb);
    }
    free(fp->work.rgb);
    tjFree(fp->jpeg);
    pthread_cond_destroy(&fp->cond);
    pthread_mutex_destroy(&fp->mu);
    free(fp);
}

#else /* Without libturbojpeg: no annotated frames. */

mqp_err framepub_new(framepub **out, mqp_dataplane *dp, char *err, size_t errlen)
{
    (void)out;
    (void)dp;
    snprintf(err, errlen,
             "annotated frames: this mqplane was built without JPEG support "
             "(install libturbojpeg0-dev and rebuild)");
    return MQP_ERR_UNSUPPORTED;
}

void framepub_offer(framepub *fp, const framepub_frame *f, uint8_t **rgb, size_t *cap)
{
    (void)fp;
    (void)f;
    (void)rgb;
    (void)cap;
}

void framepub_stats_get(framepub *fp, framepub_stats *out)
{
    (void)fp;
    *out = (framepub_stats){0};
}

void framepub_free(framepub *fp)
{
    (void)fp;
}

mqp_err framepub_encode(framepub *fp, uint8_t *rgb, const framepub_frame *f, uint8_t **jpeg,
                        size_t *cap, size_t *len)
{
    (void)fp;
    (void)rgb;
    (void)f;
    (void)jpeg;
    (void)cap;
    (void)len;
    return MQP_ERR_UNSUPPORTED;
}

#endif
