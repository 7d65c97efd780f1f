/* A small HTTP server (libmicrohttpd, its own thread) that serves
 * GET /metrics from a registry, and other paths from a page handler if
 * one is given (reliabd's report pages); else every other path is 404. */
#ifndef RELIABD_HTTPD_H
#define RELIABD_HTTPD_H

#include <stddef.h>

struct metrics_registry;
struct metrics_server;

/* `addr` is "host:port" (port 0 picks a free one). NULL on error, with a
 * message in err. */
struct metrics_server *metrics_server_start(const char *addr,
    struct metrics_registry *reg, char *err, size_t errlen);
/* Serves a path other than /metrics, on the server's thread (never an
 * event loop's): sets *body (malloc'd, the server frees it), *len and
 * *type (a static string), and returns the HTTP status. */
typedef unsigned (*httpd_page_fn)(void *arg, const char *url, char **body,
    size_t *len, const char **type);
/* As metrics_server_start, with `fn` (and its `arg`) for other paths. */
struct metrics_server *metrics_server_start_pages(const char *addr,
    struct metrics_registry *reg, httpd_page_fn fn, void *arg, char *err,
    size_t errlen);
/* The port actually bound. */
unsigned metrics_server_port(const struct metrics_server *srv);
void metrics_server_stop(struct metrics_server *srv);

#endif
