/* A small HTTP server (libmicrohttpd, its own thread) that serves
 * GET /metrics from a registry; every other path is 404. */
#ifndef RELIABD_HTTPD_H
#define RELIABD_HTTPD_H

#include <stddef.h>

struct metrics_registry;
struct metrics_server;

/* `addr` is "host:port" (port 0 picks a free one). NULL on error, with a
 * message in err. */
struct metrics_server *metrics_server_start(const char *addr,
    struct metrics_registry *reg, char *err, size_t errlen);
/* The port actually bound. */
unsigned metrics_server_port(const struct metrics_server *srv);
void metrics_server_stop(struct metrics_server *srv);

#endif
