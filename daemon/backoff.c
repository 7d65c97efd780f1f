/* Restart back-off for supervised children. */
#include "backoff.h"

const char *
backoff_verdict_text(enum backoff_verdict v)
{
	switch (v) {
	case BACKOFF_RESTART:
		return "restart";
	case BACKOFF_FATAL:
		return "fatal";
	}
	return "unknown";
}

void
backoff_default(struct backoff_policy *p)
{
	p->base_ms = 500;
	p->max_ms = 30000;
	p->stable_ms = 10000;
	p->max_failures = 5;
}

enum backoff_verdict
backoff_next(const struct backoff_policy *p, uint64_t ran_ms,
    unsigned *failures, uint64_t *delay_ms)
{
	uint64_t d;

	/* A child that stayed up is healthy again: start the count over. */
	if (ran_ms >= p->stable_ms)
		*failures = 0;
	(*failures)++;
	if (*failures > p->max_failures) {
		*delay_ms = 0;
		return BACKOFF_FATAL;
	}
	d = p->base_ms;
	for (unsigned i = 1; i < *failures && d < p->max_ms; i++)
		d *= 2;
	*delay_ms = d < p->max_ms ? d : p->max_ms;
	return BACKOFF_RESTART;
}
