/* A detections consumer that scales out: every instance subscribes to the fleet's detections
 * through the same MQTT 5 shared subscription, so the broker hands each message to one of
 * them; start a second and they split the stream, stop one and the other takes all of it.
 *
 *   mqp-example-consumer [-g GROUP] [-i NAME] [-v] [URL]
 *
 * GROUP (default "detectors") names the set of instances that share; NAME (default the pid)
 * goes on each line; -v prints a line per message ("NAME node frame count"), else a line a
 * second with the rate. Stops on SIGINT or SIGTERM, leaving the group at once: its session ends
 * with it, so the broker stops giving it a share. A crashed instance's share stops after
 * session_expiry_s (5 s here). Needs an MQTT 5 broker: shared subscriptions are MQTT 5. */
#define _POSIX_C_SOURCE 200809L
#include <mqplane/mqplane.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static atomic_ullong received;
static bool verbose;
static char name[64];

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* "inference/<node>/data/detections" or the reference "inference/data/detections". */
static void node_of(const char *topic, char *out, size_t len)
{
    const char *a = strchr(topic, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (a && b && strncmp(a + 1, "data/", 5) != 0) {
        snprintf(out, len, "%.*s", (int)(b - a - 1), a + 1);
    } else {
        snprintf(out, len, "default");
    }
}

static int on_detections(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    (void)user;
    atomic_fetch_add(&received, 1);
    if (verbose) {
        /* A real consumer would parse the JSON (docs/WIRE.md); this one reads two numbers. */
        const char *p = strstr((const char *)msg->payload, "\"frame_id\":");
        const char *d = strstr((const char *)msg->payload, "\"detection_count\":");
        char node[128];
        node_of(msg->topic, node, sizeof node);
        printf("%s %s frame %ld, %ld detections\n", name, node, p ? strtol(p + 11, NULL, 10) : -1,
               d ? strtol(d + 18, NULL, 10) : -1);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *group = "detectors";
    snprintf(name, sizeof name, "consumer-%d", (int)getpid());
    int c;
    while ((c = getopt(argc, argv, "g:i:vh")) != -1) {
        switch (c) {
        case 'g':
            group = optarg;
            break;
        case 'i':
            snprintf(name, sizeof name, "%s", optarg);
            break;
        case 'v':
            verbose = true;
            break;
        default:
            fprintf(stderr, "usage: %s [-g GROUP] [-i NAME] [-v] [URL]\n", argv[0]);
            return c == 'h' ? 0 : 2;
        }
    }
    mqp_client_opts opts = {.url = optind < argc ? argv[optind] : "mqtt://localhost:1883",
                            .protocol = MQP_PROTOCOL_V5,
                            .session_expiry_s = 5,
                            .no_health = true};
    mqp_client *client;
    char err[256], filter[2][128];
    if (mqp_client_new_err(&client, &opts, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 2;
    }
    /* The reference topic and every --node-id namespace, both shared within the group. */
    snprintf(filter[0], sizeof filter[0], "$share/%s/" MQP_TOPIC_DETECTIONS, group);
    snprintf(filter[1], sizeof filter[1], "$share/%s/inference/+/data/detections", group);
    for (int i = 0; i < 2; i++) {
        if (mqp_client_subscribe(client, filter[i], 0, on_detections, NULL) != MQP_OK) {
            mqp_client_last_error(client, err, sizeof err);
            fprintf(stderr, "%s: cannot subscribe to %s: %s\n", name, filter[i], err);
            mqp_client_destroy(client);
            return 2;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (mqp_client_connect(client, 5000) != MQP_OK || mqp_client_sync(client, 5000) != MQP_OK) {
        mqp_client_last_error(client, err, sizeof err);
        fprintf(stderr, "%s: cannot connect: %s\n", name, err);
        mqp_client_destroy(client);
        return 1;
    }
    fprintf(stderr, "%s: in group '%s'\n", name, group);
    unsigned long long last = 0;
    for (int tick = 0; !stop; tick++) {
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        if (!verbose && tick % 10 == 9) {
            unsigned long long now = atomic_load(&received);
            printf("%s %llu messages/s\n", name, now - last);
            fflush(stdout);
            last = now;
        }
    }
    fprintf(stderr, "%s: %llu messages, leaving\n", name, atomic_load(&received));
    mqp_client_destroy(client);
    return 0;
}
