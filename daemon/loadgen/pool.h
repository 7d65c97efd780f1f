/* A bounded pool of connections to one server.
 *
 * Idle connections are reused (last in, first out, so the warmest one is
 * taken); new ones are made on demand up to `max`; a caller that finds the
 * pool exhausted waits up to its timeout; a connection handed back as
 * broken is destroyed and its place freed for a fresh one. The pool knows
 * nothing of memcache: it makes and destroys through callbacks. */
#ifndef RELIABD_LOADGEN_POOL_H
#define RELIABD_LOADGEN_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void *(*pool_create_fn)(void *arg);
typedef void (*pool_destroy_fn)(void *arg, void *conn);

enum pool_result {
	POOL_OK,
	POOL_TIMEOUT,     /* all `max` in use for the whole wait */
	POOL_CREATE_FAILED,
};
const char *pool_result_text(enum pool_result r);

struct pool_stats {
	size_t total, active, idle;
	uint64_t created;
	uint64_t acquire_errors;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t max;
	size_t total;        /* active + idle + being created */
	size_t active;
	void **idle;         /* stack of `nidle` */
	size_t nidle;
	uint64_t created;
	uint64_t acquire_errors;
	pool_create_fn create;
	pool_destroy_fn destroy;
	void *arg;
};

int pool_init(struct pool *p, size_t max, pool_create_fn create,
    pool_destroy_fn destroy, void *arg);
/* Destroys the idle connections; every connection must be back. */
void pool_destroy(struct pool *p);

/* Waits at most timeout_ms (0: do not wait). *created tells whether a new
 * connection was made for this call. */
enum pool_result pool_acquire(struct pool *p, uint64_t timeout_ms,
    void **conn, bool *created);
/* For a caller that waits by itself (an event loop): never blocks, and
 * an exhausted pool (POOL_TIMEOUT) is not counted as an error; the caller
 * counts one with pool_acquire_failed() if its own wait times out. */
enum pool_result pool_try_acquire(struct pool *p, void **conn, bool *created);
void pool_acquire_failed(struct pool *p);
void pool_release(struct pool *p, void *conn, bool broken);
/* Destroys one idle connection (its server closed it). Whether it was
 * idle here. */
bool pool_discard_idle(struct pool *p, void *conn);
void pool_stats(struct pool *p, struct pool_stats *st);
/* Destroys every idle connection: after its server failed (a restart, a
 * partition) they are suspect, and a probe must not meet a dead one.
 * Returns how many went. */
size_t pool_flush_idle(struct pool *p);

#endif
