/* The Toxiproxy HTTP API. libmicrohttpd serves it from its own thread,
 * which handles one request at a time; what a request does to a proxy
 * runs on that proxy's own loop thread (proxy.c), and the HTTP thread
 * waits for it. So a proxy's connections are only ever its loop's. */
#ifndef RELIABD_PROXY_API_H
#define RELIABD_PROXY_API_H

#include <stddef.h>

struct proxy_set;
struct api_server;

/* Version reported by GET /version: Toxiproxy's API level, then ours. */
#define API_VERSION "2.12.0+reliabd." PACKAGE_VERSION

/* Handles one request: the status, and a malloc'd body in *resp (NULL
 * for 204). `body` need not be NUL-terminated. One call at a time. */
int api_handle(struct proxy_set *set, const char *method, const char *url,
    const char *body, size_t len, char **resp, size_t *resp_len);

/* `addr` is "host:port" (port 0 picks one). NULL with err on failure. */
struct api_server *api_server_start(const char *addr, struct proxy_set *set,
    char *err, size_t errlen);
unsigned api_server_port(const struct api_server *api);
/* Waits for the request in progress, answers any later one with 503 and
 * stops the HTTP thread; then the set may be freed. */
void api_server_stop(struct api_server *api);

#endif
