/* Video through FFmpeg: files, RTSP cameras (go2rtc's too) and V4L2 devices.
 *
 * Each source decodes on a thread of its own and hands frames to its pipeline through three
 * buffers: the decoder fills `writing`, then swaps it with `ready`; the pipeline swaps `ready`
 * with `held` and works on that. No frame is copied, and the pipeline always gets the newest
 * one: a frame that is replaced in `ready` before the pipeline took it is counted as skipped.
 * A file read with realtime=0 is the exception: there the decoder waits for the pipeline, so
 * every frame is processed (batch work, benchmarks).
 *
 * A live source that cannot be opened, fails, ends, or stays connected without sending
 * anything for the stall timeout (FFmpeg's interrupt callback notices) is closed and reopened
 * with jittered backoff, forever; the node hears of it through the source's events.
 *
 * Built as a module of its own (video.so), which the node loads when it first opens a video
 * source: FFmpeg and what it pulls in are 30 MB of libraries mapped into every process that
 * links them. */
#define _GNU_SOURCE
#include "source.h"
#include "source_spec.h"

#include "backoff.h"
#include "clock.h"
#include "sync.h"

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STALL_S  5.0
#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 10000
#define PACE_SLICE_MS    50      /* Longest sleep while pacing a file, so a stop is seen soon. */
#define OPEN_GRACE_S     2.0     /* Opening may take this much more than the stall timeout. */
#define LIVE_PROBE_US    1000000 /* How long a live stream is analysed at opening. */

/* One of the three buffers: a converted frame and the decoded frame it came from. */
typedef struct picture {
    uint8_t *data;
    size_t cap;
    int width, height, stride;
    AVFrame *native; /* A reference to the decoded frame, for colour(). */
    uint64_t id;
    double wall, mono, decode_ms;
} picture;

typedef struct av_source {
    source base;
    av_spec spec;
    pixfmt format;
    double stall_s;
    source_events ev;

    pthread_t thread;
    bool started;
    pthread_mutex_t mu; /* Guards the exchange of pictures, the state and the counters. */
    pthread_cond_t cond;
    picture pics[3];
    int writing, ready, held;
    bool ready_full;
    source_state state;
    uint64_t frames, skipped, reconnects;
    char reason[200];
    atomic_bool stop;

    /* The decoding thread's own (the first open of a file happens before it starts). */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    int stream;
    struct SwsContext *sws;
    AVPacket *pkt;
    AVFrame *frame;
    atomic_int_fast64_t waiting_since_ms; /* When the current read or open began; 0: none. */
    atomic_int_fast64_t wait_limit_ms;    /* How long it may take. */
    atomic_bool interrupted;              /* The callback cut a wait short. */
    uint64_t next_id;
    bool paced;
    double pace_start;
    double pace_pts0;

    struct SwsContext *rgb_sws; /* The pipeline thread's, for colour(). */
} av_source;

static pthread_once_t av_once = PTHREAD_ONCE_INIT;

static void av_init(void)
{
    avdevice_register_all();
    av_log_set_level(AV_LOG_QUIET); /* Every failure is reported with its reason instead. */
}

static enum AVPixelFormat av_format_of(pixfmt f)
{
    return f == PIXFMT_GRAY8   ? AV_PIX_FMT_GRAY8
           : f == PIXFMT_RGB24 ? AV_PIX_FMT_RGB24
                               : AV_PIX_FMT_BGR24;
}

static const char *av_reason(int code, char *buf, size_t len)
{
    if (av_strerror(code, buf, len) < 0) {
        snprintf(buf, len, "FFmpeg error %d", code);
    }
    return buf;
}

/* ---- interruption: stop, open deadline, stall ---- */

static int interrupt_cb(void *opaque)
{
    av_source *a = opaque;
    if (atomic_load(&a->stop)) {
        return 1;
    }
    int64_t since = atomic_load(&a->waiting_since_ms);
    if (since && mqpx_mono_ms() - since > atomic_load(&a->wait_limit_ms)) {
        atomic_store(&a->interrupted, true);
        return 1;
    }
    return 0;
}

/* The next I/O may take up to limit_s before the interrupt callback cuts it. */
static void begin_wait(av_source *a, double limit_s)
{
    atomic_store(&a->interrupted, false);
    atomic_store(&a->wait_limit_ms, (int64_t)(limit_s * 1e3));
    atomic_store(&a->waiting_since_ms, mqpx_mono_ms());
}

static void set_state(av_source *a, source_state st, const char *reason)
{
    pthread_mutex_lock(&a->mu);
    a->state = st;
    if (reason) {
        snprintf(a->reason, sizeof a->reason, "%s", reason);
    }
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
}

/* ---- opening and closing (decoding thread, or source_av_open for a file's first open) ---- */

static void close_input(av_source *a)
{
    avcodec_free_context(&a->dec);
    avformat_close_input(&a->fmt);
    sws_freeContext(a->sws);
    a->sws = NULL;
    a->paced = false;
}

static mqp_err open_input(av_source *a, char *why, size_t len)
{
    char e[128];
    AVDictionary *opts = NULL;
    const AVInputFormat *ifmt = NULL;
    if (a->spec.kind == KIND_RTSP) {
        av_dict_set(&opts, "rtsp_transport", a->spec.transport, 0);
    } else if (a->spec.kind == KIND_V4L2) {
        ifmt = av_find_input_format("video4linux2");
    }
    a->fmt = avformat_alloc_context();
    if (!a->fmt) {
        av_dict_free(&opts);
        snprintf(why, len, "out of memory");
        return MQP_ERR_NOMEM;
    }
    a->fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, a};
    if (a->spec.kind != KIND_FILE) {
        /* A camera is analysed briefly: FFmpeg's default (5 s) only delays the first frame. */
        a->fmt->max_analyze_duration = LIVE_PROBE_US;
    }
    begin_wait(a, a->stall_s + OPEN_GRACE_S);
    int r = avformat_open_input(&a->fmt, a->spec.url, ifmt, &opts);
    av_dict_free(&opts);
    if (r >= 0) {
        r = avformat_find_stream_info(a->fmt, NULL);
    }
    atomic_store(&a->waiting_since_ms, 0);
    if (r >= 0 && atomic_load(&a->interrupted)) {
        r = AVERROR_EXIT; /* Cut short: what it found cannot be trusted, nor the input read on. */
    }
    if (r < 0) {
        snprintf(why, len, "%s",
                 r == AVERROR_EXIT && !atomic_load(&a->stop) ? "no answer within the stall timeout"
                                                             : av_reason(r, e, sizeof e));
        close_input(a);
        return MQP_ERR_IO;
    }
    const AVCodec *codec = NULL;
    a->stream = av_find_best_stream(a->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (a->stream < 0 || !codec) {
        snprintf(why, len, "%s",
                 a->stream == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream"
                                                        : "no video stream");
        close_input(a);
        return MQP_ERR_UNSUPPORTED;
    }
    a->dec = avcodec_alloc_context3(codec);
    if (!a->dec ||
        avcodec_parameters_to_context(a->dec, a->fmt->streams[a->stream]->codecpar) < 0) {
        snprintf(why, len, "cannot set up the %s decoder", codec->name);
        close_input(a);
        return MQP_ERR_NOMEM;
    }
    /* Live: slice threads only, which add no delay. A file: frame threads too, for speed. */
    a->dec->thread_count = 0;
    a->dec->thread_type =
        a->spec.kind == KIND_FILE ? FF_THREAD_FRAME | FF_THREAD_SLICE : FF_THREAD_SLICE;
    if ((r = avcodec_open2(a->dec, codec, NULL)) < 0) {
        snprintf(why, len, "cannot open the %s decoder: %s", codec->name,
                 av_reason(r, e, sizeof e));
        close_input(a);
        return MQP_ERR_UNSUPPORTED;
    }
    return MQP_OK;
}

/* ---- handing frames over ---- */

static bool ensure_picture(picture *p, int w, int h, int bpp)
{
    size_t stride = (size_t)w * (size_t)bpp;
    size_t need = stride * (size_t)h;
    if (p->cap < need) {
        uint8_t *d = realloc(p->data, need);
        if (!d) {
            return false;
        }
        p->data = d;
        p->cap = need;
    }
    if (!p->native && !(p->native = av_frame_alloc())) {
        return false;
    }
    p->width = w;
    p->height = h;
    p->stride = (int)stride;
    return true;
}

/* Sleeps until the frame's moment when a file plays at its own rate; false when stopped. */
static bool pace(av_source *a, const AVFrame *f)
{
    if (a->spec.kind != KIND_FILE || !a->spec.realtime ||
        f->best_effort_timestamp == AV_NOPTS_VALUE) {
        return !atomic_load(&a->stop);
    }
    double pts = (double)f->best_effort_timestamp * av_q2d(a->fmt->streams[a->stream]->time_base);
    if (!a->paced) {
        a->paced = true;
        a->pace_start = mqpx_mono_s();
        a->pace_pts0 = pts;
    }
    double due = a->pace_start + (pts - a->pace_pts0);
    for (double wait = due - mqpx_mono_s(); wait > 0 && !atomic_load(&a->stop);
         wait = due - mqpx_mono_s()) {
        mqpx_sleep_ms(wait * 1e3 < PACE_SLICE_MS ? (int)(wait * 1e3) + 1 : PACE_SLICE_MS);
    }
    return !atomic_load(&a->stop);
}

/* Converts f into the writing picture and makes it the ready one. */
static mqp_err deliver(av_source *a, AVFrame *f, double started)
{
    if (!pace(a, f)) {
        return MQP_ERR_SHUTDOWN;
    }
    picture *p = &a->pics[a->writing];
    if (!ensure_picture(p, f->width, f->height, pixfmt_bytes(a->format))) {
        return MQP_ERR_NOMEM;
    }
    a->sws = sws_getCachedContext(a->sws, f->width, f->height, f->format, f->width, f->height,
                                  av_format_of(a->format), SWS_BILINEAR, NULL, NULL, NULL);
    if (!a->sws) {
        return MQP_ERR_UNSUPPORTED;
    }
    uint8_t *dst[4] = {p->data};
    int dst_stride[4] = {p->stride};
    sws_scale(a->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
    av_frame_unref(p->native);
    if (av_frame_ref(p->native, f) < 0) {
        return MQP_ERR_NOMEM;
    }
    double now = mqpx_mono_s();
    p->id = ++a->next_id;
    p->mono = started; /* Its data arrived: the end-to-end latency counts from here. */
    p->wall = mqpx_wall_s();
    p->decode_ms = (now - started) * 1e3;
    pthread_mutex_lock(&a->mu);
    bool batch = a->spec.kind == KIND_FILE && !a->spec.realtime;
    while (batch && a->ready_full && !atomic_load(&a->stop)) {
        pthread_cond_wait(&a->cond, &a->mu);
    }
    if (a->ready_full && !atomic_load(&a->base.idle)) {
        a->skipped++; /* The pipeline did not take the previous one in time. */
    }
    int t = a->ready;
    a->ready = a->writing;
    a->writing = t;
    a->ready_full = true;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
    return MQP_OK;
}

/* Sends pkt (NULL: flush) to the decoder and delivers every frame that comes out. */
static mqp_err decode_packet(av_source *a, const AVPacket *pkt, char *why, size_t len)
{
    double started = mqpx_mono_s();
    int r = avcodec_send_packet(a->dec, pkt);
    if (r < 0 && r != AVERROR_EOF && r != AVERROR(EAGAIN) && r != AVERROR_INVALIDDATA) {
        char e[128];
        snprintf(why, len, "decoding failed: %s", av_reason(r, e, sizeof e));
        return MQP_ERR_IO;
    }
    while ((r = avcodec_receive_frame(a->dec, a->frame)) == 0) {
        mqp_err rc = deliver(a, a->frame, started);
        av_frame_unref(a->frame);
        if (rc != MQP_OK) {
            snprintf(why, len, "%s", mqp_strerror(rc));
            return rc;
        }
        started = mqpx_mono_s();
    }
    return MQP_OK;
}

/* Reads and decodes until the input fails. MQP_ERR_NOT_FOUND at the end of a file that does
 * not loop; MQP_ERR_SHUTDOWN when stopped; else the reason is in why. */
static mqp_err decode_loop(av_source *a, char *why, size_t len)
{
    char e[128];
    for (;;) {
        if (atomic_load(&a->stop)) {
            return MQP_ERR_SHUTDOWN;
        }
        begin_wait(a, a->stall_s);
        int r = av_read_frame(a->fmt, a->pkt);
        atomic_store(&a->waiting_since_ms, 0);
        if (r == AVERROR_EOF && atomic_load(&a->interrupted)) {
            r = AVERROR_EXIT; /* Some demuxers (RTSP) say end of stream when cut short. */
        }
        if (r == AVERROR_EOF && a->spec.kind == KIND_FILE) {
            mqp_err rc = decode_packet(a, NULL, why, len); /* The frames still in the decoder. */
            if (rc != MQP_OK || !a->spec.loop) {
                return rc == MQP_OK ? MQP_ERR_NOT_FOUND : rc;
            }
            avcodec_flush_buffers(a->dec);
            if (av_seek_frame(a->fmt, a->stream, 0, AVSEEK_FLAG_BACKWARD) < 0) {
                snprintf(why, len, "cannot seek back to loop");
                return MQP_ERR_IO;
            }
            a->paced = false;
            continue;
        }
        if (r < 0) {
            if (atomic_load(&a->stop)) {
                return MQP_ERR_SHUTDOWN;
            }
            if (r == AVERROR_EXIT) {
                snprintf(why, len, "no data for %.1f s (the stall timeout)", a->stall_s);
            } else {
                snprintf(why, len, "%s",
                         r == AVERROR_EOF ? "the stream ended" : av_reason(r, e, sizeof e));
            }
            return MQP_ERR_IO;
        }
        mqp_err rc = MQP_OK;
        if (a->pkt->stream_index == a->stream) {
            rc = decode_packet(a, a->pkt, why, len);
        }
        av_packet_unref(a->pkt);
        if (rc != MQP_OK) {
            return rc;
        }
    }
}

/* Waits ms or until stopped; true when stopped. */
static bool wait_or_stop(av_source *a, int64_t ms)
{
    struct timespec deadline = mqpx_deadline_in(ms);
    pthread_mutex_lock(&a->mu);
    while (!atomic_load(&a->stop) && pthread_cond_timedwait(&a->cond, &a->mu, &deadline) == 0) {
    }
    pthread_mutex_unlock(&a->mu);
    return atomic_load(&a->stop);
}

static void *decode_main(void *arg)
{
    av_source *a = arg;
    mqpx_thread_lower_priority(NODE_FRAME_WORK_NICE); /* FFmpeg's threads inherit it. */
    mqpx_backoff backoff;
    mqpx_backoff_init(&backoff, RECONNECT_MIN_MS, RECONNECT_MAX_MS);
    bool lost = false; /* Reported lost, and not yet restored. */
    char why[200];
    while (!atomic_load(&a->stop)) {
        mqp_err rc = a->fmt ? MQP_OK : open_input(a, why, sizeof why);
        if (rc == MQP_OK) {
            if (lost && a->ev.restored) {
                pthread_mutex_lock(&a->mu);
                a->reconnects++;
                pthread_mutex_unlock(&a->mu);
                a->ev.restored(a->ev.user, a->base.id, a->base.description);
            }
            lost = false;
            mqpx_backoff_reset(&backoff);
            set_state(a, SOURCE_RUNNING, NULL);
            rc = decode_loop(a, why, sizeof why);
            close_input(a);
        }
        if (rc == MQP_ERR_SHUTDOWN || atomic_load(&a->stop)) {
            break;
        }
        if (rc == MQP_ERR_NOT_FOUND || a->spec.kind == KIND_FILE) {
            /* A file ends, for good: the end of the data or an error reading it. */
            set_state(a, SOURCE_ENDED, rc == MQP_ERR_NOT_FOUND ? "" : why);
            break;
        }
        set_state(a, SOURCE_LOST, why);
        if (!lost && a->ev.lost) {
            a->ev.lost(a->ev.user, a->base.id, a->base.description, why);
        }
        lost = true;
        if (wait_or_stop(a, mqpx_backoff_next(&backoff))) {
            break;
        }
        set_state(a, SOURCE_OPENING, NULL);
    }
    close_input(a);
    return NULL;
}

/* ---- the source operations (pipeline thread) ---- */

static mqp_err av_read(source *s, source_frame *out, int timeout_ms)
{
    av_source *a = (av_source *)s;
    struct timespec deadline = mqpx_deadline_in(timeout_ms);
    pthread_mutex_lock(&a->mu);
    int w = 0;
    while (!a->ready_full && a->state != SOURCE_ENDED && w == 0) {
        w = pthread_cond_timedwait(&a->cond, &a->mu, &deadline);
    }
    if (!a->ready_full) {
        bool ended = a->state == SOURCE_ENDED;
        pthread_mutex_unlock(&a->mu);
        return ended ? MQP_ERR_NOT_FOUND : MQP_ERR_TIMEOUT;
    }
    int t = a->held;
    a->held = a->ready;
    a->ready = t;
    a->ready_full = false;
    a->frames++;
    pthread_cond_broadcast(&a->cond); /* A batch decoder waits for the slot. */
    pthread_mutex_unlock(&a->mu);
    const picture *p = &a->pics[a->held];
    *out = (source_frame){.view = {.data = p->data,
                                   .width = p->width,
                                   .height = p->height,
                                   .stride = p->stride,
                                   .format = a->format},
                          .frame_id = p->id,
                          .capture_wall = p->wall,
                          .capture_mono = p->mono,
                          .decode_ms = p->decode_ms};
    return MQP_OK;
}

static mqp_err av_colour(source *s, uint8_t **buf, size_t *cap, int *width, int *height)
{
    av_source *a = (av_source *)s;
    const AVFrame *f = a->pics[a->held].native;
    if (!f || !f->width) {
        return MQP_ERR_STATE;
    }
    size_t need = (size_t)f->width * (size_t)f->height * 3;
    if (*cap < need) {
        uint8_t *b = realloc(*buf, need);
        if (!b) {
            return MQP_ERR_NOMEM;
        }
        *buf = b;
        *cap = need;
    }
    a->rgb_sws = sws_getCachedContext(a->rgb_sws, f->width, f->height, f->format, f->width,
                                      f->height, AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    if (!a->rgb_sws) {
        return MQP_ERR_UNSUPPORTED;
    }
    uint8_t *dst[4] = {*buf};
    int dst_stride[4] = {f->width * 3};
    sws_scale(a->rgb_sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
              dst_stride);
    *width = f->width;
    *height = f->height;
    return MQP_OK;
}

static void av_stats(source *s, source_stats *out)
{
    av_source *a = (av_source *)s;
    pthread_mutex_lock(&a->mu);
    *out = (source_stats){a->state, a->frames, a->skipped, a->reconnects, ""};
    snprintf(out->reason, sizeof out->reason, "%s", a->reason);
    pthread_mutex_unlock(&a->mu);
}

static void av_destroy(source *s)
{
    av_source *a = (av_source *)s;
    atomic_store(&a->stop, true);
    pthread_mutex_lock(&a->mu);
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
    if (a->started) {
        pthread_join(a->thread, NULL);
    }
    close_input(a);
    for (int i = 0; i < 3; i++) {
        free(a->pics[i].data);
        av_frame_free(&a->pics[i].native);
    }
    av_packet_free(&a->pkt);
    av_frame_free(&a->frame);
    sws_freeContext(a->rgb_sws);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->mu);
    av_spec_clear(&a->spec);
    free(a->base.description);
    free(a);
}

static const source_ops av_ops = {av_read, av_colour, av_stats, av_destroy};

/* Exported even where the build hides symbols by default; video.map hides all else. */
__attribute__((visibility("default"))) mqp_err source_av_module_open(source **out, const char *spec,
                                                                     const source_opts *o,
                                                                     char *err, size_t errlen)
{
    pthread_once(&av_once, av_init);
    av_source *a = calloc(1, sizeof *a);
    if (!a) {
        return MQP_ERR_NOMEM;
    }
    a->base.ops = &av_ops;
    a->base.id = o->id;
    a->format = o->format;
    a->stall_s = o->stall_timeout_s > 0 ? o->stall_timeout_s : DEFAULT_STALL_S;
    a->ev = o->events;
    a->writing = 0;
    a->ready = 1;
    a->held = 2;
    pthread_mutex_init(&a->mu, NULL);
    mqpx_cond_init_monotonic(&a->cond); /* Waits measure time, not the wall clock. */
    mqp_err rc = av_spec_parse(&a->spec, spec, err, errlen);
    if (rc == MQP_OK) {
        a->pkt = av_packet_alloc();
        a->frame = av_frame_alloc();
        a->base.description = av_spec_description(&a->spec, spec);
        rc = a->pkt && a->frame && a->base.description ? MQP_OK : MQP_ERR_NOMEM;
    }
    char why[200];
    if (rc == MQP_OK && a->spec.kind == KIND_FILE && open_input(a, why, sizeof why) != MQP_OK) {
        /* A file is there or not: one that FFmpeg cannot read is a bad spec, not a loss. */
        snprintf(err, errlen, "source '%s': not a video FFmpeg can read: %s", spec, why);
        rc = MQP_ERR_INVALID;
    }
    if (rc == MQP_OK && pthread_create(&a->thread, NULL, decode_main, a) != 0) {
        rc = MQP_ERR_IO;
    }
    if (rc != MQP_OK) {
        av_destroy(&a->base);
        return rc;
    }
    a->started = true;
    *out = &a->base;
    return MQP_OK;
}
