/* Ketama consistent hashing: the ring is built once and read without locks. */
#include "ketama.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include <libhashkit-1.0/hashkit.h>

static uint32_t
digest_point(const uint8_t d[16], unsigned i)
{
	return (uint32_t)d[3 + i * 4] << 24 | (uint32_t)d[2 + i * 4] << 16 |
	    (uint32_t)d[1 + i * 4] << 8 | (uint32_t)d[i * 4];
}

static int
point_cmp(const void *a, const void *b)
{
	const struct ketama_point *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	/* Ties broken by server so the ring is the same whatever the order. */
	return x->server < y->server ? -1 : x->server > y->server;
}

int
ketama_build(struct ketama *k, const char *const *ids, size_t n)
{
	memset(k, 0, sizeof(*k));
	if (n == 0 || n > 1024) {
		log_warn("need 1..1024 servers, got %zu", n);
		return -1;
	}
	k->points = calloc(n * KETAMA_POINTS_PER_SERVER, sizeof(*k->points));
	if (k->points == NULL) {
		log_error("no memory");
		return -1;
	}
	for (size_t s = 0; s < n; s++) {
		for (unsigned i = 0; i < KETAMA_POINTS_PER_SERVER / 4; i++) {
			char buf[600];
			uint8_t d[16];
			int len = snprintf(buf, sizeof(buf), "%s-%u", ids[s], i);
			if (len < 0 || (size_t)len >= sizeof(buf)) {
				log_warn("server id too long: %s", ids[s]);
				ketama_free(k);
				return -1;
			}
			libhashkit_md5_signature((const unsigned char *)buf,
			    (size_t)len, d);
			for (unsigned j = 0; j < 4; j++) {
				struct ketama_point *p = &k->points[k->npoints++];
				p->hash = digest_point(d, j);
				p->server = (uint32_t)s;
			}
		}
	}
	qsort(k->points, k->npoints, sizeof(*k->points), point_cmp);
	k->nservers = n;
	return 0;
}

void
ketama_free(struct ketama *k)
{
	free(k->points);
	memset(k, 0, sizeof(*k));
}

uint32_t
ketama_hash(const char *key, size_t len)
{
	uint8_t d[16];

	libhashkit_md5_signature((const unsigned char *)key, len, d);
	return digest_point(d, 0);
}

uint32_t
ketama_server(const struct ketama *k, const char *key, size_t len)
{
	uint32_t h = ketama_hash(key, len);
	size_t lo = 0, hi = k->npoints;

	/* First point with hash >= h; past the end wraps to the first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->points[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->npoints)
		lo = 0;
	return k->points[lo].server;
}
