/* Scenario files: the JSON format of DESIGN.md, parsed and validated with
 * jansson (spec.c), and the catalogue of the built-in and user
 * directories (catalogue.c).
 *
 * No libcurl or libevent here, so reliabd can link it too. */
#ifndef RELIABD_SCENARIO_SPEC_H
#define RELIABD_SCENARIO_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SPEC_NAME_MAX 64
#define SPEC_DESC_MAX 256
#define SPEC_FILE_MAX (64 * 1024)
#define SPEC_MAX_FAULTS 8
#define SPEC_MAX_SERVERS 16
#define SPEC_MAX_ATTRS 4
#define SPEC_MAX_FILES 256
/* Longest phase or pattern period: a day; anything longer is a typo. */
#define SPEC_PHASE_MAX_MS (24ULL * 3600 * 1000)
#define SPEC_ATTR_MAX 1000000000.0

#define SPEC_DEFAULT_STABILIZATION_MS 30000
#define SPEC_DEFAULT_TESTING_MS 60000
#define SPEC_DEFAULT_RECOVERY_MS 60000

enum fault_type {
	FAULT_LATENCY,
	FAULT_BANDWIDTH,
	FAULT_SLOW_CLOSE,
	FAULT_TIMEOUT,
	FAULT_RESET_PEER,
	FAULT_LIMIT_DATA,
	FAULT_SLICER,
	FAULT_LOSS,
	FAULT_DOWN,
	FAULT_NODE_RESTART,
	FAULT__COUNT,
};
const char *fault_type_text(enum fault_type t);
/* 0 and *out, or -1 for an unknown name. */
int fault_type_parse(const char *s, enum fault_type *out);

enum fault_stream {
	STREAM_DOWNSTREAM,
	STREAM_UPSTREAM,
	STREAM_BOTH,
};
const char *fault_stream_text(enum fault_stream s);

enum phase {
	PHASE_IDLE,
	PHASE_STABILIZATION,
	PHASE_TESTING,
	PHASE_RECOVERY,
};
const char *phase_text(enum phase p);

enum spec_source {
	SOURCE_BUILTIN,
	SOURCE_USER,
};
const char *spec_source_text(enum spec_source s);

struct fault_attr {
	char name[32];
	double value;
};

struct fault_spec {
	enum fault_type type;
	enum fault_stream stream;
	double toxicity;
	char servers[SPEC_MAX_SERVERS][SPEC_NAME_MAX];
	size_t nservers;
	struct fault_attr attrs[SPEC_MAX_ATTRS];
	size_t nattrs;
};

/* Bounds of the ratio keys over 1 (others_p99_max_ratio): a ratio over
 * this is a typo. */
#define SPEC_RATIO_MAX 1000.0
#define SPEC_RECOVER_THROUGHPUT_DEFAULT 0.9

/* Expectations; a negative value means "not checked". The keys added
 * for issue 12 (throughput, latency, isolation) are also off at 0, so a
 * zeroed spec checks nothing new. */
struct expect_spec {
	int64_t breaker_opens_within_ms;
	int64_t recovers_within_ms;
	double baseline_error_rate_max;
	double testing_error_rate_min;   /* the fault must be visible */
	double other_error_rate_max;     /* unused servers keep serving */
	double recover_error_rate;       /* the floor for "recovered" */
	double throughput_min_ratio;     /* testing / stabilization ops/s */
	int64_t p99_max_ms;              /* testing, every operation */
	double others_p99_max_ratio;     /* untouched servers' p99 */
	double recover_throughput_ratio; /* "recovered" needs this much of
					  * the baseline's ops/s (default
					  * 0.9; 0: error rate alone) */
};

struct scenario_spec {
	char name[SPEC_NAME_MAX];
	char description[SPEC_DESC_MAX];
	uint64_t stabilization_ms;
	uint64_t testing_ms;
	uint64_t recovery_ms;
	struct fault_spec faults[SPEC_MAX_FAULTS];
	size_t nfaults;
	uint64_t pattern_on_ms;   /* 0: no flapping */
	uint64_t pattern_off_ms;
	struct expect_spec expect;
	enum spec_source source;
	char path[512];
};

/* What the parser checks server names against; NULL or n == 0 accepts any
 * name. */
struct spec_names {
	const char *const *servers;
	size_t nservers;
	const char *const *nodes;
	size_t nnodes;
};

/* Parses one document. `file` names it in messages. 0, or -1 with
 * "FILE: FIELD: what" in err. */
int spec_parse(const char *text, size_t len, const char *file,
    const struct spec_names *names, struct scenario_spec *out, char *err,
    size_t errlen);
/* Reads a file (bounded by SPEC_FILE_MAX) and parses it. */
int spec_load_file(const char *path, const struct spec_names *names,
    struct scenario_spec *out, char *err, size_t errlen);

/* One attribute of a fault, or `dflt`. */
double fault_attr(const struct fault_spec *f, const char *name, double dflt);

/* A file that did not load, and why ("faults[0].type: unknown fault
 * type \"foo\""). The first CATALOGUE_BAD_MAX are kept (a reply to
 * reliabd must fit one 64 KiB line); `errors` counts them all. */
#define CATALOGUE_BAD_MAX 32
#define CATALOGUE_BAD_PATH_MAX 256
#define CATALOGUE_BAD_REASON_MAX 256
struct catalogue_bad {
	char path[CATALOGUE_BAD_PATH_MAX];
	char reason[CATALOGUE_BAD_REASON_MAX];
};

/* The loaded scenarios, sorted by name. */
struct catalogue {
	struct scenario_spec *specs;
	size_t n;
	size_t errors; /* bad files skipped */
	struct catalogue_bad bad[CATALOGUE_BAD_MAX];
	size_t nbad;
};

/* Loads every *.json of `builtin_dir` then `user_dir` (either may be NULL
 * or missing); a user scenario replaces a built-in of the same name. Bad
 * files are logged (file and field), kept in `bad`, and skipped. `report`
 * (may be NULL) is called with each error message. 0, or -1 on no
 * memory. */
typedef void (*spec_error_fn)(const char *msg, void *arg);
int catalogue_load(struct catalogue *cat, const char *builtin_dir,
    const char *user_dir, const struct spec_names *names,
    spec_error_fn report, void *arg);
void catalogue_free(struct catalogue *cat);
const struct scenario_spec *catalogue_find(const struct catalogue *cat,
    const char *name);
/* Up to `max` names close to `name` (edit distance or substring), joined
 * with ", " into buf; returns the count. */
size_t catalogue_suggest(const struct catalogue *cat, const char *name,
    char *buf, size_t len, size_t max);

/* The bad files as JSON: [{"file": path, "error": reason}...] (new
 * reference, NULL on no memory). */
json_t *catalogue_bad_json(const struct catalogue *cat);

/* Levenshtein distance, bounded inputs (names). */
size_t edit_distance(const char *a, const char *b);

/* Whether a scenario needs managed nodes (has a node-restart fault). */
int spec_needs_nodes(const struct scenario_spec *s);

#endif
