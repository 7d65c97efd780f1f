/* A Toxiproxy HTTP API client (libcurl + jansson), written against the
 * documented API so it drives a real Toxiproxy or reliabd-proxy alike.
 * Not thread-safe: one client per thread. */
#ifndef RELIABD_SCENARIO_TOXIPROXY_H
#define RELIABD_SCENARIO_TOXIPROXY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "toxireply.h"

#define TOXI_CONNECT_TIMEOUT_MS 1000
#define TOXI_TIMEOUT_MS 2000
/* After a call times out, calls fail at once for this long, doubling on
 * each further timeout up to the cap: a hung proxy costs the worker's
 * loop one timeout per window, not one per fault. */
#define TOXI_QUIET_MS 2000
#define TOXI_QUIET_MAX_MS 60000
#define TOXI_BODY_MAX (256 * 1024)

enum toxi_result {
	TOXI_OK,
	TOXI_UNREACHABLE,  /* nothing listens: a proxy that is not running
			    * holds no toxics */
	TOXI_ERROR,        /* an HTTP error, a timeout, a bad reply */
};
const char *toxi_result_text(enum toxi_result r);

struct toxi {
	void *curl;               /* CURL * */
	char base[300];           /* http://host:port */
	char version[64];
	int builtin;              /* the server is reliabd-proxy */
	int version_known;
	uint64_t quiet_ms;        /* current quiet window; 0: answering */
	uint64_t quiet_until;     /* monotonic ms: fail fast before this */
	long last_status;         /* the last call's HTTP status; 0: none */
};

/* `api` is host:port. 0 or -1. */
int toxi_init(struct toxi *t, const char *api, char *err, size_t errlen);
void toxi_free(struct toxi *t);

/* GET /version: plain text ("2.9.0") or JSON; sets version and builtin. */
enum toxi_result toxi_probe(struct toxi *t, char *err, size_t errlen);
/* POST /proxies/{proxy}/toxics; 200 or 201. An existing toxic of that
 * name is replaced. `attributes` is not stolen. */
enum toxi_result toxi_add_toxic(struct toxi *t, const char *proxy,
    const char *name, const char *type, const char *stream, double toxicity,
    json_t *attributes, char *err, size_t errlen);
/* DELETE /proxies/{proxy}/toxics/{name}; a missing toxic is success. */
enum toxi_result toxi_remove_toxic(struct toxi *t, const char *proxy,
    const char *name, char *err, size_t errlen);
/* POST /proxies/{proxy} {"enabled":b}. */
enum toxi_result toxi_set_enabled(struct toxi *t, const char *proxy,
    int enabled, char *err, size_t errlen);
/* POST /reset: every toxic removed and every proxy enabled. */
enum toxi_result toxi_reset(struct toxi *t, char *err, size_t errlen);
/* GET /proxies: which of names[0..n) exist (present[i] 1 or 0). */
enum toxi_result toxi_has_proxies(struct toxi *t, const char *const *names,
    size_t n, int *present, char *err, size_t errlen);
/* POST /populate with `proxies`, a JSON array of {name, listen, upstream,
 * enabled} (not stolen): each created, or replaced when its addresses
 * differ; one with the same name and addresses is left as it is, and
 * proxies not named are not touched (Toxiproxy 2.x). 200 or 201. */
enum toxi_result toxi_populate(struct toxi *t, json_t *proxies, char *err,
    size_t errlen);


#endif
