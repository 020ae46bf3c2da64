/* What library layers above the client (the control and data planes) may do to a client beyond
 * the public API: two hooks, so they need not see the client's insides. */
#ifndef MQP_CLIENT_HOOKS_H
#define MQP_CLIENT_HOOKS_H

#include "mqplane/client.h"

/* Library code that owns the will (the control plane) refreshes its payload before each
 * connection attempt: fn returns a fresh payload allocated with mqp__malloc, or NULL to keep
 * the current one. Set before the client starts. */
void mqp__client_set_will_refresh(mqp_client *c, char *(*fn)(void *ctx), void *ctx);

/* True when a QoS 0 publish now would be refused for a full outgoing window (and counted as
 * such, as a refused publish is): the data plane asks before it formats a message. */
bool mqp__client_out_full(mqp_client *c);

/* Hands p (from mqp__malloc) to the client, which frees it at destroy: the user data of handlers
 * that were unsubscribed, which the dispatch thread may still be about to call. */
void mqp__client_keep_until_destroy(mqp_client *c, void *p);

#endif
