/* Bare libmosquitto at both ends of the data plane's benchmark (bench/dataplane.sh): the
 * baseline that mqplane's own publisher is compared with, in the same run, on the same broker,
 * with the same bytes.
 *
 *   bench_wire receive URL TOPIC READY_FILE
 *       subscribes (QoS 0), writes READY_FILE once subscribed, counts messages until none came
 *       for a second after the first (or SIGINT/SIGTERM); prints
 *       received=N seconds=S msg_per_s=R   (first to last message)
 *   bench_wire publish URL TOPIC PAYLOAD_FILE COUNT [RATE]
 *       publishes PAYLOAD_FILE's bytes COUNT times at QoS 0 as fast as libmosquitto takes
 *       them (or RATE a second, paced as mqplane bench publish paces), waits until the last is
 *       written, disconnects; prints
 *       calls_per_s=R published=N cpu_s=C seconds=S   (CPU: the process's, all threads)
 * Numbers are printed, never asserted. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/mqplane.h"

#include "clock.h"

#include <mosquitto.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define IDLE_END_S 1.0

static atomic_bool connected, subscribed, stop;
static atomic_long received, last_written;
static _Atomic double first_at, last_at;

static void on_connect(struct mosquitto *m, void *u, int rc)
{
    (void)m;
    (void)u;
    atomic_store(&connected, rc == 0);
}

static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *granted)
{
    (void)m;
    (void)u;
    (void)mid;
    (void)n;
    (void)granted;
    atomic_store(&subscribed, true);
}

static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
    (void)m;
    (void)u;
    (void)msg;
    double now = mqpx_mono_s();
    if (atomic_fetch_add(&received, 1) == 0) {
        atomic_store(&first_at, now);
    }
    atomic_store(&last_at, now);
}

static void on_publish(struct mosquitto *m, void *u, int mid)
{
    (void)m;
    (void)u;
    atomic_store(&last_written, mid);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop, true);
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static struct mosquitto *open_client(const char *url)
{
    mqp_url u;
    char err[MQP_URL_ERRLEN] = "";
    if (mqp_url_parse(url, &u, err, sizeof err) != MQP_OK || u.scheme != MQP_SCHEME_MQTT) {
        fprintf(stderr, "bench_wire: %s: a plain mqtt:// URL, please %s\n", url, err);
        exit(2);
    }
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    mosquitto_message_callback_set(m, on_message);
    mosquitto_publish_callback_set(m, on_publish);
    if (mosquitto_connect(m, u.host, u.port, 60) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench_wire: cannot connect to %s\n", url);
        exit(2);
    }
    mqp_url_clear(&u);
    for (int i = 0; i < 5000 && !atomic_load(&connected); i++) {
        mqpx_sleep_ms(1);
    }
    if (!atomic_load(&connected)) {
        fprintf(stderr, "bench_wire: no CONNACK from %s\n", url);
        exit(2);
    }
    return m;
}

static void close_client(struct mosquitto *m)
{
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
}

static int receive(const char *url, const char *topic, const char *ready)
{
    struct mosquitto *m = open_client(url);
    mosquitto_subscribe(m, NULL, topic, 0);
    while (!atomic_load(&subscribed)) {
        mqpx_sleep_ms(1);
    }
    FILE *f = fopen(ready, "w");
    if (!f) {
        perror(ready);
        return 2;
    }
    fclose(f);
    while (!atomic_load(&stop) &&
           !(atomic_load(&received) && mqpx_mono_s() - atomic_load(&last_at) > IDLE_END_S)) {
        mqpx_sleep_ms(20);
    }
    long n = atomic_load(&received);
    double s = n > 1 ? atomic_load(&last_at) - atomic_load(&first_at) : 0;
    close_client(m);
    printf("received=%ld seconds=%.3f msg_per_s=%.0f\n", n, s, s > 0 ? (double)(n - 1) / s : 0);
    return 0;
}

static int publish(const char *url, const char *topic, const char *file, long count, double rate)
{
    static char payload[65536];
    FILE *f = fopen(file, "rb");
    size_t len = f ? fread(payload, 1, sizeof payload, f) : 0;
    if (f) {
        fclose(f);
    }
    while (len && (payload[len - 1] == '\n' || payload[len - 1] == '\r')) {
        len--; /* As mosquitto_sub wrote it: the message, then a newline. */
    }
    if (!len) {
        fprintf(stderr, "bench_wire: %s: no payload\n", file);
        return 2;
    }
    struct mosquitto *m = open_client(url);
    double cpu0 = cpu_seconds(), t0 = mqpx_mono_s();
    int mid = 0;
    long i = 0;
    for (; i < count && !atomic_load(&stop); i++) {
        if (rate > 0) {
            double due = t0 + (double)i / rate, now = mqpx_mono_s();
            if (due - now >= 0.001) {
                mqpx_sleep_ms((int)((due - now) * 1000));
            }
        }
        if (mosquitto_publish(m, &mid, topic, (int)len, payload, 0, false) != MOSQ_ERR_SUCCESS) {
            break;
        }
    }
    double calls_s = mqpx_mono_s() - t0;
    while (i && atomic_load(&last_written) != mid && !atomic_load(&stop)) {
        mqpx_sleep_ms(1); /* libmosquitto writes in order: the last written, all written. */
    }
    double seconds = mqpx_mono_s() - t0, cpu = cpu_seconds() - cpu0;
    close_client(m);
    printf("calls_per_s=%.0f published=%ld cpu_s=%.3f seconds=%.3f\n",
           calls_s > 0 ? (double)i / calls_s : 0, i, cpu, seconds);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    mosquitto_lib_init();
    int rc = 2;
    if (argc == 5 && strcmp(argv[1], "receive") == 0) {
        rc = receive(argv[2], argv[3], argv[4]);
    } else if ((argc == 6 || argc == 7) && strcmp(argv[1], "publish") == 0) {
        rc = publish(argv[2], argv[3], argv[4], atol(argv[5]), argc == 7 ? atof(argv[6]) : 0);
    } else {
        fprintf(stderr, "usage: bench_wire receive URL TOPIC READY_FILE\n"
                        "       bench_wire publish URL TOPIC PAYLOAD_FILE COUNT [RATE]\n");
    }
    mosquitto_lib_cleanup();
    return rc;
}
