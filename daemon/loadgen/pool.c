/* Bounded connection pool; see pool.h. */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

const char *
pool_result_text(enum pool_result r)
{
	switch (r) {
	case POOL_OK:
		return "ok";
	case POOL_TIMEOUT:
		return "timeout";
	case POOL_CREATE_FAILED:
		return "create_failed";
	}
	return "unknown";
}

int
pool_init(struct pool *p, size_t max, pool_create_fn create,
    pool_destroy_fn destroy, void *arg)
{
	pthread_condattr_t ca;

	memset(p, 0, sizeof(*p));
	if (max == 0 || create == NULL || destroy == NULL) {
		log_warn("bad arguments");
		return -1;
	}
	p->idle = calloc(max, sizeof(*p->idle));
	if (p->idle == NULL) {
		log_error("no memory");
		return -1;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		log_error("pthread_mutex_init failed");
		free(p->idle);
		return -1;
	}
	/* Waits are timed on the monotonic clock: wall clock jumps do not
	 * stretch or cut an acquire timeout. */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&p->cv, &ca) != 0) {
		log_error("pthread_cond_init failed");
		pthread_mutex_destroy(&p->mu);
		free(p->idle);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	p->max = max;
	p->create = create;
	p->destroy = destroy;
	p->arg = arg;
	return 0;
}

void
pool_destroy(struct pool *p)
{
	if (p->idle == NULL)
		return;
	if (p->active)
		log_warn("%zu connections still out", p->active);
	for (size_t i = 0; i < p->nidle; i++)
		p->destroy(p->arg, p->idle[i]);
	free(p->idle);
	p->idle = NULL;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

static void
deadline_after(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Makes a connection in a place reserved by the caller (p->total
 * already counts it); called and returns with the lock held. */
static enum pool_result
create_reserved(struct pool *p, void **conn, bool *created)
{
	pthread_mutex_unlock(&p->mu);
	void *c = p->create(p->arg);
	pthread_mutex_lock(&p->mu);
	if (c == NULL) {
		p->total--;
		p->acquire_errors++;
		pthread_cond_signal(&p->cv);
		return POOL_CREATE_FAILED;
	}
	p->created++;
	p->active++;
	*conn = c;
	*created = true;
	return POOL_OK;
}

enum pool_result
pool_try_acquire(struct pool *p, void **conn, bool *created)
{
	enum pool_result r = POOL_TIMEOUT;

	*created = false;
	pthread_mutex_lock(&p->mu);
	if (p->nidle > 0) {
		*conn = p->idle[--p->nidle];
		p->active++;
		r = POOL_OK;
	} else if (p->total < p->max) {
		p->total++;
		r = create_reserved(p, conn, created);
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

void
pool_acquire_failed(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->acquire_errors++;
	pthread_mutex_unlock(&p->mu);
}

bool
pool_discard_idle(struct pool *p, void *conn)
{
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nidle && p->idle[i] != conn; i++)
		;
	if (i == p->nidle) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	memmove(&p->idle[i], &p->idle[i + 1],
	    (p->nidle - i - 1) * sizeof(*p->idle));
	p->nidle--;
	p->total--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->destroy(p->arg, conn);
	return true;
}

enum pool_result
pool_acquire(struct pool *p, uint64_t timeout_ms, void **conn, bool *created)
{
	struct timespec deadline;
	bool have_deadline = false;

	*created = false;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->nidle > 0) {
			*conn = p->idle[--p->nidle];
			p->active++;
			pthread_mutex_unlock(&p->mu);
			return POOL_OK;
		}
		if (p->total < p->max)
			break;
		if (timeout_ms == 0)
			goto timeout;
		if (!have_deadline) {
			deadline_after(&deadline, timeout_ms);
			have_deadline = true;
		}
		if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) ==
		    ETIMEDOUT && p->nidle == 0 && p->total >= p->max)
			goto timeout;
	}
	/* Make a new one outside the lock; its place is reserved. */
	p->total++;
	enum pool_result r = create_reserved(p, conn, created);
	pthread_mutex_unlock(&p->mu);
	return r;
timeout:
	p->acquire_errors++;
	pthread_mutex_unlock(&p->mu);
	return POOL_TIMEOUT;
}

void
pool_release(struct pool *p, void *conn, bool broken)
{
	pthread_mutex_lock(&p->mu);
	if (p->active == 0)
		FATAL_BUG("release without acquire");
	p->active--;
	if (broken) {
		p->total--;
		pthread_mutex_unlock(&p->mu);
		p->destroy(p->arg, conn);
		pthread_mutex_lock(&p->mu);
	} else {
		p->idle[p->nidle++] = conn;
	}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

size_t
pool_flush_idle(struct pool *p)
{
	size_t n = 0;

	for (;;) {
		void *conn;

		pthread_mutex_lock(&p->mu);
		if (p->nidle == 0) {
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			return n;
		}
		conn = p->idle[--p->nidle];
		p->total--;
		pthread_mutex_unlock(&p->mu);
		p->destroy(p->arg, conn);
		n++;
	}
}

void
pool_stats(struct pool *p, struct pool_stats *st)
{
	pthread_mutex_lock(&p->mu);
	st->total = p->total;
	st->active = p->active;
	st->idle = p->nidle;
	st->created = p->created;
	st->acquire_errors = p->acquire_errors;
	pthread_mutex_unlock(&p->mu);
}
