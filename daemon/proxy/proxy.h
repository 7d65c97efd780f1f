/* The proxies: listeners, connections and their toxic chains, each
 * proxy's owned by its own loop thread. The functions here are called by
 * one thread at a time (the API's, see api.c); a change to a proxy runs
 * on its loop, and the call waits for it (proxy.c). */
#ifndef RELIABD_PROXY_PROXY_H
#define RELIABD_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api_parse.h"
#include "toxic.h"

/* Most toxics on one proxy. */
#define PROXY_TOXICS_MAX 32
/* Backpressure: a side stops being read while more than this is held
 * for the other (in the toxic chain plus the output buffer). */
#define PROXY_HIGH_WATER (256 * 1024)
/* Bytes taken from a socket per chunk. */
#define PROXY_CHUNK 16384

struct event_base;
struct metrics_registry;
struct proxy_set;
struct proxy;
struct toxic;

enum proxy_state {
	PROXY_DISABLED,
	PROXY_LISTENING,
};
const char *proxy_state_text(enum proxy_state s);

/* `base` is not used (each proxy makes its own loop); it calls
 * evthread_use_pthreads. */
struct proxy_set *proxy_set_new(struct event_base *base, uint64_t seed,
    struct metrics_registry *reg);
void proxy_set_free(struct proxy_set *set);

/* Lookups; NULL if absent. */
struct proxy *proxy_find(struct proxy_set *set, const char *name);
struct toxic *toxic_find(struct proxy *px, const char *name);
const struct toxic_spec *toxic_spec(const struct toxic *t);
size_t proxy_count(const struct proxy_set *set);
/* The names the request being handled may use, resolved off the loop
 * (names.h); NULL lets creation resolve names itself (start-up only). */
struct names;
void proxy_set_names(struct proxy_set *set, const struct names *names);
/* The spec as now in force (listen shows the port actually bound). */
void proxy_get_spec(const struct proxy *px, struct proxy_spec *out);

/* Creates (binding the listener when enabled). NULL with err: 409 if the
 * name exists, 500 if the address cannot be bound, 400 if it does not
 * resolve. */
struct proxy *proxy_create(struct proxy_set *set,
    const struct proxy_spec *spec, struct api_error *err);
/* Changes listen/upstream/enabled; on error nothing changed. Disabling
 * closes the listener and every connection. */
int proxy_apply(struct proxy *px, const struct proxy_spec *spec,
    struct api_error *err);
void proxy_delete(struct proxy *px);
/* POST /populate: each proxy is created, or replaced when its listen or
 * upstream differ, or left as it is (enabled, toxics) when they are the
 * same, as Toxiproxy 2.x does.
 * Returns the resulting proxies' JSON array, or NULL with err. */
json_t *proxy_populate(struct proxy_set *set, const struct proxy_spec *specs,
    size_t n, struct api_error *err);
/* POST /reset: enables every proxy and removes every toxic. */
int proxy_set_reset(struct proxy_set *set, struct api_error *err);

/* Toxics: applied at once to every open connection of the proxy. */
struct toxic *toxic_add(struct proxy *px, const struct toxic_spec *spec,
    struct api_error *err);
void toxic_update(struct proxy *px, struct toxic *t,
    const struct toxic_spec *spec);
void toxic_remove(struct proxy *px, struct toxic *t);

/* JSON shapes of the API. New references, NULL on no memory. */
json_t *proxy_to_json(const struct proxy *px);
json_t *proxy_toxics_json(const struct proxy *px);
json_t *proxy_set_json(const struct proxy_set *set); /* {name: proxy} */

/* Stops every proxy's thread, and closes its listener and connections. */
void proxy_set_shutdown(struct proxy_set *set);

#endif
