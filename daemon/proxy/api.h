/* The Toxiproxy HTTP API. libmicrohttpd serves it from its own thread;
 * each request is handed to the loop thread, which owns every proxy, and
 * the HTTP thread waits for the answer. So no proxy state is ever shared
 * between threads. */
#ifndef RELIABD_PROXY_API_H
#define RELIABD_PROXY_API_H

#include <stddef.h>

struct event_base;
struct proxy_set;
struct api_server;

/* Version reported by GET /version: Toxiproxy's API level, then ours. */
#define API_VERSION "2.12.0+reliabd." PACKAGE_VERSION

/* Handles one request on the loop thread: the status, and a malloc'd
 * body in *resp (NULL for 204). `body` need not be NUL-terminated. */
int api_handle(struct proxy_set *set, const char *method, const char *url,
    const char *body, size_t len, char **resp, size_t *resp_len);

/* `addr` is "host:port" (port 0 picks one). NULL with err on failure.
 * libevent must have been told to use pthreads (evthread_use_pthreads). */
struct api_server *api_server_start(const char *addr, struct event_base *base,
    struct proxy_set *set, char *err, size_t errlen);
unsigned api_server_port(const struct api_server *api);
/* Answers what is still queued with 503 and stops the HTTP thread. */
void api_server_stop(struct api_server *api);

#endif
