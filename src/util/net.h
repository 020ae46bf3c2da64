/* Loopback ports, for tools and tests that start a broker of their own. Part of the helpers
 * layer (src/util). */
#ifndef MQPX_NET_H
#define MQPX_NET_H

#include <stdbool.h>
#include <sys/socket.h>

/* A TCP port on 127.0.0.1 that was free a moment ago, or -1 (errno says why). */
int mqpx_free_port(void);
/* Whether something accepts TCP connections on 127.0.0.1:port. */
bool mqpx_port_open(int port);
/* Whether the server at addr is gone: a TCP connection to it is refused, or accepted and then
 * closed or reset within wait_ms (a server on its way down). False when it stays open for
 * wait_ms, and when nothing can be told (no route, a timeout). Takes up to 2 * wait_ms. */
bool mqpx_server_gone(const struct sockaddr *addr, socklen_t len, int wait_ms);

#endif
