/* reliabctl check-client: a /metrics body read as the scenario worker
 * reads a client's (daemon/scenario/promtext.c's parser, the same
 * limits), summed up per memcache_* metric family, and which checks of
 * daemon/scenario/checks.c its metrics let the worker judge. No I/O. */
#ifndef CTL_SCRAPE_CHECK_H
#define CTL_SCRAPE_CHECK_H

#include <stddef.h>

#include "daemon/scenario/promtext.h"

/* memcache_* families kept; what is past them is counted (dropped). */
#define SCRAPE_FAMILIES_MAX 64
/* `server` values kept a family: as many as the worker samples. */
#define SCRAPE_SERVERS_MAX SAMPLE_MAX_SERVERS
/* Distinct series counted, a family and in all; past them a count is a
 * floor. */
#define SCRAPE_FAMILY_SERIES_MAX 4096
#define SCRAPE_SERIES_MAX 65536
/* A check needs at most this many metrics. */
#define SCRAPE_NEEDS_MAX 3
#define SCRAPE_NEED_TEXT_MAX (PROM_NAME_MAX + 32)

enum scrape_type {
	SCRAPE_TYPE_NONE, /* no # TYPE line */
	SCRAPE_TYPE_COUNTER,
	SCRAPE_TYPE_GAUGE,
	SCRAPE_TYPE_HISTOGRAM,
	SCRAPE_TYPE_SUMMARY,
	SCRAPE_TYPE_UNTYPED,
};
/* "counter" ...; NULL for SCRAPE_TYPE_NONE. */
const char *scrape_type_text(enum scrape_type t);

/* The samples of a family: its own name, or a histogram's (summary's)
 * _bucket, _count, _sum. */
enum scrape_part {
	SCRAPE_PART_SAMPLE,
	SCRAPE_PART_BUCKET,
	SCRAPE_PART_COUNT,
	SCRAPE_PART_SUM,
	SCRAPE_PART__COUNT,
};

struct scrape_family {
	char name[PROM_NAME_MAX];
	enum scrape_type type;       /* from # TYPE */
	enum scrape_type documented; /* docs/METRICS.md's; NONE: not there */
	size_t samples;              /* sample lines read */
	size_t series;               /* label sets, a histogram's le aside */
	int series_floor;            /* series: at least (too many to count) */
	size_t ignored;              /* NaN, infinite or negative: the
	                              * worker skips them */
	char servers[SCRAPE_SERVERS_MAX][PROM_VALUE_MAX];
	size_t nservers;
	int servers_more;            /* more values than SCRAPE_SERVERS_MAX */
	/* Per part, a bit per set of labels (server, le, status) seen
	 * together on a usable sample. */
	unsigned char labels_seen[SCRAPE_PART__COUNT];
};

/* One check of the steady-state hypothesis, as this client could be
 * judged on it. */
struct scrape_verdict {
	const char *check;           /* the expect key, as checks.c names it */
	int judged;
	size_t nneeds;               /* the metrics it lacks */
	char needs[SCRAPE_NEEDS_MAX][SCRAPE_NEED_TEXT_MAX];
	const char *note;            /* judged, with a limit; or NULL */
};

#define SCRAPE_CHECKS 9

struct scrape_check {
	struct scrape_family fam[SCRAPE_FAMILIES_MAX];
	size_t nfam;
	size_t dropped;              /* samples and # TYPE lines of the
	                              * memcache_* families past the limit */
	size_t samples;              /* every sample line read */
	size_t other_samples;        /* samples of other metrics */
	size_t unreadable;           /* lines not understood, skipped */
	int client;                  /* memcache_operations_total found */
	struct scrape_verdict checks[SCRAPE_CHECKS];
	/* docs/METRICS.md's memcache_* metrics the body lacks. */
	const char *missing[32];
	size_t nmissing;
};

/* Reads a /metrics body (at most PROM_INPUT_MAX bytes) into *out, a
 * caller's (large: allocate it). 0, or -1 when the body is over the
 * limit or memory ran out. Lines it cannot read are counted. */
int scrape_check_parse(const char *text, size_t len, struct scrape_check *out);

#endif
