/* reliabd's report pages over HTTP, served by the metrics listener
 * (lib/httpd.c) on libmicrohttpd's thread, never on the event loop:
 * `/` the runs, `/run/ID` a run's report (a live run's refreshes itself).
 * Only the state directory's journal and series/ files are read. */
#ifndef RELIABD_WEB_H
#define RELIABD_WEB_H

#include <stddef.h>

enum web_route {
	WEB_INDEX,     /* "/" */
	WEB_RUN,       /* "/run/ID" (or "/runs/ID") */
	WEB_NOT_FOUND, /* any other path: 404 */
	WEB_BAD,       /* /run/ with a bad id (too long, "..", bad chars): 400 */
};

const char *web_route_text(enum web_route r);
/* What a request path (as libmicrohttpd gives it: decoded, no query)
 * asks for; for WEB_RUN the id is copied to `id` (idlen > 64). */
enum web_route web_path(const char *url, char *id, size_t idlen);

/* The state directory the pages read; before the server starts. */
int web_init(const char *state_dir);
/* lib/httpd.h's httpd_page_fn. */
unsigned web_page(void *arg, const char *url, char **body, size_t *len,
    const char **type);

#endif
