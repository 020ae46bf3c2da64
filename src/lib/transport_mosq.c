/* The libmosquitto transport.
 *
 * It runs its own network thread instead of mosquitto_loop_start() for three reasons:
 * libmosquitto's reconnect has no jitter; mosquitto_reconnect() drops the CONNECT properties
 * (the MQTT 5 session expiry among them); and clean-start is fixed when a handle is created.
 * So every attempt calls mosquitto_connect_bind_v5() with fresh properties, and the very first
 * connection is preceded by a short clean-start connection under the same id that discards any
 * stale session. That probe is also where an MQTT 5 refusal is noticed and 3.1.1 tried. */
#define _GNU_SOURCE
#include "transport.h"

#include "mqplane/defaults.h"

#include "alloc.h"
#include "backoff.h"
#include "clock.h"
#include "net.h"
#include "outq.h"
#include "sync.h"
#include "takeover.h"

#include <errno.h>
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <mqtt_protocol.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOOP_TIMEOUT_MS     50 /* How often the network thread looks at stop/kill requests. */
#define DISCONNECT_GRACE_MS 2000
#define MAX_SUB_IDS         16
#define PROBE_WAIT_MS       100 /* Asking a broker that closed our connection if it is up. */

typedef struct mosq_transport mosq_transport;

/* What the callbacks of one connection attempt learn. */
typedef struct attempt {
    mosq_transport *t;
    bool connack_seen;
    int connack_rc;
    bool session_present;
    bool main;             /* The long-lived connection, not the session-discarding probe. */
    int64_t up_at;         /* When the broker accepted it. */
    int disconnect_reason; /* The broker's MQTT 5 DISCONNECT reason, or -1 for none. */
    bool closed_by_broker; /* It ended with the end of the stream, not by an error of ours. */
    bool killed;           /* We cut it (force_reconnect). */
    struct sockaddr_storage peer; /* The broker's address, to ask after a close whether it is */
    socklen_t peer_len;           /* still there (0: unknown). */
} attempt;

struct mosq_transport {
    mqp__transport base;
    mqp__transport_events ev;
    const mqp__logger *log;
    char *host;
    int port;
    char *client_id;
    char *where;         /* The redacted URL of the broker now, for messages: one of wheres. */
    const mqp_url *urls; /* The brokers, tried in turn from the first. */
    size_t nurls, broker;
    char *wheres[MQP_URL_LIST_MAX];
    int keepalive; /* What libmosquitto is given: see ping_interval(). */
    uint32_t session_expiry;
    bool clean_session;
    mqp_protocol mode;
    int protocol;        /* MQTT_PROTOCOL_V5 or MQTT_PROTOCOL_V311 for the next attempt. */
    bool protocol_known; /* A connection succeeded with it: no more fallback. */
    const mqp_url *url;
    const mqp_client_opts *opts;
    char *will_topic;
    char *will_payload;
    int will_qos;
    bool will_retain;
    mqpx_backoff backoff;
    mqp__takeover takeover; /* Another client with our id: told apart, and waited out. */
    struct mosquitto *mosq;
    attempt cur;
    char tls_error[200]; /* The last OpenSSL error libmosquitto logged. */

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu; /* Guards stopping, hurry and the backoff wait. */
    pthread_cond_t cond;
    bool stopping;
    bool hurry; /* Cut the current backoff wait short, once. */
    atomic_bool kill_requested;
    bool ever_connected;

    pthread_mutex_t pub_mu; /* Guards the outstanding message ids and the QoS 0 window. */
    pthread_cond_t pub_cond;
    mqp__outq out;              /* QoS 0 messages handed to libmosquitto and not yet written. */
    uint8_t pending[65536 / 8]; /* QoS 1/2 publishes awaiting their acknowledgement. */
    size_t npending;
    uint8_t unsubs[65536 / 8]; /* UNSUBSCRIBEs awaiting their UNSUBACK (this connection). */
    size_t nunsubs;
    uint8_t subs[65536 / 8]; /* SUBSCRIBEs awaiting their SUBACK (this connection). */
    size_t nsubs;
};

static void mark(uint8_t *bits, size_t *count, int mid, bool on)
{
    uint8_t bit = (uint8_t)(1u << (mid & 7));
    uint8_t *byte = &bits[(mid >> 3) & 8191];
    if (on && !(*byte & bit)) {
        *byte |= bit;
        (*count)++;
    } else if (!on && (*byte & bit)) {
        *byte &= (uint8_t)~bit;
        (*count)--;
    }
}

static void set_pending(mosq_transport *t, int mid, bool on)
{
    mark(t->pending, &t->npending, mid, on);
}

static bool is_pending(const mosq_transport *t, int mid)
{
    return (t->pending[(mid >> 3) & 8191] & (1u << (mid & 7))) != 0;
}

/* The connection ended (or the transport stopped) with QoS 0 messages still in libmosquitto's
 * queue: it drops them when it connects again. They are counted, and said, not lost silently. */
static void lose_unsent(mosq_transport *t, const char *when)
{
    pthread_mutex_lock(&t->pub_mu);
    size_t bytes = 0;
    size_t n = mqp__outq_lose_all(&t->out, &bytes);
    pthread_mutex_unlock(&t->pub_mu);
    if (n) {
        mqp__log(t->log, MQP_LOG_WARNING,
                 "%zu QoS 0 message%s (%zu bytes) still queued for %s %s, never sent", n,
                 n == 1 ? "" : "s", bytes, t->where, when);
    }
}

/* libmosquitto pings after a keepalive of silence and gives up a keepalive after that: a broker
 * that hangs just after its last word is noticed only after two keepalives. Given three
 * quarters of it (less a second, for its clock of whole seconds), a silent broker is noticed
 * within 1.5 x keepalive, as MQTT has the broker notice a silent client. libmosquitto takes
 * nothing under 5 s: a keepalive under 10 s is noticed within 10 s. */
static int ping_interval(int keepalive_s)
{
    int k = (3 * keepalive_s - 2) / 4;
    return k < 5 ? 5 : k;
}

/* ---- callbacks, on the network thread ---- */

/* libmosquitto formats a line for every packet it sends or receives (a malloc and a vsnprintf)
 * whenever a log callback is set: 10 % of a publisher's CPU at full speed. So the callback is
 * there only for debug logging, or for a TLS connection's handshake (OpenSSL's reason for a
 * failure comes only through the log); once connected, only for debug logging. */
static bool logs_libmosquitto(const mosq_transport *t)
{
    return t->log && t->log->cb && t->log->max_level >= MQP_LOG_DEBUG;
}

static void on_connect_cb(struct mosquitto *m, void *user, int rc, int flags,
                          const mosquitto_property *props)
{
    (void)props;
    attempt *a = user;
    a->connack_seen = true;
    a->connack_rc = rc;
    if (!logs_libmosquitto(a->t)) {
        mosquitto_log_callback_set(m, NULL); /* On the network thread, which reads it. */
    }
    a->session_present = (flags & 1) != 0;
    a->peer_len = sizeof a->peer;
    if (getpeername(mosquitto_socket(m), (struct sockaddr *)&a->peer, &a->peer_len) != 0) {
        a->peer_len = 0;
    }
    if (rc == 0 && a->main) {
        mosq_transport *t = a->t;
        t->protocol_known = true;
        t->ever_connected = true;
        a->up_at = mqpx_mono_ms();
        mqpx_backoff_reset(&t->backoff);
        mqp__takeover_connected(&t->takeover, a->session_present);
        t->ev.connected(t->ev.ctx, a->session_present, t->protocol == MQTT_PROTOCOL_V5 ? 5 : 4,
                        t->broker);
    }
}

static void on_disconnect_cb(struct mosquitto *m, void *user, int rc,
                             const mosquitto_property *props)
{
    (void)m;
    (void)props;
    attempt *a = user;
    /* A DISCONNECT from the broker passes its reason code here; a local end passes a
     * MOSQ_ERR_* code, which is never a reason code of 0x80 or more. */
    if (rc >= 0x80) {
        a->disconnect_reason = rc;
    }
}

static void on_message_cb(struct mosquitto *m, void *user, const struct mosquitto_message *msg,
                          const mosquitto_property *props)
{
    (void)m;
    attempt *a = user;
    uint32_t ids[MAX_SUB_IDS];
    size_t n = 0;
    const mosquitto_property *p = props;
    uint32_t id;
    bool skip = false;
    while (n < MAX_SUB_IDS &&
           (p = mosquitto_property_read_varint(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &id, skip))) {
        ids[n++] = id;
        skip = true;
    }
    char *response_topic = NULL, *content_type = NULL;
    void *correlation = NULL;
    uint16_t correlation_len = 0;
    mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &response_topic, false);
    mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &correlation,
                                   &correlation_len, false);
    mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &content_type, false);
    mqp_user_prop uprops[MQP_USER_PROPS_MAX];
    size_t nuser = 0;
    char *name, *value;
    skip = false;
    for (p = props;
         nuser < MQP_USER_PROPS_MAX &&
         (p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, skip));
         skip = true) {
        uprops[nuser++] = (mqp_user_prop){name, value};
    }
    mqp__incoming in = {.topic = msg->topic,
                        .payload = msg->payload,
                        .len = (size_t)msg->payloadlen,
                        .qos = msg->qos,
                        .retain = msg->retain,
                        .sub_ids = ids,
                        .n_sub_ids = n,
                        .response_topic = response_topic,
                        .correlation = correlation,
                        .correlation_len = correlation_len,
                        .content_type = content_type,
                        .user_props = uprops,
                        .n_user_props = nuser};
    a->t->ev.message(a->t->ev.ctx, &in);
    free(response_topic); /* Allocated by libmosquitto with malloc. */
    free(correlation);
    free(content_type);
    for (size_t i = 0; i < nuser; i++) {
        free((char *)uprops[i].name);
        free((char *)uprops[i].value);
    }
}

static void on_publish_cb(struct mosquitto *m, void *user, int mid, int reason,
                          const mosquitto_property *props)
{
    (void)m;
    (void)props;
    mosq_transport *t = ((attempt *)user)->t;
    if (reason >= 0x80) {
        mqp__log(t->log, MQP_LOG_WARNING, "broker refused message %d: %s", mid,
                 mosquitto_reason_string(reason));
    }
    pthread_mutex_lock(&t->pub_mu);
    /* A QoS 1/2 acknowledgement, or a QoS 0 message written out (libmosquitto says both). */
    if (is_pending(t, mid)) {
        set_pending(t, mid, false);
    } else {
        mqp__outq_complete(&t->out, mid);
    }
    if (t->npending == 0 && t->nunsubs == 0 && t->nsubs == 0) {
        pthread_cond_broadcast(&t->pub_cond);
    }
    pthread_mutex_unlock(&t->pub_mu);
}

static void on_unsubscribe_cb(struct mosquitto *m, void *user, int mid,
                              const mosquitto_property *props)
{
    (void)m;
    (void)props;
    mosq_transport *t = ((attempt *)user)->t;
    pthread_mutex_lock(&t->pub_mu);
    mark(t->unsubs, &t->nunsubs, mid, false);
    if (t->npending == 0 && t->nunsubs == 0 && t->nsubs == 0) {
        pthread_cond_broadcast(&t->pub_cond);
    }
    pthread_mutex_unlock(&t->pub_mu);
}

static void on_subscribe_cb(struct mosquitto *m, void *user, int mid, int qos_count,
                            const int *granted, const mosquitto_property *props)
{
    (void)m;
    (void)props;
    mosq_transport *t = ((attempt *)user)->t;
    for (int i = 0; i < qos_count; i++) {
        if (granted[i] >= 0x80) {
            mqp__log(t->log, MQP_LOG_WARNING, "broker refused subscription %d: %s", mid,
                     mosquitto_reason_string(granted[i]));
        }
    }
    pthread_mutex_lock(&t->pub_mu);
    mark(t->subs, &t->nsubs, mid, false);
    if (t->npending == 0 && t->nunsubs == 0 && t->nsubs == 0) {
        pthread_cond_broadcast(&t->pub_cond);
    }
    pthread_mutex_unlock(&t->pub_mu);
}

static void on_log_cb(struct mosquitto *m, void *user, int level, const char *str)
{
    (void)m;
    (void)level;
    mosq_transport *t = ((attempt *)user)->t;
    if (strncmp(str, "OpenSSL Error", 13) == 0) {
        const char *reason = strstr(str, "]: ");
        /* OpenSSL's reason is generic ("certificate verify failed"); the certificate check,
         * still on the connection while libmosquitto logs, says which: another CA, an expired
         * certificate, a host name that does not match. */
        SSL *ssl = mosquitto_ssl_get(m);
        long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
        /* libmosquitto checks the host name itself, after OpenSSL accepted the chain, and
         * rejects without naming an error: "unspecified" then means the name. */
        const char *why = verify == X509_V_ERR_UNSPECIFIED
                              ? "the server's certificate is not for this host name"
                              : X509_verify_cert_error_string(verify);
        snprintf(t->tls_error, sizeof t->tls_error, "%s%s%s%s", reason ? reason + 3 : str,
                 verify != X509_V_OK ? " (" : "", verify != X509_V_OK ? why : "",
                 verify != X509_V_OK ? ")" : "");
    }
    mqp__log(t->log, MQP_LOG_DEBUG, "libmosquitto: %s", str);
}

/* ---- errors ---- */

static mqp_err map_connect_rc(mosq_transport *t, int rc, int err_no, char *detail, size_t len)
{
    switch (rc) {
    case MOSQ_ERR_EAI:
        snprintf(detail, len, "cannot resolve host '%s' (broker %s)", t->host, t->where);
        return MQP_ERR_DNS;
    case MOSQ_ERR_TLS:
        snprintf(detail, len, "TLS handshake with %s failed: %s", t->where,
                 t->tls_error[0] ? t->tls_error : "see the broker log");
        return MQP_ERR_TLS;
    case MOSQ_ERR_ERRNO:
        if (err_no == ECONNREFUSED) {
            snprintf(detail, len, "connection refused by %s (is the broker running?)", t->where);
            return MQP_ERR_CONN_REFUSED;
        }
        snprintf(detail, len, "cannot connect to %s: %s", t->where, strerror(err_no));
        return err_no == ETIMEDOUT ? MQP_ERR_TIMEOUT : MQP_ERR_IO;
    case MOSQ_ERR_NOMEM:
        snprintf(detail, len, "out of memory connecting to %s", t->where);
        return MQP_ERR_NOMEM;
    default:
        snprintf(detail, len, "cannot connect to %s: %s", t->where, mosquitto_strerror(rc));
        return MQP_ERR_IO;
    }
}

static mqp_err map_connack(mosq_transport *t, int rc, char *detail, size_t len)
{
    bool v5 = t->protocol == MQTT_PROTOCOL_V5;
    const char *why = v5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc);
    mqp_err e = MQP_ERR_BROKER;
    if (v5) {
        if (rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD || rc == MQTT_RC_NOT_AUTHORIZED ||
            rc == MQTT_RC_BANNED || rc == MQTT_RC_BAD_AUTHENTICATION_METHOD) {
            e = MQP_ERR_AUTH;
        } else if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION) {
            e = MQP_ERR_PROTOCOL;
        }
    } else if (rc == CONNACK_REFUSED_BAD_USERNAME_PASSWORD ||
               rc == CONNACK_REFUSED_NOT_AUTHORIZED) {
        e = MQP_ERR_AUTH;
    } else if (rc == CONNACK_REFUSED_PROTOCOL_VERSION) {
        e = MQP_ERR_PROTOCOL;
    }
    snprintf(detail, len, "broker %s refused the connection: %s%s", t->where, why,
             e == MQP_ERR_AUTH ? " (check the user name, password and ACL)" : "");
    return e;
}

/* ---- handles ---- */

static int configure(mosq_transport *t, struct mosquitto *m, attempt *a)
{
    mosquitto_user_data_set(m, a);
    mosquitto_connect_v5_callback_set(m, on_connect_cb);
    mosquitto_disconnect_v5_callback_set(m, on_disconnect_cb);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, t->protocol);
    int rc = MOSQ_ERR_SUCCESS;
    if (t->url->username) {
        rc = mosquitto_username_pw_set(m, t->url->username, t->url->password);
    }
    if (rc == MOSQ_ERR_SUCCESS && t->url->scheme == MQP_SCHEME_MQTTS) {
        const mqp_client_opts *o = t->opts;
        if (!o->tls_ca_file && !o->tls_ca_path) {
            mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
        }
        rc = mosquitto_tls_set(m, o->tls_ca_file, o->tls_ca_path, o->tls_cert_file, o->tls_key_file,
                               NULL);
        if (rc == MOSQ_ERR_SUCCESS && o->tls_insecure_no_verify_hostname) {
            rc = mosquitto_tls_insecure_set(m, true);
        }
    }
    return rc;
}

static mosquitto_property *connect_props(mosq_transport *t, uint32_t expiry)
{
    mosquitto_property *props = NULL;
    if (t->protocol == MQTT_PROTOCOL_V5) {
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, expiry);
    }
    return props;
}

static bool stopping(mosq_transport *t)
{
    pthread_mutex_lock(&t->mu);
    bool s = t->stopping;
    pthread_mutex_unlock(&t->mu);
    return s;
}

/* Writes what libmosquitto has queued, its DISCONNECT last, and never reads: once it is
 * disconnecting, libmosquitto takes any packet it reads (the broker may still be sending) for a
 * protocol error and closes the socket with the DISCONNECT unsent, and the broker then
 * publishes the last will. Returns when the DISCONNECT is out (libmosquitto has closed its
 * socket) or at the deadline. */
static void write_out(struct mosquitto *m, int64_t deadline_ms)
{
    while (mosquitto_socket(m) != -1 && mqpx_mono_ms() < deadline_ms) {
        if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS || mosquitto_socket(m) == -1) {
            break;
        }
        struct pollfd p = {mosquitto_socket(m), POLLOUT, 0};
        poll(&p, 1, 50);
    }
}

/* libmosquitto closes the socket as soon as its DISCONNECT is written. When the broker is still
 * sending (messages it had queued for us keep coming after the UNSUBACKs, as acknowledgements
 * free room in flight), data is left unread, the kernel answers the close with a reset, and the
 * broker, seeing the reset first, takes the DISCONNECT for a lost connection and publishes the
 * last will. So the socket is kept open (a dup taken before the DISCONNECT): after it, our side
 * is shut for writing and what still comes is read and dropped until the broker closes its side,
 * or the deadline. Then the close is a clean one. */
static void linger_close(int fd, int64_t deadline_ms)
{
    if (fd < 0) {
        return;
    }
    shutdown(fd, SHUT_WR);
    char buf[4096];
    for (int64_t left = deadline_ms - mqpx_mono_ms(); left > 0;
         left = deadline_ms - mqpx_mono_ms()) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(left < 100 ? left : 100)) < 0 ||
            ((p.revents & (POLLIN | POLLHUP | POLLERR)) && recv(fd, buf, sizeof buf, 0) <= 0)) {
            break;
        }
    }
    close(fd);
}

/* Starts connecting m without waiting for the TCP handshake. libmosquitto's one call that
 * takes CONNECT properties, mosquitto_connect_bind_v5(), blocks in connect(): on a path that
 * drops packets that is the kernel's SYN retries, some two minutes, deaf to a stop. Its
 * asynchronous call takes no properties but sends those the handle holds, and the v5 call
 * stores them (dropping older ones) before it looks at the host: given none, it stores them and
 * refuses with MOSQ_ERR_INVAL, connecting nowhere. (libmosquitto 2.0; a version that dropped
 * them would lose the session expiry, which the broker-restart tests would show.) */
static int connect_start(mosq_transport *t, struct mosquitto *m, const mosquitto_property *props)
{
    int rc = mosquitto_connect_bind_v5(m, NULL, t->port, t->keepalive, NULL, props);
    if (rc != MOSQ_ERR_INVAL) {
        return rc == MOSQ_ERR_SUCCESS ? MOSQ_ERR_UNKNOWN : rc;
    }
    return mosquitto_connect_bind_async(m, t->host, t->port, t->keepalive, NULL);
}

/* Waits for the TCP handshake that connect_start() began, until the deadline or a stop. */
static mqp_err wait_tcp(mosq_transport *t, struct mosquitto *m, int64_t deadline_ms, char *detail,
                        size_t len)
{
    int fd = mosquitto_socket(m);
    for (;;) {
        struct pollfd p = {fd, POLLOUT, 0};
        int n = poll(&p, 1, LOOP_TIMEOUT_MS);
        if (n > 0) {
            int err = 0;
            socklen_t l = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0) {
                err = errno;
            }
            return err ? map_connect_rc(t, MOSQ_ERR_ERRNO, err, detail, len) : MQP_OK;
        }
        if (n < 0 && errno != EINTR) {
            return map_connect_rc(t, MOSQ_ERR_ERRNO, errno, detail, len);
        }
        if (stopping(t)) {
            snprintf(detail, len, "stopped while connecting to %s", t->where);
            return MQP_ERR_IO;
        }
        if (mqpx_mono_ms() > deadline_ms) {
            snprintf(detail, len,
                     "no answer from %s within %d s (the host is down, or the path to it drops "
                     "packets)",
                     t->where, MQP_DEFAULT_CONNACK_TIMEOUT_MS / 1000);
            return MQP_ERR_TIMEOUT;
        }
    }
}

/* One connection's whole life: connects m and runs its loop until CONNACK, a failure, or (for
 * the main connection) the end of the connection. Returns MQP_OK only for a main connection
 * that ended after being up. */
static mqp_err run_connection(mosq_transport *t, struct mosquitto *m, attempt *a, uint32_t expiry,
                              char *detail, size_t len)
{
    *a = (attempt){.t = t, .main = a->main, .disconnect_reason = -1};
    t->tls_error[0] = '\0';
    /* Each attempt: the CONNACK of the one before may have taken it off (on_connect_cb). */
    mosquitto_log_callback_set(
        m, logs_libmosquitto(t) || t->url->scheme == MQP_SCHEME_MQTTS ? on_log_cb : NULL);
    mosquitto_property *props = connect_props(t, expiry);
    errno = 0;
    int rc = connect_start(t, m, props);
    int err_no = errno;
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) {
        return map_connect_rc(t, rc, err_no, detail, len);
    }
    int64_t connack_deadline = mqpx_mono_ms() + MQP_DEFAULT_CONNACK_TIMEOUT_MS;
    mqp_err tcp = wait_tcp(t, m, connack_deadline, detail, len);
    if (tcp != MQP_OK) {
        return tcp;
    }
    for (;;) {
        rc = mosquitto_loop(m, LOOP_TIMEOUT_MS, 1);
        if (a->connack_seen && a->connack_rc != 0) {
            return map_connack(t, a->connack_rc, detail, len);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            if (!a->connack_seen && t->tls_error[0]) {
                /* The handshake runs in the loop, not in the connect call. */
                snprintf(detail, len, "TLS handshake with %s failed: %s", t->where, t->tls_error);
                return MQP_ERR_TLS;
            }
            if (!a->connack_seen) {
                snprintf(detail, len, "%s closed the connection before accepting it (%s)", t->where,
                         mosquitto_strerror(rc));
                return MQP_ERR_PROTOCOL;
            }
            if (a->disconnect_reason >= 0) {
                snprintf(detail, len, "%s ended the connection: %s", t->where,
                         mosquitto_reason_string(a->disconnect_reason));
            } else {
                snprintf(detail, len, "connection to %s lost: %s", t->where,
                         mosquitto_strerror(rc));
            }
            a->closed_by_broker = rc == MOSQ_ERR_CONN_LOST && !a->killed &&
                                  a->disconnect_reason != MQTT_RC_SERVER_SHUTTING_DOWN;
            /* A broker that crashed or restarted closes every connection too, as a takeover
             * does; but its port then refuses connections, or drops them, for a moment. */
            if (a->closed_by_broker && a->peer_len &&
                mqpx_server_gone((struct sockaddr *)&a->peer, a->peer_len, PROBE_WAIT_MS)) {
                a->closed_by_broker = false;
                snprintf(detail, len, "connection to %s lost: the broker went down", t->where);
            }
            return MQP_ERR_CONN_LOST;
        }
        if (!a->connack_seen && mqpx_mono_ms() > connack_deadline) {
            snprintf(detail, len, "%s did not answer CONNECT within %d s", t->where,
                     MQP_DEFAULT_CONNACK_TIMEOUT_MS / 1000);
            return MQP_ERR_TIMEOUT;
        }
        if (a->connack_seen && !a->main) {
            return MQP_OK;
        }
        if (atomic_exchange(&t->kill_requested, false)) {
            /* No DISCONNECT: this is the path of a dead link, and the will must stay armed. */
            a->killed = true;
            shutdown(mosquitto_socket(m), SHUT_RDWR);
        }
        if (a->main && a->connack_seen &&
            mqp__takeover_settled(&t->takeover, mqpx_mono_ms() - a->up_at) && t->ev.settled) {
            t->ev.settled(t->ev.ctx);
        }
        if (stopping(t)) {
            mosquitto_property *dprops = NULL;
            if (t->protocol == MQTT_PROTOCOL_V5) {
                /* The session ends with us: nothing should queue for a stopped client. */
                mosquitto_property_add_int32(&dprops, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0);
            }
            int linger_fd = dup(mosquitto_socket(m));
            mosquitto_disconnect_v5(m, MQTT_RC_NORMAL_DISCONNECTION, dprops);
            mosquitto_property_free_all(&dprops);
            int64_t deadline = mqpx_mono_ms() + DISCONNECT_GRACE_MS;
            write_out(m, deadline);
            linger_close(linger_fd, deadline);
            return MQP_OK;
        }
    }
}

/* Connects with clean start under our id and leaves at once: the broker forgets any session
 * an earlier process left behind, so the first real connection starts clean. */
static mqp_err discard_stale_session(mosq_transport *t, char *detail, size_t len)
{
    struct mosquitto *m = mosquitto_new(t->client_id, true, NULL);
    if (!m) {
        snprintf(detail, len, "out of memory");
        return MQP_ERR_NOMEM;
    }
    attempt a = {.t = t, .main = false};
    mqp_err rc = MQP_ERR_INVALID;
    if (configure(t, m, &a) == MOSQ_ERR_SUCCESS) {
        rc = run_connection(t, m, &a, 0, detail, len);
        if (rc == MQP_OK) {
            mosquitto_disconnect(m);
            for (int i = 0; i < 10 && mosquitto_loop(m, 50, 1) == MOSQ_ERR_SUCCESS; i++) {
            }
        }
    } else {
        snprintf(detail, len, "cannot configure the connection to %s", t->where);
    }
    mosquitto_destroy(m);
    return rc;
}

/* In AUTO mode, before any connection has worked: did MQTT 5 fail in a way that says the
 * broker does not speak it (RabbitMQ drops the connection, others refuse with a code)? */
static bool should_fall_back(mosq_transport *t, mqp_err rc)
{
    return t->mode == MQP_PROTOCOL_AUTO && !t->protocol_known && t->protocol == MQTT_PROTOCOL_V5 &&
           rc == MQP_ERR_PROTOCOL;
}

static bool wait_or_stop(mosq_transport *t, int64_t ms)
{
    struct timespec deadline = mqpx_deadline_in(ms);
    pthread_mutex_lock(&t->mu);
    while (!t->stopping && !t->hurry && pthread_cond_timedwait(&t->cond, &t->mu, &deadline) == 0) {
    }
    t->hurry = false;
    bool s = t->stopping;
    pthread_mutex_unlock(&t->mu);
    return s;
}

/* A will that says when it was set (the control plane's status) is renewed before every
 * attempt, so it is no older than the connection it belongs to. */
static void refresh_will(mosq_transport *t)
{
    char *fresh = t->will_topic && t->ev.will_refresh ? t->ev.will_refresh(t->ev.ctx) : NULL;
    if (!fresh) {
        return;
    }
    if (mosquitto_will_set_v5(t->mosq, t->will_topic, (int)strlen(fresh), fresh, t->will_qos,
                              t->will_retain, NULL) == MOSQ_ERR_SUCCESS) {
        mqp__free(t->will_payload);
        t->will_payload = fresh;
    } else {
        mqp__free(fresh);
    }
}

/* The wait before the next attempt. After a takeover it is the takeover's growing wait, and the
 * loss is reported as MQP_ERR_TAKEN_OVER with what to do about it. */
static int64_t next_wait(mosq_transport *t, bool was_up, mqp_err *rc, char *detail, size_t len)
{
    if (!was_up) {
        mqp__takeover_attempt_failed(&t->takeover);
        return mqpx_backoff_next(&t->backoff);
    }
    const attempt *a = &t->cur;
    mqp__loss loss = mqp__takeover_lost(&t->takeover, a->closed_by_broker,
                                        a->disconnect_reason == MQTT_RC_SESSION_TAKEN_OVER,
                                        mqpx_mono_ms() - a->up_at);
    if (loss == MQP__LOSS_OTHER) {
        return mqpx_backoff_next(&t->backoff);
    }
    int64_t wait_ms = mqp__takeover_delay(&t->takeover);
    unsigned n = mqp__takeover_count(&t->takeover);
    if (loss == MQP__LOSS_TAKEOVER) {
        snprintf(detail, len,
                 "client id '%s' is in use by another client: %s handed it our session (MQTT 5 "
                 "reason 0x8E, session taken over); takeover %u in a row, next attempt in %.1f s",
                 t->client_id, t->where, n, (double)wait_ms / 1000);
    } else {
        snprintf(detail, len,
                 "another client is probably using client id '%s': %s closed our connection "
                 "%u times in a row, each soon after accepting it with our session, without "
                 "saying why (as mosquitto before 2.0.12 and MQTT 3.1.1 brokers do when a second "
                 "client connects with the same id); next attempt in %.1f s",
                 t->client_id, t->where, t->takeover.closes, (double)wait_ms / 1000);
    }
    *rc = MQP_ERR_TAKEN_OVER;
    return wait_ms;
}

/* The broker of the next attempts: its host, port, name and credentials (the scheme, and so
 * TLS, is the list's). NULL credentials clear the handle's. */
static bool use_broker(mosq_transport *t, size_t i)
{
    char *host = mqp__strdup(t->urls[i].host);
    if (!host) {
        return false;
    }
    mqp__free(t->host);
    t->host = host;
    t->broker = i;
    t->url = &t->urls[i];
    t->port = t->url->port;
    t->where = t->wheres[i];
    return t->mosq == NULL || mosquitto_username_pw_set(t->mosq, t->url->username,
                                                        t->url->password) == MOSQ_ERR_SUCCESS;
}

/* After a failed attempt or a lost connection, the next broker of a list, with the same
 * backoff; not after a takeover, which another broker would not end. */
static void next_broker(mosq_transport *t, mqp_err why)
{
    if (t->nurls < 2 || why == MQP_ERR_TAKEN_OVER) {
        return;
    }
    size_t next = (t->broker + 1) % t->nurls;
    if (use_broker(t, next)) {
        mqp__log(t->log, MQP_LOG_NOTICE, "next: broker %zu of %zu, %s", next + 1, t->nurls,
                 t->where);
    }
}

static void *network_main(void *arg)
{
    mosq_transport *t = arg;
    char detail[512];
    while (!stopping(t)) {
        detail[0] = '\0';
        bool was_up = false;
        mqp_err rc = t->ever_connected || t->clean_session
                         ? MQP_OK
                         : discard_stale_session(t, detail, sizeof detail);
        if (rc == MQP_OK) {
            refresh_will(t);
            mosquitto_int_option(t->mosq, MOSQ_OPT_PROTOCOL_VERSION, t->protocol);
            t->cur.main = true;
            rc = run_connection(t, t->mosq, &t->cur, t->session_expiry, detail, sizeof detail);
            was_up = t->cur.connack_seen && t->cur.connack_rc == 0;
        }
        if (stopping(t)) {
            break;
        }
        if (should_fall_back(t, rc)) {
            mqp__log(t->log, MQP_LOG_NOTICE, "%s; trying MQTT 3.1.1", detail);
            t->protocol = MQTT_PROTOCOL_V311;
            continue;
        }
        if (rc == MQP_OK) {
            rc = MQP_ERR_CONN_LOST;
            snprintf(detail, sizeof detail, "connection to %s closed", t->where);
        }
        int64_t wait_ms = next_wait(t, was_up, &rc, detail, sizeof detail);
        lose_unsent(t, "when the connection ended");
        pthread_mutex_lock(&t->pub_mu);
        memset(t->unsubs, 0, sizeof t->unsubs); /* Not resent after a reconnection. */
        t->nunsubs = 0;
        memset(t->subs, 0, sizeof t->subs); /* Remade by the client on the next connection. */
        t->nsubs = 0;
        pthread_cond_broadcast(&t->pub_cond);
        pthread_mutex_unlock(&t->pub_mu);
        t->ev.disconnected(t->ev.ctx, rc, detail, was_up);
        next_broker(t, rc);
        if (t->mode == MQP_PROTOCOL_AUTO && !t->protocol_known) {
            t->protocol = MQTT_PROTOCOL_V5; /* Nothing worked yet: start over with 5. */
        }
        if (wait_or_stop(t, wait_ms)) {
            break;
        }
    }
    return NULL;
}

/* ---- operations ---- */

static mqp_err map_op_rc(int rc)
{
    switch (rc) {
    case MOSQ_ERR_SUCCESS:
        return MQP_OK;
    case MOSQ_ERR_NO_CONN:
        return MQP_ERR_NO_CONN;
    case MOSQ_ERR_NOMEM:
        return MQP_ERR_NOMEM;
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_OVERSIZE_PACKET:
        return MQP_ERR_TOO_LARGE;
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_MALFORMED_UTF8:
        return MQP_ERR_INVALID;
    case MOSQ_ERR_QOS_NOT_SUPPORTED:
    case MOSQ_ERR_NOT_SUPPORTED:
        return MQP_ERR_UNSUPPORTED;
    default:
        return MQP_ERR_IO;
    }
}

static mqp_err op_start(mqp__transport *base)
{
    mosq_transport *t = (mosq_transport *)base;
    if (pthread_create(&t->thread, NULL, network_main, t) != 0) {
        return MQP_ERR_IO;
    }
    t->thread_started = true;
    return MQP_OK;
}

/* The MQTT 5 properties of a reply; none on a 3.1.1 connection, which cannot carry them. */
static mosquitto_property *publish_props(const mosq_transport *t, const mqp__pub_props *rp)
{
    mosquitto_property *props = NULL;
    if (!rp || t->protocol != MQTT_PROTOCOL_V5) {
        return NULL;
    }
    if (rp->response_topic) {
        mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, rp->response_topic);
    }
    if (rp->correlation && rp->correlation_len <= UINT16_MAX) {
        mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, rp->correlation,
                                      (uint16_t)rp->correlation_len);
    }
    if (rp->content_type) {
        mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, rp->content_type);
    }
    for (size_t i = 0; i < rp->n_user_props; i++) {
        mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, rp->user_props[i].name,
                                           rp->user_props[i].value);
    }
    return props;
}

/* QoS 0 goes out only within the window: the pipeline never waits, and memory stays bounded
 * when the broker or the link is slower than the publisher. */
static mqp_err publish_qos0(mosq_transport *t, const char *topic, const void *payload, size_t len,
                            bool retain, const mqp__pub_props *rp)
{
    size_t bytes = len + strlen(topic);
    bool nomem = false;
    pthread_mutex_lock(&t->pub_mu);
    if (!mqp__outq_admit(&t->out, bytes, &nomem)) {
        pthread_mutex_unlock(&t->pub_mu);
        return nomem ? MQP_ERR_NOMEM : MQP_ERR_QUEUE_FULL;
    }
    mosquitto_property *props = publish_props(t, rp);
    int mid = 0;
    int rc = mosquitto_publish_v5(t->mosq, &mid, topic, (int)len, payload, 0, retain, props);
    mosquitto_property_free_all(&props);
    if (rc == MOSQ_ERR_SUCCESS) {
        mqp__outq_push(&t->out, mid, bytes);
    }
    pthread_mutex_unlock(&t->pub_mu);
    return map_op_rc(rc);
}

static void op_out_stats(mqp__transport *base, mqp__out_stats *s)
{
    mosq_transport *t = (mosq_transport *)base;
    pthread_mutex_lock(&t->pub_mu);
    *s = (mqp__out_stats){t->out.count, t->out.bytes, t->out.high_water, t->out.refused,
                          t->out.lost};
    pthread_mutex_unlock(&t->pub_mu);
}

static bool op_out_full(mqp__transport *base)
{
    mosq_transport *t = (mosq_transport *)base;
    pthread_mutex_lock(&t->pub_mu);
    bool full = mqp__outq_refuse_if_full(&t->out);
    pthread_mutex_unlock(&t->pub_mu);
    return full;
}

static mqp_err op_publish(mqp__transport *base, const char *topic, const void *payload, size_t len,
                          int qos, bool retain, const mqp__pub_props *rp)
{
    mosq_transport *t = (mosq_transport *)base;
    if (len > MQTT_MAX_PAYLOAD) {
        return MQP_ERR_TOO_LARGE;
    }
    if (qos == 0) {
        return publish_qos0(t, topic, payload, len, retain, rp);
    }
    mosquitto_property *props = publish_props(t, rp);
    /* Holding pub_mu across the call means on_publish cannot see the id before it is marked. */
    pthread_mutex_lock(&t->pub_mu);
    int mid = 0;
    int rc = mosquitto_publish_v5(t->mosq, &mid, topic, (int)len, payload, qos, retain, props);
    mosquitto_property_free_all(&props);
    if (rc == MOSQ_ERR_NO_CONN) {
        /* libmosquitto queued it before trying to send; it goes out after the reconnect. */
        rc = MOSQ_ERR_SUCCESS;
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        set_pending(t, mid, true);
    }
    pthread_mutex_unlock(&t->pub_mu);
    return map_op_rc(rc);
}

static mqp_err op_subscribe(mqp__transport *base, const char *filter, int qos, uint32_t sub_id)
{
    mosq_transport *t = (mosq_transport *)base;
    mosquitto_property *props = NULL;
    if (sub_id && t->protocol == MQTT_PROTOCOL_V5) {
        mosquitto_property_add_varint(&props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, sub_id);
    }
    /* Retained messages only for a new subscription: subscribing again (after a resumed
     * session, or twice in a race) must not deliver them twice. 3.1.1 has no such option. */
    int options = t->protocol == MQTT_PROTOCOL_V5 ? MQTT_SUB_OPT_SEND_RETAIN_NEW : 0;
    pthread_mutex_lock(&t->pub_mu);
    int mid = 0;
    int rc = mosquitto_subscribe_v5(t->mosq, &mid, filter, qos, options, props);
    if (rc == MOSQ_ERR_SUCCESS) {
        mark(t->subs, &t->nsubs, mid, true);
    }
    pthread_mutex_unlock(&t->pub_mu);
    mosquitto_property_free_all(&props);
    return map_op_rc(rc);
}

static mqp_err op_unsubscribe(mqp__transport *base, const char *filter)
{
    mosq_transport *t = (mosq_transport *)base;
    /* Tracked so that a shutdown can wait for the UNSUBACK: closing the socket with it unread
     * makes the kernel reset the connection, and the broker then drops our DISCONNECT and
     * publishes the will. */
    pthread_mutex_lock(&t->pub_mu);
    int mid = 0;
    int rc = mosquitto_unsubscribe_v5(t->mosq, &mid, filter, NULL);
    if (rc == MOSQ_ERR_SUCCESS) {
        mark(t->unsubs, &t->nunsubs, mid, true);
    }
    pthread_mutex_unlock(&t->pub_mu);
    return map_op_rc(rc);
}

static mqp_err op_flush(mqp__transport *base, int64_t timeout_ms)
{
    mosq_transport *t = (mosq_transport *)base;
    struct timespec deadline = mqpx_deadline_in(timeout_ms);
    pthread_mutex_lock(&t->pub_mu);
    int rc = 0;
    while ((t->npending > 0 || t->nunsubs > 0 || t->nsubs > 0) && rc == 0) {
        rc = pthread_cond_timedwait(&t->pub_cond, &t->pub_mu, &deadline);
    }
    bool done = t->npending == 0 && t->nunsubs == 0 && t->nsubs == 0;
    pthread_mutex_unlock(&t->pub_mu);
    return done ? MQP_OK : MQP_ERR_TIMEOUT;
}

static void op_retry_now(mqp__transport *base)
{
    mosq_transport *t = (mosq_transport *)base;
    pthread_mutex_lock(&t->mu);
    t->hurry = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
}

static void op_force_reconnect(mqp__transport *base)
{
    atomic_store(&((mosq_transport *)base)->kill_requested, true);
}

static void op_stop(mqp__transport *base)
{
    mosq_transport *t = (mosq_transport *)base;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
    if (t->thread_started) {
        pthread_join(t->thread, NULL);
        t->thread_started = false;
        lose_unsent(t, "at shutdown");
    }
}

static void op_destroy(mqp__transport *base)
{
    mosq_transport *t = (mosq_transport *)base;
    if (!t) {
        return;
    }
    op_stop(base);
    if (t->mosq) {
        mosquitto_destroy(t->mosq);
    }
    mqp__free(t->host);
    mqp__free(t->client_id);
    for (size_t i = 0; i < t->nurls; i++) {
        mqp__free(t->wheres[i]);
    }
    mqp__free(t->will_topic);
    mqp__free(t->will_payload);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->pub_mu);
    pthread_cond_destroy(&t->pub_cond);
    mqp__outq_free(&t->out);
    mqp__free(t);
}

static const mqp__transport_ops mosq_ops = {
    .start = op_start,
    .publish = op_publish,
    .subscribe = op_subscribe,
    .unsubscribe = op_unsubscribe,
    .flush = op_flush,
    .out_stats = op_out_stats,
    .out_full = op_out_full,
    .retry_now = op_retry_now,
    .force_reconnect = op_force_reconnect,
    .stop = op_stop,
    .destroy = op_destroy,
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
    /* Process-wide and never undone: cleanup would break other libmosquitto users. */
    mosquitto_lib_init();
}

mqp_err mqp__transport_mosq_new(mqp__transport **out, const mqp__transport_config *cfg,
                                const mqp__transport_events *ev, char *err, size_t errlen)
{
    pthread_once(&lib_once, lib_init);
    mosq_transport *t = mqp__calloc(1, sizeof *t);
    if (!t) {
        return MQP_ERR_NOMEM;
    }
    t->base.ops = &mosq_ops;
    t->ev = *ev;
    t->log = cfg->logger;
    t->urls = cfg->urls;
    t->nurls = cfg->nurls;
    t->opts = cfg->opts;
    t->keepalive = ping_interval(cfg->keepalive_s);
    t->session_expiry = cfg->session_expiry_s;
    t->clean_session = cfg->clean_session;
    t->mode = cfg->protocol;
    t->protocol = cfg->protocol == MQP_PROTOCOL_V311 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
    t->cur.t = t;
    t->cur.main = true;
    mqpx_backoff_init(&t->backoff, cfg->reconnect_min_ms, cfg->reconnect_max_ms);
    mqp__takeover_init(&t->takeover, cfg->reconnect_max_ms);
    pthread_mutex_init(&t->mu, NULL);
    mqpx_cond_init_monotonic(&t->cond);
    pthread_mutex_init(&t->pub_mu, NULL);
    mqpx_cond_init_monotonic(&t->pub_cond);
    mqp__outq_init(&t->out, cfg->out_max_messages, cfg->out_max_bytes);
    bool named = true;
    for (size_t i = 0; i < t->nurls; i++) {
        char one[300];
        mqp_url_redacted(&t->urls[i], one, sizeof one);
        named = named && (t->wheres[i] = mqp__strdup(one)) != NULL;
    }
    named = named && use_broker(t, 0); /* Before the handle: configure() sets credentials. */
    t->client_id = mqp__strdup(cfg->client_id);
    if (cfg->will_topic) {
        t->will_topic = mqp__strdup(cfg->will_topic);
        t->will_payload = mqp__strdup(cfg->will_payload);
    }
    mqp_err rc = MQP_OK;
    if (!named || !t->client_id || (cfg->will_topic && (!t->will_topic || !t->will_payload))) {
        rc = MQP_ERR_NOMEM;
    } else if (!(t->mosq = mosquitto_new(t->client_id, cfg->clean_session, NULL))) {
        rc = errno == ENOMEM ? MQP_ERR_NOMEM : MQP_ERR_INVALID;
    } else if (configure(t, t->mosq, &t->cur) != MOSQ_ERR_SUCCESS) {
        rc = MQP_ERR_INVALID;
        snprintf(err, errlen, "cannot set up the connection to %s (check the TLS files)", t->where);
    } else {
        t->will_qos = cfg->will_qos;
        t->will_retain = cfg->will_retain;
        mosquitto_threaded_set(t->mosq, true);
        mosquitto_message_v5_callback_set(t->mosq, on_message_cb);
        mosquitto_publish_v5_callback_set(t->mosq, on_publish_cb);
        mosquitto_unsubscribe_v5_callback_set(t->mosq, on_unsubscribe_cb);
        mosquitto_subscribe_v5_callback_set(t->mosq, on_subscribe_cb);
        if (t->will_topic &&
            mosquitto_will_set_v5(t->mosq, t->will_topic, (int)strlen(t->will_payload),
                                  t->will_payload, t->will_qos, t->will_retain,
                                  NULL) != MOSQ_ERR_SUCCESS) {
            rc = MQP_ERR_INVALID;
            snprintf(err, errlen, "cannot set the last will on '%s'", t->will_topic);
        }
    }
    if (rc != MQP_OK) {
        op_destroy(&t->base);
        return rc;
    }
    *out = &t->base;
    return MQP_OK;
}
