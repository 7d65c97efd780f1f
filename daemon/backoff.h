/* When to restart a worker that died: exponential back-off, and a verdict
 * of fatal after too many quick deaths in a row. Pure, for unit tests. */
#ifndef RELIABD_BACKOFF_H
#define RELIABD_BACKOFF_H

#include <stdint.h>

struct backoff_policy {
	uint64_t base_ms;      /* first delay */
	uint64_t max_ms;       /* delays never exceed this */
	uint64_t stable_ms;    /* a run this long resets the count */
	unsigned max_failures; /* quick deaths in a row before fatal */
};

enum backoff_verdict {
	BACKOFF_RESTART,
	BACKOFF_FATAL,
};
const char *backoff_verdict_text(enum backoff_verdict v);

void backoff_default(struct backoff_policy *p);

/* A child that ran for `ran_ms` died; `*failures` counts the quick deaths
 * in a row so far and is updated. Returns the verdict, with the delay
 * before the restart in *delay_ms. */
enum backoff_verdict backoff_next(const struct backoff_policy *p,
    uint64_t ran_ms, unsigned *failures, uint64_t *delay_ms);

#endif
