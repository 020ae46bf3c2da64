/* Writing broker URLs, the inverse of mqp_url_parse(): for code that composes a URL from parts
 * (the configuration's broker_host, broker_port, username and password). */
#ifndef MQP_URL_FORMAT_H
#define MQP_URL_FORMAT_H

#include "mqplane/url.h"

#include "buf.h"

/* Appends s percent-encoded: every byte but the unreserved ones (RFC 3986: letters, digits,
 * "-._~") as %XX, so that any user name or password survives a round trip. */
void mqp__pct_encode(mqp__buf *b, const char *s);

/* The URL of u, with its credentials percent-encoded, its port always written and its query
 * (client_id, keepalive, protocol) when set; mqp_url_parse() reads it back as u. Allocated
 * (mqp__free); NULL when out of memory. */
char *mqp__url_format(const mqp_url *u);

#endif
