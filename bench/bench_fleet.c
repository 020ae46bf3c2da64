/* A simulated fleet against one broker (bench/fleet.sh): NODES nodes, each with the two
 * connections of a real one — control (its commands subscribed, its status retained, answers
 * with the request id) and data (a detections message RATE times a second) — all driven by
 * one thread polling every socket, plus an operator timing command round trips to nodes
 * across the fleet. Bare libmosquitto, so the broker, not this process, is what is measured.
 *
 *   bench_fleet URL NODES RATE SECONDS READY_FILE
 *       connects the fleet, writes READY_FILE once every node is connected and subscribed,
 *       runs SECONDS more, then prints
 *       nodes=N connections=C detections_per_s=R commands=K rtt_p50_ms=… rtt_p99_ms=…
 *       rtt_max_ms=… lost=L setup_s=S
 * Numbers are printed, never asserted. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/mqplane.h"

#include "clock.h"

#include <mosquitto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define COMMAND_EVERY_S 0.02 /* The operator's pace: 50 commands a second, round the fleet. */
#define MAX_PENDING     4096

typedef struct sim {
    struct mosquitto *ctl, *data;
    char id[32];
    char responses[80], detections[80];
    double next_pub;
    unsigned long frame;
} sim;

static int connacks, subacks;
static double sent_at[MAX_PENDING];
static double *rtts;
static size_t nrtt, rtt_cap;
static long commands;

static void on_connect(struct mosquitto *m, void *u, int rc)
{
    (void)m;
    (void)u;
    connacks += rc == 0;
}

static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *g)
{
    (void)m;
    (void)u;
    (void)mid;
    (void)n;
    (void)g;
    subacks++;
}

/* A command to a simulated node: answered as the node answers status (docs/WIRE.md). */
static void on_command(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
    sim *s = u;
    const char *rid = strstr(msg->payload ? (const char *)msg->payload : "", "\"request_id\":\"");
    char id[64] = "";
    if (rid) {
        sscanf(rid + 14, "%63[^\"]", id);
    }
    char answer[256];
    int n = snprintf(answer, sizeof answer,
                     "{\"request_id\":\"%s\",\"command\":\"status\",\"ok\":true,\"status\":"
                     "\"running\",\"result\":{\"pipeline\":\"running\",\"node\":\"%s\"}}",
                     id, s->id);
    mosquitto_publish(m, NULL, s->responses, n, answer, 1, false);
}

/* The operator's answers: op-<slot> request ids, timed. */
static void on_answer(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
    (void)m;
    (void)u;
    const char *rid =
        strstr(msg->payload ? (const char *)msg->payload : "", "\"request_id\":\"op-");
    if (!rid) {
        return;
    }
    long slot = strtol(rid + 17, NULL, 10) % MAX_PENDING;
    if (sent_at[slot] > 0) {
        if (nrtt == rtt_cap) {
            rtt_cap = rtt_cap ? 2 * rtt_cap : 4096;
            rtts = realloc(rtts, rtt_cap * sizeof *rtts);
        }
        rtts[nrtt++] = (mqpx_mono_s() - sent_at[slot]) * 1e3;
        sent_at[slot] = 0;
    }
}

static struct mosquitto *open_one(const char *host, int port, const char *id, void *user)
{
    struct mosquitto *m = mosquitto_new(id, true, user);
    if (!m) {
        fprintf(stderr, "bench_fleet: out of memory\n");
        exit(2);
    }
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench_fleet: cannot connect %s (ulimit -n?)\n", id);
        exit(2);
    }
    return m;
}

/* One turn over every socket: read what came, write what waits, keep each alive. */
static void turn(struct mosquitto **all, size_t n, struct pollfd *fds, int timeout_ms)
{
    for (size_t i = 0; i < n; i++) {
        fds[i] = (struct pollfd){mosquitto_socket(all[i]),
                                 (short)(POLLIN | (mosquitto_want_write(all[i]) ? POLLOUT : 0)), 0};
    }
    poll(fds, (nfds_t)n, timeout_ms);
    for (size_t i = 0; i < n; i++) {
        if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
            mosquitto_loop_read(all[i], 1);
        }
        if (mosquitto_want_write(all[i])) {
            mosquitto_loop_write(all[i], 1);
        }
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bench_fleet URL NODES RATE SECONDS READY_FILE\n");
        return 2;
    }
    mqp_url u;
    if (mqp_url_parse(argv[1], &u, NULL, 0) != MQP_OK || u.scheme != MQP_SCHEME_MQTT) {
        fprintf(stderr, "bench_fleet: a plain mqtt:// URL, please\n");
        return 2;
    }
    size_t n = (size_t)atol(argv[2]);
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    mosquitto_lib_init();
    sim *s = calloc(n, sizeof *s);
    size_t nall = 2 * n + 1;
    struct mosquitto **all = calloc(nall, sizeof *all);
    struct pollfd *fds = calloc(nall, sizeof *fds);
    double t0 = mqpx_mono_s();
    for (size_t i = 0; i < n; i++) {
        char cid[64], did[64], cmds[80], status[80];
        snprintf(s[i].id, sizeof s[i].id, "sim%04zu", i);
        snprintf(cid, sizeof cid, "inference_control-%s", s[i].id);
        snprintf(did, sizeof did, "inference_data-%s", s[i].id);
        snprintf(cmds, sizeof cmds, "inference/%s/control/commands", s[i].id);
        snprintf(status, sizeof status, "inference/%s/control/status", s[i].id);
        snprintf(s[i].responses, sizeof s[i].responses, "inference/%s/control/responses", s[i].id);
        snprintf(s[i].detections, sizeof s[i].detections, "inference/%s/data/detections", s[i].id);
        s[i].ctl = all[2 * i] = open_one(u.host, u.port, cid, &s[i]);
        s[i].data = all[2 * i + 1] = open_one(u.host, u.port, did, &s[i]);
        mosquitto_message_callback_set(s[i].ctl, on_command);
        mosquitto_subscribe(s[i].ctl, NULL, cmds, 1);
        char st[160];
        int len = snprintf(st, sizeof st,
                           "{\"status\":\"running\",\"timestamp\":\"2026-12-01T00:00:00.000000\","
                           "\"client_id\":\"%s\"}",
                           cid);
        mosquitto_publish(s[i].ctl, NULL, status, len, st, 1, true);
        if (i % 64 == 63) {
            turn(all, 2 * i + 2, fds, 0); /* Keep up with the CONNACKs as they come. */
        }
    }
    struct mosquitto *op = all[2 * n] = open_one(u.host, u.port, "bench-fleet-operator", NULL);
    mosquitto_message_callback_set(op, on_answer);
    mosquitto_subscribe(op, NULL, "inference/+/control/responses", 1);
    while (connacks < (int)nall || subacks < (int)n + 1) {
        turn(all, nall, fds, 100);
        if (mqpx_mono_s() - t0 > 120) {
            fprintf(stderr, "bench_fleet: %d of %zu connected, %d of %zu subscribed in 120 s\n",
                    connacks, nall, subacks, n + 1);
            return 1;
        }
    }
    double setup = mqpx_mono_s() - t0;
    FILE *ready = fopen(argv[5], "w");
    if (ready) {
        fclose(ready);
    }
    static const char body[] =
        "{\"timestamp\":\"2026-12-01T00:00:00.000000\",\"message_id\":%lu,\"detection_count\":2,"
        "\"detections\":[{\"class\":\"person\",\"confidence\":0.91,\"bbox\":{\"x\":100,\"y\":80,"
        "\"width\":40,\"height\":90},\"class_id\":0,\"track_id\":3},{\"class\":\"car\","
        "\"confidence\":0.80,\"bbox\":{\"x\":300,\"y\":200,\"width\":120,\"height\":60},"
        "\"class_id\":2,\"track_id\":4}],\"frame\":{\"frame_id\":%lu,\"source_id\":0,"
        "\"timestamp\":\"2026-12-01T00:00:00.000000\"}}";
    double start = mqpx_mono_s(), next_cmd = start, last_misc = start;
    for (size_t i = 0; i < n; i++) { /* Spread over a period, from now: no backlog. */
        s[i].next_pub = start + (double)rand() / RAND_MAX / (rate > 0 ? rate : 1);
    }
    long published = 0;
    for (double now = start; now - start < seconds; now = mqpx_mono_s()) {
        for (size_t i = 0; rate > 0 && i < n; i++) {
            if (now >= s[i].next_pub) {
                char msg[700];
                s[i].frame++;
                int len = snprintf(msg, sizeof msg, body, s[i].frame, s[i].frame);
                published += mosquitto_publish(s[i].data, NULL, s[i].detections, len, msg, 0,
                                               false) == MOSQ_ERR_SUCCESS;
                s[i].next_pub += 1.0 / rate;
            }
        }
        if (now >= next_cmd) {
            long slot = commands % MAX_PENDING;
            char cmd[96], topic[80];
            int len = snprintf(cmd, sizeof cmd,
                               "{\"command\":\"status\",\"request_id\":\"op-%ld\"}", slot);
            snprintf(topic, sizeof topic, "inference/%s/control/commands",
                     s[(size_t)(commands * 7919) % n].id);
            sent_at[slot] = mqpx_mono_s();
            mosquitto_publish(op, NULL, topic, len, cmd, 1, false);
            commands++;
            next_cmd += COMMAND_EVERY_S;
        }
        turn(all, nall, fds, 1);
        if (now - last_misc >= 1.0) {
            for (size_t i = 0; i < nall; i++) {
                mosquitto_loop_misc(all[i]);
            }
            last_misc = now;
        }
    }
    double elapsed = mqpx_mono_s() - start;
    for (double until = mqpx_mono_s() + 2; (long)nrtt < commands && mqpx_mono_s() < until;) {
        turn(all, nall, fds, 10); /* The last answers. */
    }
    qsort(rtts, nrtt, sizeof *rtts, cmp);
    printf("nodes=%zu connections=%zu detections_per_s=%.0f commands=%ld rtt_p50_ms=%.2f "
           "rtt_p99_ms=%.2f rtt_max_ms=%.2f lost=%ld setup_s=%.1f\n",
           n, nall, (double)published / elapsed, commands, nrtt ? rtts[nrtt / 2] : -1,
           nrtt ? rtts[(size_t)((double)nrtt * 0.99)] : -1, nrtt ? rtts[nrtt - 1] : -1,
           commands - (long)nrtt, setup);
    for (size_t i = 0; i < nall; i++) {
        mosquitto_disconnect(all[i]);
        mosquitto_destroy(all[i]);
    }
    mqp_url_clear(&u);
    free(all);
    free(fds);
    free(s);
    free(rtts);
    mosquitto_lib_cleanup();
    return 0;
}
