/* Consistent hashing as ketama defines it (and libmemcached, spymemcached,
 * pylibmc follow): 160 points per server on a 32-bit ring, from MD5 of
 * "host:port-N"; a key goes to the first point at or after MD5(key). */
#ifndef RELIABD_LOADGEN_KETAMA_H
#define RELIABD_LOADGEN_KETAMA_H

#include <stddef.h>
#include <stdint.h>

#define KETAMA_POINTS_PER_SERVER 160

struct ketama_point {
	uint32_t hash;
	uint32_t server;
};

struct ketama {
	struct ketama_point *points;
	size_t npoints;
	size_t nservers;
};

/* `ids` are the servers' identities on the ring ("host:port"). 0 or -1. */
int ketama_build(struct ketama *k, const char *const *ids, size_t n);
void ketama_free(struct ketama *k);
uint32_t ketama_hash(const char *key, size_t len);
/* Index of the server for `key`; the ring must not be empty. */
uint32_t ketama_server(const struct ketama *k, const char *key, size_t len);

#endif
