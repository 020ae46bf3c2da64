/* Telling that another client uses our client id, and backing off instead of fighting.
 *
 * Two clients with one id take the session from each other: the broker closes the older
 * connection whenever the other connects. An MQTT 5 broker may say so (DISCONNECT with reason
 * 0x8E, "session taken over"); many do not (mosquitto 2.0.11, every MQTT 3.1.1 broker) and
 * simply close the connection. So a takeover is also recognised by its pattern: the broker
 * closes the connection, the very next attempt is accepted at once with the session still
 * there, and the broker closes that one too — twice in a row is no broker restart.
 *
 * After a takeover the next attempt waits longer each time (from `base` up to `max`, with
 * jitter), so two such clients hand the session over every few tens of seconds instead of
 * several times a second, and each says why. A connection that stays up for `quiet` ends the
 * episode. Pure logic, fed by the transport; no threads, no clock of its own. */
#ifndef MQP_TAKEOVER_H
#define MQP_TAKEOVER_H

#include "backoff.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum mqp__loss {
    MQP__LOSS_OTHER = 0,       /* Not a takeover, as far as can be told. */
    MQP__LOSS_TAKEOVER_LIKELY, /* The broker closed it in the pattern of a takeover. */
    MQP__LOSS_TAKEOVER         /* The broker said so (MQTT 5 reason 0x8E). */
} mqp__loss;

typedef struct mqp__takeover {
    int64_t quiet_ms;
    mqpx_backoff backoff; /* The waits after takeovers, from base to max. */
    unsigned closes;      /* Broker closes in a row, each on a connection accepted at once. */
    unsigned takeovers;   /* Takeover verdicts in this episode. */
    bool last_closed;     /* The previous connection was closed by the broker. */
    unsigned attempts;    /* Failed attempts since the last loss. */
    bool resumed_at_once; /* The current connection: accepted at the first attempt after a
                             broker close, with its session present. */
} mqp__takeover;

/* base_ms: the first wait after a takeover; the waits double up to 12 * base_ms, and a
 * connection that lasts twice that long ends the episode. */
void mqp__takeover_init(mqp__takeover *t, int64_t base_ms);
/* A connection attempt failed before it was accepted. */
void mqp__takeover_attempt_failed(mqp__takeover *t);
/* A connection was accepted; session_present as the broker said. */
void mqp__takeover_connected(mqp__takeover *t, bool session_present);
/* A connection that was up has ended after up_ms: closed by the broker (end of stream, no
 * error of ours), with reason 0x8E, or otherwise. Returns the verdict. */
mqp__loss mqp__takeover_lost(mqp__takeover *t, bool closed_by_broker, bool reason_taken_over,
                             int64_t up_ms);
/* The wait before the next attempt after a takeover verdict; each call waits longer. */
int64_t mqp__takeover_delay(mqp__takeover *t);
/* Takeover verdicts in the current episode. */
unsigned mqp__takeover_count(const mqp__takeover *t);
/* Called while connected: true once, when a connection that followed takeovers has stayed up
 * for the quiet time (the other client has gone). */
bool mqp__takeover_settled(mqp__takeover *t, int64_t up_ms);

#endif
