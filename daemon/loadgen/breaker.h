/* A circuit breaker per server, with gobreaker's and resilience4j's knobs.
 *
 * closed: calls pass; counts are kept over a window reset every
 *   `interval_ms` (0: never). It trips to open after `consecutive_failures`
 *   failures in a row (0: off), or once `min_requests` calls were seen in
 *   the window and failures/requests >= `failure_ratio` (0: off).
 * open: calls fail fast; after `open_timeout_ms` it goes half-open.
 * half_open: at most `half_open_probes` calls pass; when that many
 *   succeed it closes; one failure opens it again.
 *
 * The clock is injected so tests drive it by hand. Thread-safe (one mutex);
 * the transition callback runs under it and must not call back in. */
#ifndef RELIABD_LOADGEN_BREAKER_H
#define RELIABD_LOADGEN_BREAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum breaker_state {
	BREAKER_CLOSED = 0,
	BREAKER_HALF_OPEN = 1,
	BREAKER_OPEN = 2,
};
#define BREAKER_NSTATES 3
/* "closed", "half_open", "open": the spelling of the metric labels. */
const char *breaker_state_text(enum breaker_state s);

struct breaker_settings {
	uint32_t consecutive_failures;
	double failure_ratio;
	uint32_t min_requests;
	uint64_t open_timeout_ms;
	uint32_t half_open_probes;  /* >= 1 */
	uint64_t interval_ms;
};

typedef uint64_t (*breaker_clock_fn)(void *arg); /* monotonic ms */
typedef void (*breaker_transition_fn)(void *arg, enum breaker_state from,
    enum breaker_state to);

struct breaker_counts {
	uint64_t requests;
	uint64_t successes;
	uint64_t failures;
	uint64_t consecutive_successes;
	uint64_t consecutive_failures;
};

struct breaker {
	pthread_mutex_t mu;
	struct breaker_settings set;
	breaker_clock_fn clock;
	void *clock_arg;
	breaker_transition_fn on_transition;
	void *transition_arg;

	enum breaker_state state;
	uint64_t generation;  /* bumped on every state change and window reset */
	uint64_t expiry_ms;   /* closed: window end (0: none); open: timeout */
	struct breaker_counts counts;
};

/* A permission: hand it back to breaker_done() or breaker_cancel(). */
struct breaker_ticket {
	uint64_t generation;
};

int breaker_init(struct breaker *b, const struct breaker_settings *set,
    breaker_clock_fn clock, void *clock_arg);
void breaker_set_callback(struct breaker *b, breaker_transition_fn fn,
    void *arg);
void breaker_destroy(struct breaker *b);

/* true and a ticket when the call may go ahead; false to fail fast. */
bool breaker_allow(struct breaker *b, struct breaker_ticket *t);
/* The outcome of an allowed call. A miss is a success. */
void breaker_done(struct breaker *b, const struct breaker_ticket *t,
    bool success);
/* The outcomes of n allowed calls under one lock (a multi-get's keys). */
void breaker_done_many(struct breaker *b, const struct breaker_ticket *t,
    const bool *success, size_t n);
/* An allowed call that never reached the server (no pooled connection):
 * it gives its place back and counts neither way. */
void breaker_cancel(struct breaker *b, const struct breaker_ticket *t);

/* The state now (applying a due open->half_open or window reset). */
enum breaker_state breaker_state(struct breaker *b,
    struct breaker_counts *counts);

#endif
