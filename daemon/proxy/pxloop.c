/* A proxy's thread and event loop (pxloop.h): one call slot, handed to
 * the loop with event_active (libevent wakes the base's epoll_wait) and
 * waited for on a condition variable. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "pxloop.h"

/* pthread_setname_np's limit, with its NUL. */
#define PXLOOP_NAME_MAX 16

enum pxloop_state {
	PXLOOP_IDLE,    /* not started: calls run inline */
	PXLOOP_RUNNING, /* the thread runs the loop */
	PXLOOP_STOPPED, /* the thread has left the loop: calls run inline */
};

struct pxloop {
	struct event_base *base;
	struct event *wake; /* runs the call in the slot */
	pthread_t tid;
	bool joinable;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;
	enum pxloop_state state; /* pxloop_set_state() alone writes it */
	bool busy;               /* a caller owns the slot */
	bool done;               /* the slot's call has returned */
	void (*fn)(void *);
	void *arg;
};

static const char *
pxloop_state_text(enum pxloop_state st)
{
	switch (st) {
	case PXLOOP_IDLE:
		return "idle";
	case PXLOOP_RUNNING:
		return "running";
	case PXLOOP_STOPPED:
		return "stopped";
	}
	return "unknown";
}

/* With lp->mu held. */
static void
pxloop_set_state(struct pxloop *lp, enum pxloop_state st)
{
	log_debug("proxy loop %s -> %s", pxloop_state_text(lp->state),
	    pxloop_state_text(st));
	lp->state = st;
	pthread_cond_broadcast(&lp->cv);
}

/* The loop's thread: the call in the slot. */
static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pxloop *lp = arg;
	void (*fn)(void *);
	void *fa;

	pthread_mutex_lock(&lp->mu);
	fn = lp->done ? NULL : lp->fn;
	fa = lp->arg;
	pthread_mutex_unlock(&lp->mu);
	if (fn == NULL)
		return;
	fn(fa);
	pthread_mutex_lock(&lp->mu);
	lp->done = true;
	pthread_cond_broadcast(&lp->cv);
	pthread_mutex_unlock(&lp->mu);
}

static void *
pxloop_main(void *arg)
{
	struct pxloop *lp = arg;

	if (event_base_loop(lp->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		log_error("a proxy's event loop failed");
	pthread_mutex_lock(&lp->mu);
	pxloop_set_state(lp, PXLOOP_STOPPED);
	pthread_mutex_unlock(&lp->mu);
	return NULL;
}

struct pxloop *
pxloop_new(void)
{
	struct pxloop *lp = calloc(1, sizeof(*lp));

	if (lp == NULL) {
		log_error("no memory for a proxy's loop");
		return NULL;
	}
	if (pthread_mutex_init(&lp->mu, NULL) != 0) {
		log_error("pthread_mutex_init failed");
		free(lp);
		return NULL;
	}
	if (pthread_cond_init(&lp->cv, NULL) != 0) {
		log_error("pthread_cond_init failed");
		pthread_mutex_destroy(&lp->mu);
		free(lp);
		return NULL;
	}
	lp->state = PXLOOP_IDLE; /* the first; pxloop_set_state from here */
	lp->base = event_base_new();
	if (lp->base != NULL)
		lp->wake = event_new(lp->base, -1, 0, wake_cb, lp);
	if (lp->wake == NULL) {
		log_error("cannot create a proxy's event loop");
		pxloop_free(lp);
		return NULL;
	}
	return lp;
}

struct event_base *
pxloop_base(const struct pxloop *lp)
{
	return lp->base;
}

int
pxloop_start(struct pxloop *lp, const char *name)
{
	char tname[PXLOOP_NAME_MAX];
	sigset_t all, old;
	int rc;

	/* Signals go to the main thread's loop (lib/worker.c), not here:
	 * the thread starts with them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&lp->mu);
	rc = pthread_create(&lp->tid, NULL, pxloop_main, lp);
	if (rc == 0) {
		lp->joinable = true;
		pxloop_set_state(lp, PXLOOP_RUNNING);
	}
	pthread_mutex_unlock(&lp->mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("cannot start the thread of proxy %s: %s", name,
		    strerror(rc));
		return -1;
	}
	snprintf(tname, sizeof(tname), "px:%s", name);
	(void)pthread_setname_np(lp->tid, tname);
	return 0;
}

void
pxloop_call(struct pxloop *lp, void (*fn)(void *), void *arg)
{
	bool inline_call;

	pthread_mutex_lock(&lp->mu);
	inline_call = lp->state != PXLOOP_RUNNING ||
	    pthread_equal(pthread_self(), lp->tid);
	if (inline_call) {
		pthread_mutex_unlock(&lp->mu);
		fn(arg);
		return;
	}
	while (lp->busy)
		pthread_cond_wait(&lp->cv, &lp->mu);
	lp->busy = true;
	lp->done = false;
	lp->fn = fn;
	lp->arg = arg;
	pthread_mutex_unlock(&lp->mu);
	event_active(lp->wake, EV_READ, 0);
	pthread_mutex_lock(&lp->mu);
	while (!lp->done && lp->state == PXLOOP_RUNNING)
		pthread_cond_wait(&lp->cv, &lp->mu);
	/* The loop failed before the call ran: the thread is gone, so it
	 * runs here. */
	inline_call = !lp->done;
	lp->done = true;
	pthread_mutex_unlock(&lp->mu);
	if (inline_call)
		fn(arg);
	pthread_mutex_lock(&lp->mu);
	lp->busy = false;
	lp->fn = NULL;
	lp->arg = NULL;
	pthread_cond_broadcast(&lp->cv);
	pthread_mutex_unlock(&lp->mu);
}

/* On the loop's thread: leave the loop after this callback. */
static void
break_cb(void *arg)
{
	struct pxloop *lp = arg;

	event_base_loopbreak(lp->base);
}

void
pxloop_stop(struct pxloop *lp)
{
	if (!lp->joinable)
		return;
	pxloop_call(lp, break_cb, lp);
	pthread_join(lp->tid, NULL);
	lp->joinable = false;
}

void
pxloop_free(struct pxloop *lp)
{
	if (lp == NULL)
		return;
	pxloop_stop(lp);
	if (lp->wake)
		event_free(lp->wake);
	if (lp->base)
		event_base_free(lp->base);
	pthread_cond_destroy(&lp->cv);
	pthread_mutex_destroy(&lp->mu);
	free(lp);
}
