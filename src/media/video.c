/* media/video.c - video sources on their own decode thread, with a one-frame
 * mailbox between the decoder and the consumer.
 *
 * The mailbox is why a slow consumer never builds a queue: a live source
 * overwrites the waiting frame (the consumer always gets the newest), a file
 * read at full speed waits for the slot to empty (every frame is seen). A
 * folder of images is read with the image loader, in name order.
 */
#include "internal.h"
#include "lfr/media.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

struct lfr_video {
    char *url;
    char shown[256]; /* the url for messages: a password in it is hidden */
    lfr_video_params p;
    int live, is_folder;
    pthread_t thread;
    int thread_started;
    atomic_int stop;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed;
    lfr_frame_pool *pool; /* the frames' pixel blocks */
    lfr_image *slot;      /* the waiting frame, owned */
    lfr_frame_info slot_info;
    int64_t last_arrival_us; /* when the newest frame was delivered */
    lfr_camera_state state;
    int end_code; /* LFR_EEND, or the failure code */
    char msg[768];
    lfr_video_stats stats;
    int64_t expected_frames; /* a file's frame count by its container, 0 if unknown */
    /* decoder thread only */
    char **files;
    int n_files;
};

lfr_video_params lfr_video_default_params(void)
{
    /* Keep in step with the comments in lfr/media.h. */
    return (lfr_video_params){.live = -1,
                              .realtime = 0,
                              .open_timeout_ms = 5000,
                              .reconnect_min_ms = 250,
                              .reconnect_max_ms = 8000,
                              .max_reconnects = 0,
                              .max_pixels = 3840LL * 2160,
                              .plays = 1};
}

const char *lfr_camera_state_name(lfr_camera_state s)
{
    static const char *names[] = {"connecting", "running", "reconnecting", "ended", "failed"};
    return s >= 0 && s <= LFR_CAM_FAILED ? names[s] : "unknown";
}

int lfr_video_url_is_live(const char *url)
{
    return !strncmp(url, "rtsp://", 7) || !strncmp(url, "rtsps://", 8) ||
           !strncmp(url, "rtmp://", 7) || !strncmp(url, "http://", 7) ||
           !strncmp(url, "https://", 8) || !strncmp(url, "udp://", 6) ||
           !strncmp(url, "tcp://", 6) || !strncmp(url, "srt://", 6) ||
           !strncmp(url, "/dev/video", 10);
}

static void set_state(lfr_video *v, lfr_camera_state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_state(lfr_video *v, lfr_camera_state s, const char *fmt, ...)
{
    pthread_mutex_lock(&v->lock);
    v->state = s;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->msg, sizeof v->msg, fmt, ap);
        va_end(ap);
    }
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->lock);
}

/* Hands a frame to the consumer per the mailbox policy. Takes ownership. */
static void deliver(lfr_video *v, lfr_image *img, const lfr_frame_info *info)
{
    int keep_all = !v->live && !v->p.realtime;
    pthread_mutex_lock(&v->lock);
    v->stats.decoded++;
    if (keep_all)
        while (v->slot && !atomic_load(&v->stop))
            pthread_cond_wait(&v->changed, &v->lock);
    if (v->slot) {
        lfr_image_free(v->slot); /* the consumer fell behind: newest wins */
        v->stats.dropped++;
    }
    v->slot = img;
    v->slot_info = *info;
    v->last_arrival_us = info->captured_us;
    if (v->state != LFR_CAM_RUNNING) {
        /* Running again: the error that made it reconnect is over. */
        v->state = LFR_CAM_RUNNING;
        v->msg[0] = '\0';
    }
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->lock);
}

static void sleep_ms(lfr_video *v, int ms)
{
    /* In small steps so a stop request is honoured quickly. */
    for (int waited = 0; waited < ms && !atomic_load(&v->stop); waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Realtime pacing: wait until the frame's presentation time. */
static void pace(lfr_video *v, int64_t start_us, int64_t pts_ms)
{
    if (!v->p.realtime || pts_ms < 0) return;
    int64_t due = start_us + pts_ms * 1000;
    int64_t now = lfr_now_us();
    if (due > now) sleep_ms(v, (int)((due - now) / 1000));
}

/* ---- FFmpeg ---- */

typedef struct ff {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    struct SwsContext *sws;
    /* swscale's vector code writes past the end of rows that are not padded
     * to its alignment, so a frame whose rows are not converts into this
     * padded buffer first. */
    uint8_t *rgb[4];
    int rgb_stride[4];
    int rgb_w, rgb_h;
    size_t rgb_bytes;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    int64_t deadline_us; /* for the interrupt callback */
    lfr_video *v;
} ff;

/* FFmpeg calls this while blocked in I/O: returning 1 aborts the call, so a
 * dead network peer cannot hang the decode thread. */
static int interrupt_cb(void *arg)
{
    ff *f = arg;
    return atomic_load(&f->v->stop) || (f->deadline_us && lfr_now_us() > f->deadline_us);
}

static void ff_close(ff *f)
{
    if (f->rgb[0]) {
        lfr_wipe(f->rgb[0], f->rgb_bytes); /* it held the last frame */
        av_freep(&f->rgb[0]);
    }
    sws_freeContext(f->sws);
    av_frame_free(&f->frame);
    av_packet_free(&f->pkt);
    avcodec_free_context(&f->dec);
    avformat_close_input(&f->fmt);
    f->sws = NULL;
}

/* FFmpeg's words for an error, but a call the interrupt callback cut short
 * at its deadline says that it timed out (FFmpeg says "Immediate exit
 * requested"). */
static const char *ff_err(const ff *f, int e, char *buf, size_t len)
{
    if (e == AVERROR_EXIT && f->deadline_us && lfr_now_us() > f->deadline_us &&
        !atomic_load(&f->v->stop))
        snprintf(buf, len, "no answer within %d ms (timed out)", f->v->p.open_timeout_ms);
    else
        av_strerror(e, buf, len);
    return buf;
}

static int ff_open(lfr_video *v, ff *f, char *err, size_t err_len)
{
    memset(f, 0, sizeof *f);
    f->v = v;
    f->fmt = avformat_alloc_context();
    if (!f->fmt) return snprintf(err, err_len, "out of memory"), LFR_ENOMEM;
    f->fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, f};
    AVDictionary *opts = NULL;
    const AVInputFormat *in_fmt = NULL;
    if (!strncmp(v->url, "rtsp", 4)) av_dict_set(&opts, "rtsp_transport", "tcp", 0);
    if (!strncmp(v->url, "/dev/video", 10)) in_fmt = av_find_input_format("video4linux2");
    /* A file is read from itself alone: a playlist or concat list inside
     * it may not make FFmpeg open other files or reach the network. */
    if (!v->live) av_dict_set(&opts, "protocol_whitelist", "file", 0);
    f->deadline_us = lfr_now_us() + (int64_t)v->p.open_timeout_ms * 1000;
    char e[128];
    int rc = avformat_open_input(&f->fmt, v->url, in_fmt, &opts);
    av_dict_free(&opts);
    if (rc < 0) {
        snprintf(err, err_len, "cannot open: %s", ff_err(f, rc, e, sizeof e));
        return rc == AVERROR(ENOENT) ? LFR_ENOENT : v->live ? LFR_EIO : LFR_EFORMAT;
    }
    if ((rc = avformat_find_stream_info(f->fmt, NULL)) < 0) {
        snprintf(err, err_len, "cannot read stream information: %s", ff_err(f, rc, e, sizeof e));
        return LFR_EFORMAT;
    }
    const AVCodec *codec = NULL;
    f->stream = av_find_best_stream(f->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (f->stream < 0 || !codec) {
        snprintf(err, err_len, "no decodable video stream");
        return LFR_EFORMAT;
    }
    AVStream *st = f->fmt->streams[f->stream];
    f->dec = avcodec_alloc_context3(codec);
    f->pkt = av_packet_alloc();
    f->frame = av_frame_alloc();
    if (!f->dec || !f->pkt || !f->frame) return snprintf(err, err_len, "out of memory"), LFR_ENOMEM;
    if (avcodec_parameters_to_context(f->dec, st->codecpar) < 0 ||
        (f->dec->thread_count = 1, avcodec_open2(f->dec, codec, NULL)) < 0) {
        snprintf(err, err_len, "cannot start the %s decoder", codec->name);
        return LFR_EFORMAT;
    }
    AVRational r = av_guess_frame_rate(f->fmt, st, NULL);
    pthread_mutex_lock(&v->lock);
    v->stats.fps = r.num && r.den ? av_q2d(r) : 0;
    v->expected_frames = st->nb_frames > 0 ? st->nb_frames : 0;
    pthread_mutex_unlock(&v->lock);
    return LFR_OK;
}

/* Converts the decoded frame to RGB in a frame from the pool: straight
 * into it when its rows keep swscale's alignment (1920, 1280 and 640 wide
 * do), else through the padded buffer. */
static int ff_to_image(ff *f, lfr_image **out, char *err, size_t err_len)
{
    AVFrame *fr = f->frame;
    if (fr->width < 1 || fr->height < 1 || (int64_t)fr->width * fr->height > f->v->p.max_pixels) {
        snprintf(err, err_len, "frame of %dx%d px outside the limit of %lld px", fr->width,
                 fr->height, (long long)f->v->p.max_pixels);
        return LFR_ELIMIT;
    }
    f->sws = sws_getCachedContext(f->sws, fr->width, fr->height, fr->format, fr->width, fr->height,
                                  AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    if (!f->sws) {
        snprintf(err, err_len, "cannot convert pixel format %d", fr->format);
        return LFR_EFORMAT;
    }
    int row = fr->width * 3;
    int direct = row % 64 == 0;
    if (!direct && (!f->rgb[0] || f->rgb_w != fr->width || f->rgb_h != fr->height)) {
        if (f->rgb[0]) {
            lfr_wipe(f->rgb[0], f->rgb_bytes);
            av_freep(&f->rgb[0]);
        }
        int bytes =
            av_image_alloc(f->rgb, f->rgb_stride, fr->width, fr->height + 1, AV_PIX_FMT_RGB24, 64);
        if (bytes < 0) {
            snprintf(err, err_len, "out of memory for a %dx%d frame", fr->width, fr->height);
            return LFR_ENOMEM;
        }
        f->rgb_bytes = (size_t)bytes;
        f->rgb_w = fr->width;
        f->rgb_h = fr->height;
    }
    lfr_image *img = NULL;
    if (lfr_frame_pool_take(f->v->pool, fr->width, fr->height, &img)) {
        snprintf(err, err_len, "out of memory for a %dx%d frame", fr->width, fr->height);
        return LFR_ENOMEM;
    }
    if (direct) {
        uint8_t *dst[4] = {img->rgb, NULL, NULL, NULL};
        int dst_stride[4] = {row, 0, 0, 0};
        sws_scale(f->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst,
                  dst_stride);
    } else {
        sws_scale(f->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, f->rgb,
                  f->rgb_stride);
        for (int y = 0; y < fr->height; y++)
            memcpy(img->rgb + (size_t)y * row, f->rgb[0] + (size_t)y * f->rgb_stride[0],
                   (size_t)row);
    }
    *out = img;
    return LFR_OK;
}

/* Reads and delivers frames until the source ends or breaks. Returns
 * LFR_EEND at a clean end of file, else an error code with err set. */
static int ff_pump(lfr_video *v, ff *f, char *err, size_t err_len)
{
    AVStream *st = f->fmt->streams[f->stream];
    int64_t start_us = lfr_now_us();
    int flushing = 0;
    int consecutive_errors = 0;
    char e[128];
    while (!atomic_load(&v->stop)) {
        if (!flushing) {
            f->deadline_us = v->live ? lfr_now_us() + (int64_t)v->p.open_timeout_ms * 1000 : 0;
            int rc = av_read_frame(f->fmt, f->pkt);
            if (rc == AVERROR_EOF || (rc < 0 && !v->live && avio_feof(f->fmt->pb))) {
                flushing = 1;
                avcodec_send_packet(f->dec, NULL);
            } else if (rc < 0) {
                snprintf(err, err_len, "read failed: %s", ff_err(f, rc, e, sizeof e));
                return LFR_EIO;
            } else {
                if (f->pkt->stream_index == f->stream) {
                    rc = avcodec_send_packet(f->dec, f->pkt);
                    if (rc < 0 && rc != AVERROR(EAGAIN)) {
                        pthread_mutex_lock(&v->lock);
                        v->stats.decode_errors++;
                        pthread_mutex_unlock(&v->lock);
                        /* A few damaged packets are survivable; a stream of
                         * nothing else is a corrupt file. */
                        if (++consecutive_errors > 50) {
                            snprintf(err, err_len, "corrupt video: %s", ff_err(f, rc, e, sizeof e));
                            av_packet_unref(f->pkt);
                            return LFR_EFORMAT;
                        }
                    }
                }
                av_packet_unref(f->pkt);
            }
        }
        for (;;) {
            int rc = avcodec_receive_frame(f->dec, f->frame);
            if (rc == AVERROR(EAGAIN)) break;
            if (rc == AVERROR_EOF) return LFR_EEND;
            if (rc < 0) {
                pthread_mutex_lock(&v->lock);
                v->stats.decode_errors++;
                pthread_mutex_unlock(&v->lock);
                if (++consecutive_errors > 50) {
                    snprintf(err, err_len, "corrupt video: %s", ff_err(f, rc, e, sizeof e));
                    return LFR_EFORMAT;
                }
                break;
            }
            consecutive_errors = 0;
            /* Concealed damage: the decoder filled the picture in. */
            if ((f->frame->flags & AV_FRAME_FLAG_CORRUPT) || f->frame->decode_error_flags) {
                pthread_mutex_lock(&v->lock);
                v->stats.decode_errors++;
                pthread_mutex_unlock(&v->lock);
            }
            int64_t pts = f->frame->best_effort_timestamp;
            lfr_frame_info info = {0, -1, lfr_now_us()};
            if (pts != AV_NOPTS_VALUE)
                info.pts_ms =
                    av_rescale_q(pts - (st->start_time != AV_NOPTS_VALUE ? st->start_time : 0),
                                 st->time_base, (AVRational){1, 1000});
            lfr_image *img = NULL;
            int crc = ff_to_image(f, &img, err, err_len);
            av_frame_unref(f->frame);
            if (crc) return crc;
            pace(v, start_us, info.pts_ms);
            pthread_mutex_lock(&v->lock);
            info.index = v->stats.decoded;
            pthread_mutex_unlock(&v->lock);
            info.captured_us = lfr_now_us();
            deliver(v, img, &info);
        }
    }
    return LFR_EEND;
}

/* ---- folders of images ---- */

static int is_image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    if (!dot) return 0;
    const char *exts[] = {".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".pnm", ".JPG", ".JPEG", ".PNG"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcmp(dot, exts[i])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_folder(lfr_ctx *ctx, lfr_video *v)
{
    DIR *d = opendir(v->url);
    if (!d) return lfr_fail(ctx, LFR_EIO, "%s: %s", v->shown, strerror(errno));
    struct dirent *de;
    int cap = 0;
    while ((de = readdir(d))) {
        if (!is_image_name(de->d_name)) continue;
        if (v->n_files == cap) {
            cap = cap ? cap * 2 : 64;
            char **nf = lfr_realloc(v->files, (size_t)cap * sizeof *nf);
            if (!nf) break;
            v->files = nf;
        }
        size_t len = strlen(v->url) + strlen(de->d_name) + 2;
        char *path = lfr_alloc(len);
        if (!path) break;
        snprintf(path, len, "%s/%s", v->url, de->d_name);
        v->files[v->n_files++] = path;
    }
    closedir(d);
    if (v->n_files == 0) return lfr_fail(ctx, LFR_EFORMAT, "%s: no images in the folder", v->shown);
    qsort(v->files, (size_t)v->n_files, sizeof *v->files, cmp_str);
    return LFR_OK;
}

static void run_folder(lfr_video *v)
{
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) {
        set_state(v, LFR_CAM_FAILED, "out of memory");
        return;
    }
    int64_t start_us = lfr_now_us();
    for (int i = 0; i < v->n_files && !atomic_load(&v->stop); i++) {
        lfr_image *img = NULL;
        lfr_decode_params dp = lfr_decode_default_params();
        dp.max_pixels = v->p.max_pixels;
        if (lfr_image_load(ctx, v->files[i], &dp, &img)) {
            /* One bad picture in a folder is reported, not fatal. */
            pthread_mutex_lock(&v->lock);
            v->stats.decode_errors++;
            snprintf(v->msg, sizeof v->msg, "%s", lfr_errmsg(ctx));
            pthread_mutex_unlock(&v->lock);
            continue;
        }
        int64_t pts = v->stats.fps > 0 ? (int64_t)(i * 1000 / v->stats.fps) : -1;
        pace(v, start_us, pts);
        lfr_frame_info info = {i, pts, lfr_now_us()};
        deliver(v, img, &info);
    }
    lfr_ctx_free(ctx);
    pthread_mutex_lock(&v->lock);
    v->state = LFR_CAM_ENDED;
    v->end_code = LFR_EEND;
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->lock);
}

/* A file that played to its end but not whole says so: it is damaged or
 * cut short, and whatever was measured on it is short too. v->lock held. */
static void describe_damage(lfr_video *v)
{
    int64_t decoded = v->stats.decoded, expected = v->expected_frames;
    int short_file = expected > 0 && decoded < expected - expected / 50;
    if (!short_file && !v->stats.decode_errors) return;
    char missing[96] = "";
    if (short_file)
        snprintf(missing, sizeof missing, "only %lld of its %lld frames decoded",
                 (long long)decoded, (long long)expected);
    snprintf(v->msg, sizeof v->msg, "%s: damaged: %s%s%lld damaged packet%s or frame%s", v->shown,
             missing, *missing ? "; " : "", (long long)v->stats.decode_errors,
             v->stats.decode_errors == 1 ? "" : "s", v->stats.decode_errors == 1 ? "" : "s");
}

/* ---- the decode thread ---- */

static void *decode_thread(void *arg)
{
    lfr_video *v = arg;
    if (v->is_folder) {
        run_folder(v);
        return NULL;
    }
    int backoff = v->p.reconnect_min_ms, attempts = 0, plays = 0;
    char err[256] = "";
    for (;;) {
        ff f;
        int rc = ff_open(v, &f, err, sizeof err);
        if (rc == LFR_OK) {
            attempts = 0;
            backoff = v->p.reconnect_min_ms;
            rc = ff_pump(v, &f, err, sizeof err);
        }
        ff_close(&f);
        if (atomic_load(&v->stop)) break;
        if (!v->live && rc == LFR_EEND && ++plays < v->p.plays) continue;
        if (!v->live || rc == LFR_ENOMEM || rc == LFR_ELIMIT) {
            pthread_mutex_lock(&v->lock);
            v->state = rc == LFR_EEND ? LFR_CAM_ENDED : LFR_CAM_FAILED;
            v->end_code = rc;
            if (rc != LFR_EEND)
                snprintf(v->msg, sizeof v->msg, "%s: %s", v->shown, err);
            else
                describe_damage(v);
            pthread_cond_broadcast(&v->changed);
            pthread_mutex_unlock(&v->lock);
            break;
        }
        /* A live source: it dropped or never came up; try again later. */
        attempts++;
        if (v->p.max_reconnects && attempts > v->p.max_reconnects) {
            pthread_mutex_lock(&v->lock);
            v->state = LFR_CAM_FAILED;
            v->end_code = LFR_EIO;
            snprintf(v->msg, sizeof v->msg, "%s: gave up after %d attempts: %s", v->shown,
                     attempts - 1, err);
            pthread_cond_broadcast(&v->changed);
            pthread_mutex_unlock(&v->lock);
            break;
        }
        pthread_mutex_lock(&v->lock);
        v->stats.reconnects++;
        pthread_mutex_unlock(&v->lock);
        set_state(v, LFR_CAM_RECONNECTING, "%s: %s; retrying in %d ms", v->shown,
                  rc == LFR_EEND ? "stream ended" : err, backoff);
        sleep_ms(v, backoff);
        backoff = backoff * 2 > v->p.reconnect_max_ms ? v->p.reconnect_max_ms : backoff * 2;
    }
    return NULL;
}

static pthread_once_t devices_once = PTHREAD_ONCE_INIT;

static void register_devices(void)
{
    avdevice_register_all(); /* for V4L2 webcams */
    /* Failures reach the caller as messages; FFmpeg's own log would only
     * repeat them on stderr. */
    av_log_set_level(AV_LOG_FATAL);
}

int lfr_video_open(lfr_ctx *ctx, const char *url, const lfr_video_params *p, lfr_video **out)
{
    *out = NULL;
    pthread_once(&devices_once, register_devices);
    lfr_video_params d = lfr_video_default_params();
    if (!p) p = &d;
    if (!url || !*url) return lfr_fail(ctx, LFR_EINVAL, "video: empty source");
    char shown[256];
    lfr_url_redact(url, shown, sizeof shown);
    if (p->open_timeout_ms < 1 || p->reconnect_min_ms < 1 ||
        p->reconnect_max_ms < p->reconnect_min_ms || p->max_pixels < 1 || p->plays < 1)
        return lfr_fail(ctx, LFR_EINVAL, "%s: video parameters out of range", shown);
    lfr_video *v = lfr_calloc(1, sizeof *v);
    if (!v || !(v->url = lfr_strdup(url)) || lfr_frame_pool_new(&v->pool)) {
        if (v) lfr_free(v->url);
        lfr_free(v);
        return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", shown);
    }
    snprintf(v->shown, sizeof v->shown, "%s", shown);
    v->p = *p;
    v->live = p->live >= 0 ? p->live : lfr_video_url_is_live(url);
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->changed, NULL);
    v->state = LFR_CAM_CONNECTING;
    struct stat st;
    int rc = LFR_OK;
    if (!v->live) {
        if (stat(url, &st) != 0) {
            rc = lfr_fail(ctx, errno == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", shown,
                          strerror(errno));
            goto fail;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            /* A FIFO blocks its reader until someone writes: it would hold
             * up whoever opens it, without a timeout that could end it. */
            rc = lfr_fail(ctx, LFR_EINVAL,
                          "%s: not a video file or a folder of images (a FIFO, socket or "
                          "device): a camera is a stream URL (rtsp://, http://) or /dev/video*",
                          shown);
            goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
            v->is_folder = 1;
            v->stats.fps = 25.0; /* a folder has no rate; 25 for --realtime */
            if ((rc = list_folder(ctx, v))) goto fail;
        } else {
            /* Open once here so a corrupt file is reported to the caller
             * at once rather than only through the thread. */
            ff f;
            char err[256];
            rc = ff_open(v, &f, err, sizeof err);
            ff_close(&f);
            if (rc) {
                rc = lfr_fail(ctx, rc, "%s: %s", shown, err);
                goto fail;
            }
        }
    }
    if (pthread_create(&v->thread, NULL, decode_thread, v)) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: cannot start the decode thread", shown);
        goto fail;
    }
    v->thread_started = 1;
    *out = v;
    return LFR_OK;
fail:
    lfr_video_free(v);
    return rc;
}

int lfr_video_next(lfr_ctx *ctx, lfr_video *v, int timeout_ms, lfr_image **frame,
                   lfr_frame_info *info)
{
    *frame = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&v->lock);
    while (!v->slot && v->state != LFR_CAM_ENDED && v->state != LFR_CAM_FAILED)
        if (pthread_cond_timedwait(&v->changed, &v->lock, &ts) == ETIMEDOUT) break;
    int rc = LFR_OK;
    if (v->slot) {
        *frame = v->slot;
        if (info) *info = v->slot_info;
        v->slot = NULL;
        v->stats.delivered++;
        pthread_cond_broadcast(&v->changed);
    } else if (v->state == LFR_CAM_ENDED) {
        rc = lfr_fail(ctx, LFR_EEND, "%s: end of stream", v->shown);
    } else if (v->state == LFR_CAM_FAILED) {
        rc = lfr_fail(ctx, v->end_code ? v->end_code : LFR_EIO, "%s", v->msg);
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

lfr_camera_state lfr_video_state(lfr_video *v, char *msg, size_t msg_len)
{
    pthread_mutex_lock(&v->lock);
    lfr_camera_state s = v->state;
    if (msg && msg_len) snprintf(msg, msg_len, "%s", v->msg);
    pthread_mutex_unlock(&v->lock);
    return s;
}

int lfr_video_behind(lfr_video *v)
{
    if (!v->live && !v->p.realtime) return 0;
    pthread_mutex_lock(&v->lock);
    int waiting = v->slot != NULL;
    pthread_mutex_unlock(&v->lock);
    return waiting;
}

int64_t lfr_video_next_due_us(lfr_video *v)
{
    if (!v->live && !v->p.realtime) return 0;
    pthread_mutex_lock(&v->lock);
    double fps = v->stats.fps > 1 && v->stats.fps < 1000 ? v->stats.fps : 25.0;
    int64_t due = v->last_arrival_us ? v->last_arrival_us + (int64_t)(1e6 / fps) : 0;
    pthread_mutex_unlock(&v->lock);
    return due;
}

void lfr_video_stats_get(lfr_video *v, lfr_video_stats *out)
{
    pthread_mutex_lock(&v->lock);
    *out = v->stats;
    pthread_mutex_unlock(&v->lock);
}

void lfr_video_free(lfr_video *v)
{
    if (!v) return;
    atomic_store(&v->stop, 1);
    pthread_mutex_lock(&v->lock);
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->lock);
    if (v->thread_started) pthread_join(v->thread, NULL);
    lfr_image_free(v->slot);
    lfr_frame_pool_close(v->pool); /* frames still out keep it until freed */
    for (int i = 0; i < v->n_files; i++)
        lfr_free(v->files[i]);
    lfr_free(v->files);
    pthread_cond_destroy(&v->changed);
    pthread_mutex_destroy(&v->lock);
    lfr_free(v->url);
    lfr_free(v);
}
