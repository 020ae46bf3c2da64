/* What library layers above the client (the control plane) may do to a client beyond the
 * public API: one hook, so they need not see the client's insides. */
#ifndef MQP_CLIENT_HOOKS_H
#define MQP_CLIENT_HOOKS_H

#include "mqplane/client.h"

/* Library code that owns the will (the control plane) refreshes its payload before each
 * connection attempt: fn returns a fresh payload allocated with mqp__malloc, or NULL to keep
 * the current one. Set before the client starts. */
void mqp__client_set_will_refresh(mqp_client *c, char *(*fn)(void *ctx), void *ctx);

#endif
