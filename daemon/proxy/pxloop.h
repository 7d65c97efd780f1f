/* A proxy's own thread and event loop, and running a function on that
 * loop from another thread. Each proxy has one, so one proxy's work
 * (a burst of connections, a delayed write) never waits behind
 * another's. libevent must use pthreads (evthread_use_pthreads) before
 * pxloop_new. */
#ifndef RELIABD_PROXY_PXLOOP_H
#define RELIABD_PROXY_PXLOOP_H

struct event_base;
struct pxloop;

/* A loop not yet running: its base may be set up from this thread until
 * pxloop_start. NULL (logged) on failure. */
struct pxloop *pxloop_new(void);
struct event_base *pxloop_base(const struct pxloop *lp);
/* Starts the loop's thread, named after `name` (/proc/PID/task/N/comm).
 * 0, or -1 (logged). */
int pxloop_start(struct pxloop *lp, const char *name);
/* Runs fn(arg) on the loop's thread and returns once it has returned:
 * the caller's writes before and fn's writes are seen by both sides.
 * Inline when the loop is not running or this is its thread. Callers
 * wait for each other; the loop's thread never waits for any of them. */
void pxloop_call(struct pxloop *lp, void (*fn)(void *), void *arg);
/* Stops the thread (after its current callback) and joins it; from then
 * on the caller owns everything on the base. */
void pxloop_stop(struct pxloop *lp);
/* Stops it if running, then frees the base: its events must be freed
 * before. */
void pxloop_free(struct pxloop *lp);

#endif
