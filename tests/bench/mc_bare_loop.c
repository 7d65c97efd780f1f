/* The benchmark's reference: a bare libmemcached loop, nothing else (no
 * breaker, pool, integrity or metrics), 90 % get / 10 % set, to the same
 * servers on a ketama ring (libmemcached's own).
 *
 *   mc_bare_loop MODE THREADS CONNECTIONS SECONDS VALUE_SIZE KEYS HOST:PORT...
 *
 * MODE sync: a thread per connection, each call blocking (the classic
 * client). MODE pipelined: THREADS threads share CONNECTIONS connections
 * the way reliabd-loadgen drives them (a get only sends; its reply is read
 * when the thread comes round to that connection again). Prints "ops=N seconds=S ops_per_sec=R". */
#include <libmemcached/memcached.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_bool stop;
static int pipelined, batched;
static unsigned nkeys;
static size_t value_size;
static char server_list[4096];

struct thr {
	pthread_t tid;
	unsigned nconn;
	unsigned long long ops;
	unsigned long long errors;
};

/* xorshift64. The op and the key take separate draws: with one draw for
 * both, `s % 10 == 0` (a set) would pick only keys that are multiples of
 * ten, and every get would miss. */
static unsigned long long
next(unsigned long long *seed)
{
	unsigned long long s = *seed;

	s ^= s << 13, s ^= s >> 7, s ^= s << 17;
	return *seed = s;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static memcached_st *
conn_new(void)
{
	memcached_st *mc = memcached_create(NULL);
	memcached_server_st *list;

	if (mc == NULL)
		return NULL;
	list = memcached_servers_parse(server_list);
	if (list == NULL || memcached_server_push(mc, list) != MEMCACHED_SUCCESS) {
		memcached_free(mc);
		return NULL;
	}
	memcached_server_list_free(list);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
	    MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
	return mc;
}

/* Rounds of t->nconn operations: the sets one by one, then every get of
 * the round in one memcached_mget (one multi-get per server). */
static void
run_batched(struct thr *t, memcached_st *mc, const char *value,
    unsigned long long *seed)
{
	char keybuf[256][32];
	const char *keys[256];
	size_t lens[256];

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned n = 0;
		memcached_return_t rc;
		memcached_result_st *r;

		for (unsigned i = 0; i < t->nconn && i < 256; i++) {
			size_t klen = (size_t)snprintf(keybuf[n], 32,
			    "bare:%llu", next(seed) % nkeys);
			if (next(seed) % 10 == 0) {
				rc = memcached_set(mc, keybuf[n], klen, value,
				    value_size, 0, 0);
				t->ops++;
				if (rc != MEMCACHED_SUCCESS)
					t->errors++;
				continue;
			}
			keys[n] = keybuf[n];
			lens[n] = klen;
			n++;
		}
		if (n == 0)
			continue;
		rc = memcached_mget(mc, keys, lens, n);
		if (rc != MEMCACHED_SUCCESS) {
			t->errors += n;
			t->ops += n;
			continue;
		}
		while ((r = memcached_fetch_result(mc, NULL, &rc)))
			memcached_result_free(r);
		t->ops += n;
		if (rc != MEMCACHED_END && rc != MEMCACHED_NOTFOUND &&
		    rc != MEMCACHED_SUCCESS)
			t->errors++;
	}
}

static void *
run(void *arg)
{
	struct thr *t = arg;
	memcached_st **mc = calloc(t->nconn, sizeof(*mc));
	int *pending = calloc(t->nconn, sizeof(*pending));
	char *value = malloc(value_size);
	unsigned long long seed = (unsigned long long)(uintptr_t)t ^ 88172645463325252ull;

	if (!mc || !pending || !value) {
		fprintf(stderr, "no memory\n");
		exit(1);
	}
	memset(value, 'x', value_size);
	for (unsigned i = 0; i < t->nconn; i++)
		if ((mc[i] = conn_new()) == NULL) {
			fprintf(stderr, "memcached_create failed\n");
			exit(1);
		}
	if (batched) {
		run_batched(t, mc[0], value, &seed);
		goto out;
	}
	/* Round robin over the connections: read the oldest reply, send that
	 * connection's next request; t->nconn requests stay in flight. */
	for (unsigned i = 0;; i = (i + 1) % t->nconn) {
		char key[32];
		size_t klen;
		memcached_return_t rc;

		if (pending[i]) {
			memcached_result_st *r;
			while ((r = memcached_fetch_result(mc[i], NULL, &rc)))
				memcached_result_free(r);
			pending[i] = 0;
			t->ops++;
			if (rc != MEMCACHED_END && rc != MEMCACHED_NOTFOUND &&
			    rc != MEMCACHED_SUCCESS)
				t->errors++;
		}
		if (atomic_load_explicit(&stop, memory_order_relaxed)) {
			unsigned busy = 0;
			for (unsigned j = 0; j < t->nconn; j++)
				busy += (unsigned)pending[j];
			if (busy == 0)
				break;
			continue;
		}
		klen = (size_t)snprintf(key, sizeof(key), "bare:%llu",
		    next(&seed) % nkeys);
		if (next(&seed) % 10 == 0) {
			rc = memcached_set(mc[i], key, klen, value, value_size,
			    0, 0);
			t->ops++;
			if (rc != MEMCACHED_SUCCESS)
				t->errors++;
			continue;
		}
		if (pipelined) {
			const char *keys[1] = { key };
			size_t lens[1] = { klen };
			rc = memcached_mget(mc[i], keys, lens, 1);
			if (rc == MEMCACHED_SUCCESS)
				pending[i] = 1;
			else
				t->errors++, t->ops++;
			continue;
		}
		size_t vlen;
		uint32_t flags;
		char *v = memcached_get(mc[i], key, klen, &vlen, &flags, &rc);
		free(v);
		t->ops++;
		if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND)
			t->errors++;
	}
out:
	for (unsigned i = 0; i < t->nconn; i++)
		memcached_free(mc[i]);
	free(mc);
	free(pending);
	free(value);
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned nthreads, nconn;
	double secs, t0, t1;
	unsigned long long ops = 0, errors = 0;
	struct thr *t;

	if (argc < 8) {
		fprintf(stderr, "usage: %s sync|pipelined THREADS CONNECTIONS "
		    "SECONDS VALUE_SIZE KEYS HOST:PORT...\n", argv[0]);
		return 2;
	}
	pipelined = strcmp(argv[1], "pipelined") == 0;
	batched = strcmp(argv[1], "batched") == 0;
	pipelined |= batched;
	nthreads = (unsigned)atoi(argv[2]);
	nconn = (unsigned)atoi(argv[3]);
	secs = atof(argv[4]);
	value_size = (size_t)atol(argv[5]);
	nkeys = (unsigned)atoi(argv[6]);
	if (!pipelined)
		nthreads = nconn;
	if (nthreads < 1 || nconn < nthreads || secs <= 0 || value_size < 1 ||
	    nkeys < 1) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	for (int i = 7; i < argc; i++) {
		if (i > 7)
			strncat(server_list, ",", sizeof(server_list) - strlen(server_list) - 1);
		strncat(server_list, argv[i], sizeof(server_list) - strlen(server_list) - 1);
	}
	t = calloc(nthreads, sizeof(*t));
	if (t == NULL)
		return 1;
	t0 = now_s();
	for (unsigned i = 0; i < nthreads; i++) {
		t[i].nconn = nconn / nthreads + (i < nconn % nthreads);
		if (pthread_create(&t[i].tid, NULL, run, &t[i]) != 0)
			return 1;
	}
	struct timespec ts = { (time_t)secs,
		(long)((secs - (double)(time_t)secs) * 1e9) };
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(t[i].tid, NULL);
		ops += t[i].ops;
		errors += t[i].errors;
	}
	t1 = now_s();
	printf("ops=%llu errors=%llu seconds=%.3f ops_per_sec=%.0f\n", ops,
	    errors, t1 - t0, (double)ops / (t1 - t0));
	free(t);
	return errors ? 1 : 0;
}
