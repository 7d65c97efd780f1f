/* Option parsing for reliabd-loadgen: every value bounded and validated,
 * every error one line naming the option and what it accepts. One job,
 * though past 700 lines: each option's help line, parse, bounds and the
 * kind that takes it sit side by side, so an option is changed in one
 * place. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "integrity.h"
#include "util.h"

const char *
lg_op_text(enum lg_op op)
{
	switch (op) {
	case LG_OP_GET:
		return "get";
	case LG_OP_SET:
		return "set";
	case LG_OP_DELETE:
		return "delete";
	}
	return "unknown";
}

const char *
lg_kind_text(enum lg_kind k)
{
	switch (k) {
	case LG_KIND_RESILIENT:
		return "resilient";
	case LG_KIND_LIBMEMCACHED:
		return "libmemcached";
	}
	return "unknown";
}

void
lg_options_defaults(struct lg_options *o)
{
	memset(o, 0, sizeof(*o));
	strlcpy_r(o->metrics, "127.0.0.1:9090", sizeof(o->metrics));
	o->workers = 16;
	strlcpy_r(o->workload, "mixed", sizeof(o->workload));
	lg_parse_workload("mixed", o->ratio);
	o->keys = 10000;
	strlcpy_r(o->key_prefix, "reliabd:", sizeof(o->key_prefix));
	o->value_min = o->value_max = 100;
	o->op_timeout_ms = 500;
	o->pool_acquire_timeout_ms = 100;
	o->pipeline = 1;
	o->fallback_auto = true;
	o->breaker.consecutive_failures = 5;
	o->breaker.failure_ratio = 0.5;
	o->breaker.min_requests = 20;
	o->breaker.open_timeout_ms = 5000;
	o->breaker.half_open_probes = 3;
	o->breaker.interval_ms = 10000;
	o->libmc.server_failure_limit = 5;
	o->libmc.retry_timeout_s = 2;
	o->log_level = LOG_LVL_INFO;
}

void
lg_usage(FILE *f)
{
	fputs(
"Usage: reliabd-loadgen [-c FILE] [--option=VALUE]...\n"
"A memcache workload through a resilient client: ketama distribution,\n"
"a circuit breaker and a connection pool per server, self-checking values.\n"
"Or, with --kind=libmemcached, through libmemcached as applications run it.\n"
"\n"
"  --kind=KIND                    resilient (the built-in client) or\n"
"                                 libmemcached (a thread per worker, each\n"
"                                 with its own memcached_st and blocking\n"
"                                 calls; --workers at most 256; no breaker,\n"
"                                 pool, --threads or --pipeline options)\n"
"                                 (default resilient)\n"
"  -c FILE, --config=FILE        read the [loadgen] and [server] sections of\n"
"                                 reliabd.conf (command-line options win)\n"
"  --server=NAME=HOST:PORT        a memcached server (repeatable, 1..16)\n"
"  --metrics=HOST:PORT            serve /metrics here (default 127.0.0.1:9090;\n"
"                                 port 0 picks a free port)\n"
"  --workers=N                    concurrent operations in flight, 1..4096\n"
"                                 (default 16)\n"
"  --threads=N                    threads driving the workers, 0..256;\n"
"                                 0 = one per 8 workers, at most one\n"
"                                 per CPU (default 0)\n"
"  --workload=TYPE                mixed (get 70 %, set 25 %, delete 5 %),\n"
"                                 get-heavy (90/10/0), set-heavy (10/90/0), or\n"
"                                 ratios get=N,set=N,delete=N (default mixed)\n"
"  --keys=N                       key space size, 1..100000000 (default 10000)\n"
"  --key-prefix=STR               key prefix, 1..64 printable characters\n"
"                                 without spaces (default reliabd:)\n"
"  --value-size=N|MIN-MAX         value bytes, fixed or uniform in a range,\n"
"                                 up to 1000000; at least the integrity header\n"
"                                 plus the key (about 60) (default 100)\n"
"  --ttl=DURATION                 item expiry, whole seconds, 0 = never, at\n"
"                                 most 30 days (default 0)\n"
"  --rate=OPS                     open loop at OPS operations/s in total,\n"
"                                 0..10000000; 0 = closed loop (default 0)\n"
"  --connections=N                connection pool size per server, 0..4096;\n"
"                                 0 = one per worker (default 0); split\n"
"                                 between the threads, each thread keeping\n"
"                                 its own share (no lock between threads)\n"
"  --pipeline=N                   requests in flight on one connection,\n"
"                                 1..64; 1 = like libmemcached, more = like\n"
"                                 spymemcached (default 1)\n"
"  --op-timeout=DURATION          timeout of every call: connect, send,\n"
"                                 receive; 1ms..60s (default 500ms)\n"
"  --pool-acquire-timeout=DURATION  wait for a pooled connection, 0..60s\n"
"                                 (default 100ms)\n"
"  --fallback-time=DURATION|auto  after a failed operation, the worker waits\n"
"                                 this long (the application going to its\n"
"                                 database), 0..60s; auto = the recent mean\n"
"                                 latency of successful operations, at\n"
"                                 least 50us, 1ms before any (default auto)\n"
"  --breaker-consecutive-failures=N  open after N failures in a row,\n"
"                                 0 = off, up to 1000000 (default 5)\n"
"  --breaker-failure-ratio=R      open when failures/requests >= R, 0..1,\n"
"                                 0 = off (default 0.5)\n"
"  --breaker-min-requests=N       requests in the window before the ratio\n"
"                                 counts, 0..1000000 (default 20)\n"
"  --breaker-open-timeout=DURATION  time open before half-open, 1ms..1h\n"
"                                 (default 5s)\n"
"  --breaker-half-open-probes=N   calls allowed half-open; that many\n"
"                                 successes close it, 1..10000 (default 3)\n"
"  --breaker-interval=DURATION    closed-state counts reset every interval,\n"
"                                 0 = never, up to 1h (default 10s)\n"
"libmemcached kind only (libmemcached's own failure handling):\n"
"  --server-failure-limit=N       failures in a row before a server is held\n"
"                                 failed (ejected, with the next option),\n"
"                                 1..1000000 (default 5)\n"
"  --retry-timeout=DURATION       a failed server is not tried for this\n"
"                                 long, whole seconds, 0..1h (default 2s)\n"
"  --remove-failed-servers=yes|no eject a server past its failure limit\n"
"                                 and re-map its keys on the ketama ring\n"
"                                 (default no)\n"
"  --dead-timeout=DURATION        an ejected server is tried again after\n"
"                                 this long, whole seconds; 0 = never,\n"
"                                 up to 1h (default 0)\n"
"  --op-timeout is then libmemcached's poll and connect timeout.\n"
"\n"
"  --duration=DURATION            stop after this long; 0 = until SIGTERM\n"
"                                 (default 0)\n"
"  --seed=N                       random seed, 0 = from the clock (default 0)\n"
"  --log-level=LEVEL              error, warn, info, debug (default info)\n"
"  --check                        validate the options and exit\n"
"  --help                         this text\n"
"\n"
"Durations take ms, s, m, h units; a bare number is seconds.\n"
"Exit status: 0 done, 1 runtime failure, 2 bad option or value.\n",
	    f);
}

int
lg_parse_workload(const char *s, unsigned ratio[LG_NOPS])
{
	unsigned r[LG_NOPS] = { 0, 0, 0 };
	bool seen[LG_NOPS] = { false, false, false };
	const char *p = s;

	if (strcmp(s, "mixed") == 0) {
		ratio[LG_OP_GET] = 70, ratio[LG_OP_SET] = 25;
		ratio[LG_OP_DELETE] = 5;
		return 0;
	}
	if (strcmp(s, "get-heavy") == 0) {
		ratio[LG_OP_GET] = 90, ratio[LG_OP_SET] = 10;
		ratio[LG_OP_DELETE] = 0;
		return 0;
	}
	if (strcmp(s, "set-heavy") == 0) {
		ratio[LG_OP_GET] = 10, ratio[LG_OP_SET] = 90;
		ratio[LG_OP_DELETE] = 0;
		return 0;
	}
	if (strlen(s) > 64)
		return -1;
	/* get=N,set=N,delete=N in any order, each at most once. */
	for (;;) {
		char name[8], num[16];
		const char *eq = strchr(p, '='), *end;
		size_t nl, vl;
		uint64_t v;
		int op = -1;

		if (eq == NULL)
			return -1;
		end = strchr(eq, ',');
		if (end == NULL)
			end = eq + strlen(eq);
		nl = (size_t)(eq - p);
		vl = (size_t)(end - eq - 1);
		if (nl == 0 || nl >= sizeof(name) || vl == 0 || vl >= sizeof(num))
			return -1;
		memcpy(name, p, nl);
		name[nl] = '\0';
		memcpy(num, eq + 1, vl);
		num[vl] = '\0';
		for (int i = 0; i < LG_NOPS; i++)
			if (strcmp(name, lg_op_text((enum lg_op)i)) == 0)
				op = i;
		if (op < 0 || seen[op] || parse_u64(num, 0, 1000000, &v) != 0)
			return -1;
		seen[op] = true;
		r[op] = (unsigned)v;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	if (r[0] + r[1] + r[2] == 0)
		return -1;
	memcpy(ratio, r, sizeof(r));
	return 0;
}

int
lg_parse_value_size(const char *s, size_t *min, size_t *max)
{
	char a[24];
	const char *dash = strchr(s, '-');
	uint64_t lo, hi;

	if (dash == NULL) {
		if (parse_u64(s, 1, LG_MAX_VALUE, &lo) != 0)
			return -1;
		*min = *max = (size_t)lo;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (parse_u64(a, 1, LG_MAX_VALUE, &lo) != 0 ||
	    parse_u64(dash + 1, 1, LG_MAX_VALUE, &hi) != 0 || lo > hi)
		return -1;
	*min = (size_t)lo;
	*max = (size_t)hi;
	return 0;
}

static bool
name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= LG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int
lg_parse_server(const char *s, struct lg_server *out)
{
	const char *eq = strchr(s, '=');
	char err[128];

	if (eq == NULL || !name_ok(s, (size_t)(eq - s)))
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, s, (size_t)(eq - s));
	if (hostport_parse(eq + 1, &out->addr, err, sizeof(err)) != 0 ||
	    out->addr.port == 0)
		return -1;
	return 0;
}

enum {
	OPT_SERVER = 256,
	OPT_METRICS,
	OPT_WORKERS,
	OPT_THREADS,
	OPT_WORKLOAD,
	OPT_KEYS,
	OPT_KEY_PREFIX,
	OPT_VALUE_SIZE,
	OPT_TTL,
	OPT_RATE,
	OPT_CONNECTIONS,
	OPT_OP_TIMEOUT,
	OPT_POOL_ACQUIRE_TIMEOUT,
	OPT_PIPELINE,
	OPT_FALLBACK_TIME,
	OPT_BR_CONSECUTIVE,
	OPT_BR_RATIO,
	OPT_BR_MIN_REQUESTS,
	OPT_BR_OPEN_TIMEOUT,
	OPT_BR_PROBES,
	OPT_BR_INTERVAL,
	OPT_KIND,
	OPT_MC_FAILURE_LIMIT,
	OPT_MC_RETRY_TIMEOUT,
	OPT_MC_REMOVE_FAILED,
	OPT_MC_DEAD_TIMEOUT,
	OPT_DURATION,
	OPT_SEED,
	OPT_LOG_LEVEL,
	OPT_CHECK,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "key-prefix", required_argument, NULL, OPT_KEY_PREFIX },
	{ "value-size", required_argument, NULL, OPT_VALUE_SIZE },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "op-timeout", required_argument, NULL, OPT_OP_TIMEOUT },
	{ "pool-acquire-timeout", required_argument, NULL,
	    OPT_POOL_ACQUIRE_TIMEOUT },
	{ "pipeline", required_argument, NULL, OPT_PIPELINE },
	{ "fallback-time", required_argument, NULL, OPT_FALLBACK_TIME },
	{ "breaker-consecutive-failures", required_argument, NULL,
	    OPT_BR_CONSECUTIVE },
	{ "breaker-failure-ratio", required_argument, NULL, OPT_BR_RATIO },
	{ "breaker-min-requests", required_argument, NULL, OPT_BR_MIN_REQUESTS },
	{ "breaker-open-timeout", required_argument, NULL, OPT_BR_OPEN_TIMEOUT },
	{ "breaker-half-open-probes", required_argument, NULL, OPT_BR_PROBES },
	{ "breaker-interval", required_argument, NULL, OPT_BR_INTERVAL },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "server-failure-limit", required_argument, NULL,
	    OPT_MC_FAILURE_LIMIT },
	{ "retry-timeout", required_argument, NULL, OPT_MC_RETRY_TIMEOUT },
	{ "remove-failed-servers", required_argument, NULL,
	    OPT_MC_REMOVE_FAILED },
	{ "dead-timeout", required_argument, NULL, OPT_MC_DEAD_TIMEOUT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
bad(char *err, size_t errlen, const char *opt, const char *allowed)
{
	snprintf(err, errlen, "--%s: %s", opt, allowed);
	return -1;
}

static int
parse_dur(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t ms;

	if (duration_parse(s, &ms) != 0 || ms < min || ms > max)
		return -1;
	*out = ms;
	return 0;
}

/* libmemcached keeps these in whole seconds. */
static int
parse_secs(const char *s, uint32_t *out)
{
	uint64_t ms;

	if (parse_dur(s, 0, 3600000, &ms) != 0 || ms % 1000 != 0)
		return -1;
	*out = (uint32_t)(ms / 1000);
	return 0;
}

/* The same words reliabd.conf takes for a boolean. */
static int
parse_yes_no(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < NELEM(yes); i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*out = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

static const char *
opt_name(int c)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

int
lg_options_parse(struct lg_options *o, int argc, char **argv, char *err,
    size_t errlen)
{
	int c, idx;
	uint64_t v;
	double d;

	optind = 0; /* glibc: a full reset, so a second parse starts over */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, &idx)) != -1) {
		const char *name = opt_name(c);
		if (c >= OPT_SERVER && c - OPT_SERVER < 64)
			o->given |= 1ull << (c - OPT_SERVER);
		switch (c) {
		case OPT_SERVER:
			if (o->nservers >= LG_MAX_SERVERS)
				return bad(err, errlen, name,
				    "at most 16 servers");
			if (lg_parse_server(optarg, &o->servers[o->nservers]))
				return bad(err, errlen, name,
				    "NAME=HOST:PORT, NAME of letters, digits, "
				    "'_', '-', '.', port 1..65535");
			for (size_t i = 0; i < o->nservers; i++)
				if (strcmp(o->servers[i].name,
				    o->servers[o->nservers].name) == 0)
					return bad(err, errlen, name,
					    "each NAME at most once");
			o->nservers++;
			break;
		case OPT_METRICS: {
			struct hostport hp;
			char e[128];
			if (strlen(optarg) >= sizeof(o->metrics) ||
			    hostport_parse(optarg, &hp, e, sizeof(e)) != 0)
				return bad(err, errlen, name,
				    "HOST:PORT, port 0..65535");
			strlcpy_r(o->metrics, optarg, sizeof(o->metrics));
			break;
		}
		case OPT_WORKERS:
			if (parse_u64(optarg, 1, LG_MAX_WORKERS, &v))
				return bad(err, errlen, name,
				    "an integer from 1 to 4096");
			o->workers = (unsigned)v;
			break;
		case OPT_THREADS:
			if (parse_u64(optarg, 0, LG_MAX_THREADS, &v))
				return bad(err, errlen, name,
				    "an integer from 0 (automatic) to 256");
			o->threads = (unsigned)v;
			break;
		case OPT_WORKLOAD:
			if (strlen(optarg) >= sizeof(o->workload) ||
			    lg_parse_workload(optarg, o->ratio))
				return bad(err, errlen, name,
				    "mixed, get-heavy, set-heavy, or "
				    "get=N,set=N,delete=N (N 0..1000000, "
				    "not all 0)");
			strlcpy_r(o->workload, optarg, sizeof(o->workload));
			break;
		case OPT_KEYS:
			if (parse_u64(optarg, 1, LG_MAX_KEYS, &o->keys))
				return bad(err, errlen, name,
				    "an integer from 1 to 100000000");
			break;
		case OPT_KEY_PREFIX: {
			size_t n = strlen(optarg);
			bool ok = n >= 1 && n <= LG_PREFIX_MAX;
			for (size_t i = 0; ok && i < n; i++)
				ok = optarg[i] > ' ' && optarg[i] < 127;
			if (!ok)
				return bad(err, errlen, name,
				    "1 to 64 printable characters, no spaces");
			strlcpy_r(o->key_prefix, optarg, sizeof(o->key_prefix));
			break;
		}
		case OPT_VALUE_SIZE:
			if (lg_parse_value_size(optarg, &o->value_min,
			    &o->value_max))
				return bad(err, errlen, name,
				    "N or MIN-MAX bytes, 1..1000000, MIN <= MAX");
			break;
		case OPT_TTL:
			if (parse_dur(optarg, 0, 30ULL * 86400 * 1000, &v) ||
			    v % 1000 != 0)
				return bad(err, errlen, name,
				    "a duration in whole seconds, 0 to 30 days");
			o->ttl_s = (uint32_t)(v / 1000);
			break;
		case OPT_RATE:
			if (parse_double(optarg, 0, 10000000, &d))
				return bad(err, errlen, name,
				    "operations per second, 0 to 10000000 "
				    "(0: closed loop)");
			o->rate = d;
			break;
		case OPT_CONNECTIONS:
			if (parse_u64(optarg, 0, LG_MAX_WORKERS, &v))
				return bad(err, errlen, name,
				    "an integer from 0 (one per worker) to 4096");
			o->connections = (unsigned)v;
			break;
		case OPT_OP_TIMEOUT:
			if (parse_dur(optarg, 1, 60000, &o->op_timeout_ms))
				return bad(err, errlen, name,
				    "a duration from 1ms to 60s");
			break;
		case OPT_POOL_ACQUIRE_TIMEOUT:
			if (parse_dur(optarg, 0, 60000,
			    &o->pool_acquire_timeout_ms))
				return bad(err, errlen, name,
				    "a duration from 0 to 60s");
			break;
		case OPT_PIPELINE:
			if (parse_u64(optarg, 1, LG_MAX_PIPELINE, &v))
				return bad(err, errlen, name,
				    "an integer from 1 to 64");
			o->pipeline = (unsigned)v;
			break;
		case OPT_FALLBACK_TIME:
			if (strcmp(optarg, "auto") == 0) {
				o->fallback_auto = true;
				break;
			}
			if (parse_dur(optarg, 0, 60000, &o->fallback_ms))
				return bad(err, errlen, name,
				    "auto, or a duration from 0 to 60s");
			o->fallback_auto = false;
			break;
		case OPT_BR_CONSECUTIVE:
			if (parse_u64(optarg, 0, 1000000, &v))
				return bad(err, errlen, name,
				    "an integer from 0 (off) to 1000000");
			o->breaker.consecutive_failures = (uint32_t)v;
			break;
		case OPT_BR_RATIO:
			if (parse_double(optarg, 0, 1, &d))
				return bad(err, errlen, name,
				    "a ratio from 0 (off) to 1");
			o->breaker.failure_ratio = d;
			break;
		case OPT_BR_MIN_REQUESTS:
			if (parse_u64(optarg, 0, 1000000, &v))
				return bad(err, errlen, name,
				    "an integer from 0 to 1000000");
			o->breaker.min_requests = (uint32_t)v;
			break;
		case OPT_BR_OPEN_TIMEOUT:
			if (parse_dur(optarg, 1, 3600000,
			    &o->breaker.open_timeout_ms))
				return bad(err, errlen, name,
				    "a duration from 1ms to 1h");
			break;
		case OPT_BR_PROBES:
			if (parse_u64(optarg, 1, 10000, &v))
				return bad(err, errlen, name,
				    "an integer from 1 to 10000");
			o->breaker.half_open_probes = (uint32_t)v;
			break;
		case OPT_BR_INTERVAL:
			if (parse_dur(optarg, 0, 3600000,
			    &o->breaker.interval_ms))
				return bad(err, errlen, name,
				    "a duration from 0 (never) to 1h");
			break;
		case OPT_KIND:
			if (strcmp(optarg, "resilient") == 0)
				o->kind = LG_KIND_RESILIENT;
			else if (strcmp(optarg, "libmemcached") == 0)
				o->kind = LG_KIND_LIBMEMCACHED;
			else
				return bad(err, errlen, name,
				    "resilient or libmemcached");
			break;
		case OPT_MC_FAILURE_LIMIT:
			if (parse_u64(optarg, 1, 1000000, &v))
				return bad(err, errlen, name,
				    "an integer from 1 to 1000000");
			o->libmc.server_failure_limit = (uint32_t)v;
			break;
		case OPT_MC_RETRY_TIMEOUT:
			if (parse_secs(optarg, &o->libmc.retry_timeout_s))
				return bad(err, errlen, name,
				    "whole seconds from 0 to 1h");
			break;
		case OPT_MC_REMOVE_FAILED:
			if (parse_yes_no(optarg,
			    &o->libmc.remove_failed_servers))
				return bad(err, errlen, name, "yes or no");
			break;
		case OPT_MC_DEAD_TIMEOUT:
			if (parse_secs(optarg, &o->libmc.dead_timeout_s))
				return bad(err, errlen, name,
				    "whole seconds from 0 (never) to 1h");
			break;
		case OPT_DURATION:
			if (parse_dur(optarg, 0, DURATION_MAX_MS,
			    &o->duration_ms))
				return bad(err, errlen, name,
				    "a duration from 0 (until stopped) to 30 days");
			break;
		case OPT_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->seed))
				return bad(err, errlen, name,
				    "an unsigned 64-bit integer");
			break;
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg, &o->log_level))
				return bad(err, errlen, name,
				    "error, warn, info or debug");
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_HELP:
			o->help = true;
			break;
		case ':': {
			const char *a = argv[optind - 1];
			snprintf(err, errlen, "%s: needs a value (%s=VALUE)",
			    a, a);
			return -1;
		}
		default: {
			const char *a = argv[optind - 1];
			if (optopt >= OPT_SERVER)
				snprintf(err, errlen, "--%s: takes no value",
				    opt_name(optopt));
			else if (optopt > 0 && optopt < 256)
				snprintf(err, errlen,
				    "-%c: unknown option (see --help)", optopt);
			else
				snprintf(err, errlen,
				    "%.*s: unknown option (see --help)",
				    (int)strcspn(a, "="), a);
			return -1;
		}
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "%s: unexpected argument (options are "
		    "--name=value)", argv[optind]);
		return -1;
	}
	return 0;
}

/* Options one kind has and the other has not: given to the wrong kind,
 * they are refused rather than silently ignored. */
static const int resilient_only[] = {
	OPT_THREADS, OPT_CONNECTIONS, OPT_POOL_ACQUIRE_TIMEOUT, OPT_PIPELINE,
	OPT_BR_CONSECUTIVE, OPT_BR_RATIO, OPT_BR_MIN_REQUESTS,
	OPT_BR_OPEN_TIMEOUT, OPT_BR_PROBES, OPT_BR_INTERVAL,
};
static const int libmc_only[] = {
	OPT_MC_FAILURE_LIMIT, OPT_MC_RETRY_TIMEOUT, OPT_MC_REMOVE_FAILED,
	OPT_MC_DEAD_TIMEOUT,
};

static int
validate_kind(struct lg_options *o, char *err, size_t errlen)
{
	const int *other = o->kind == LG_KIND_LIBMEMCACHED ? resilient_only :
	    libmc_only;
	size_t n = o->kind == LG_KIND_LIBMEMCACHED ? NELEM(resilient_only) :
	    NELEM(libmc_only);
	char msg[128];

	for (size_t i = 0; i < n; i++) {
		if (o->given & 1ull << (other[i] - OPT_SERVER)) {
			snprintf(msg, sizeof(msg), "not an option of "
			    "--kind=%s (see --help)", lg_kind_text(o->kind));
			return bad(err, errlen, opt_name(other[i]), msg);
		}
	}
	if (o->kind == LG_KIND_LIBMEMCACHED &&
	    o->workers > LG_LIBMC_MAX_WORKERS)
		return bad(err, errlen, "workers", "at most 256 with "
		    "--kind=libmemcached (a thread each)");
	return 0;
}

int
lg_options_validate(struct lg_options *o, char *err, size_t errlen)
{
	char last[32];
	int n;

	if (o->help)
		return 0;
	if (validate_kind(o, err, errlen) != 0)
		return -1;
	if (o->nservers == 0)
		return bad(err, errlen, "server",
		    "at least one NAME=HOST:PORT is needed");
	/* The longest key must fit in the smallest value with its header. */
	n = snprintf(last, sizeof(last), "%llu",
	    (unsigned long long)(o->keys - 1));
	size_t keylen = strlen(o->key_prefix) + (size_t)n;
	if (o->value_min < INTEGRITY_MIN_SIZE(keylen)) {
		char msg[128];
		snprintf(msg, sizeof(msg),
		    "at least %zu bytes with this key prefix and key space "
		    "(integrity header and key)", INTEGRITY_MIN_SIZE(keylen));
		return bad(err, errlen, "value-size", msg);
	}
	if (o->connections == 0)
		o->connections = o->workers;
	if (o->threads > o->workers)
		o->threads = o->workers;
	return 0;
}
