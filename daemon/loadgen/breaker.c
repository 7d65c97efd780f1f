/* Circuit breaker state machine; see breaker.h for the rules. */
#include "breaker.h"

#include <string.h>

#include "log.h"

const char *
breaker_state_text(enum breaker_state s)
{
	switch (s) {
	case BREAKER_CLOSED:
		return "closed";
	case BREAKER_HALF_OPEN:
		return "half_open";
	case BREAKER_OPEN:
		return "open";
	}
	return "unknown";
}

int
breaker_init(struct breaker *b, const struct breaker_settings *set,
    breaker_clock_fn clock, void *clock_arg)
{
	memset(b, 0, sizeof(*b));
	if (set->half_open_probes == 0 || set->failure_ratio < 0 ||
	    set->failure_ratio > 1 || clock == NULL) {
		log_warn("bad settings");
		return -1;
	}
	if (pthread_mutex_init(&b->mu, NULL) != 0) {
		log_error("pthread_mutex_init failed");
		return -1;
	}
	b->set = *set;
	b->clock = clock;
	b->clock_arg = clock_arg;
	b->state = BREAKER_CLOSED;
	b->expiry_ms = set->interval_ms ? clock(clock_arg) + set->interval_ms : 0;
	return 0;
}

void
breaker_set_callback(struct breaker *b, breaker_transition_fn fn, void *arg)
{
	pthread_mutex_lock(&b->mu);
	b->on_transition = fn;
	b->transition_arg = arg;
	pthread_mutex_unlock(&b->mu);
}

void
breaker_destroy(struct breaker *b)
{
	pthread_mutex_destroy(&b->mu);
}

/* A new generation: counts start over; results of older calls are dropped. */
static void
new_generation(struct breaker *b, uint64_t now)
{
	b->generation++;
	memset(&b->counts, 0, sizeof(b->counts));
	switch (b->state) {
	case BREAKER_CLOSED:
		b->expiry_ms = b->set.interval_ms ? now + b->set.interval_ms : 0;
		break;
	case BREAKER_OPEN:
		b->expiry_ms = now + b->set.open_timeout_ms;
		break;
	case BREAKER_HALF_OPEN:
		b->expiry_ms = 0;
		break;
	}
}

static void
set_state(struct breaker *b, enum breaker_state to, uint64_t now)
{
	enum breaker_state from = b->state;

	if (from == to)
		return;
	b->state = to;
	new_generation(b, now);
	if (b->on_transition)
		b->on_transition(b->transition_arg, from, to);
}

/* Time-driven changes: the end of a closed window, the end of open. */
static void
tick(struct breaker *b, uint64_t now)
{
	if (b->state == BREAKER_CLOSED && b->expiry_ms && now >= b->expiry_ms)
		new_generation(b, now);
	else if (b->state == BREAKER_OPEN && now >= b->expiry_ms)
		set_state(b, BREAKER_HALF_OPEN, now);
}

static bool
should_trip(const struct breaker *b)
{
	const struct breaker_counts *c = &b->counts;

	if (b->set.consecutive_failures &&
	    c->consecutive_failures >= b->set.consecutive_failures)
		return true;
	if (b->set.failure_ratio > 0 && c->requests > 0 &&
	    c->requests >= b->set.min_requests &&
	    (double)c->failures / (double)c->requests >= b->set.failure_ratio)
		return true;
	return false;
}

bool
breaker_allow(struct breaker *b, struct breaker_ticket *t)
{
	uint64_t now = b->clock(b->clock_arg);
	bool ok = true;

	pthread_mutex_lock(&b->mu);
	tick(b, now);
	if (b->state == BREAKER_OPEN)
		ok = false;
	else if (b->state == BREAKER_HALF_OPEN &&
	    b->counts.requests >= b->set.half_open_probes)
		ok = false;
	if (ok) {
		b->counts.requests++;
		t->generation = b->generation;
	}
	pthread_mutex_unlock(&b->mu);
	return ok;
}

static void
done_locked(struct breaker *b, const struct breaker_ticket *t, bool success,
    uint64_t now)
{
	if (t->generation != b->generation)
		return;
	if (success) {
		b->counts.successes++;
		b->counts.consecutive_successes++;
		b->counts.consecutive_failures = 0;
		if (b->state == BREAKER_HALF_OPEN &&
		    b->counts.consecutive_successes >= b->set.half_open_probes)
			set_state(b, BREAKER_CLOSED, now);
	} else {
		b->counts.failures++;
		b->counts.consecutive_failures++;
		b->counts.consecutive_successes = 0;
		if (b->state == BREAKER_HALF_OPEN)
			set_state(b, BREAKER_OPEN, now);
		else if (b->state == BREAKER_CLOSED && should_trip(b))
			set_state(b, BREAKER_OPEN, now);
	}
}

void
breaker_done(struct breaker *b, const struct breaker_ticket *t, bool success)
{
	uint64_t now = b->clock(b->clock_arg);

	pthread_mutex_lock(&b->mu);
	tick(b, now);
	done_locked(b, t, success, now);
	pthread_mutex_unlock(&b->mu);
}

void
breaker_done_many(struct breaker *b, const struct breaker_ticket *t,
    const bool *success, size_t n)
{
	uint64_t now = b->clock(b->clock_arg);

	pthread_mutex_lock(&b->mu);
	tick(b, now);
	for (size_t i = 0; i < n; i++)
		done_locked(b, &t[i], success[i], now);
	pthread_mutex_unlock(&b->mu);
}

void
breaker_cancel(struct breaker *b, const struct breaker_ticket *t)
{
	pthread_mutex_lock(&b->mu);
	if (t->generation == b->generation && b->counts.requests > 0)
		b->counts.requests--;
	pthread_mutex_unlock(&b->mu);
}

enum breaker_state
breaker_state(struct breaker *b, struct breaker_counts *counts)
{
	uint64_t now = b->clock(b->clock_arg);
	enum breaker_state s;

	pthread_mutex_lock(&b->mu);
	tick(b, now);
	s = b->state;
	if (counts)
		*counts = b->counts;
	pthread_mutex_unlock(&b->mu);
	return s;
}
