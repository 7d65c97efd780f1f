/* What the scenario worker reads in the Toxiproxy API's replies: the
 * /version body, the error bodies and the proxy list. Pure functions on bounded input
 * (the fuzz target fuzz_toxiproxy_reply drives them). */
#ifndef RELIABD_SCENARIO_TOXIREPLY_H
#define RELIABD_SCENARIO_TOXIREPLY_H

#include <stddef.h>

/* The most of an error body quoted in a message. */
#define TOXI_ERROR_QUOTE_MAX 200

/* Whether a /version body names reliabd-proxy; fills version: plain text
 * ("2.9.0\n"), a JSON string, or {"version": ..., "server": ...}. */
int toxi_parse_version(const char *body, size_t len, char *version,
    size_t vlen);
/* The message of an error reply: Toxiproxy's {"error":"...","status":N},
 * else the start of the body; printable characters only, at most
 * TOXI_ERROR_QUOTE_MAX of them. */
void toxi_parse_error(const char *body, size_t len, char *msg,
    size_t msglen);

/* Which of names[0..n) a GET /proxies body ({"NAME": {...}, ...}) lists:
 * present[i] = 1 or 0. 0, or -1 when the body is no JSON object. */
int toxi_parse_proxy_set(const char *body, size_t len,
    const char *const *names, size_t n, int *present);

#endif
