/* Loopback ports, for tools and tests that start a broker of their own. Part of the helpers
 * layer (src/util). */
#ifndef MQPX_NET_H
#define MQPX_NET_H

#include <stdbool.h>

/* A TCP port on 127.0.0.1 that was free a moment ago, or -1 (errno says why). */
int mqpx_free_port(void);
/* Whether something accepts TCP connections on 127.0.0.1:port. */
bool mqpx_port_open(int port);

#endif
