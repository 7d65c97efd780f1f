/* Flapping: a scenario's `pattern` {"on","off"} turns its faults on and
 * off during testing. A small machine of its own, driven by the run's
 * ticks; it says what to do, the run does it. Pure: times are given. */
#ifndef RELIABD_SCENARIO_FLAP_H
#define RELIABD_SCENARIO_FLAP_H

#include <stdint.h>

enum flap_state {
	FLAP_STEADY,  /* no pattern, or not testing: nothing toggles */
	FLAP_ON,      /* faults applied; off at `next` */
	FLAP_OFF,     /* faults removed; on at `next` */
};
const char *flap_state_text(enum flap_state s);

enum flap_action {
	FLAP_NOTHING,
	FLAP_APPLY,
	FLAP_REMOVE,
};
const char *flap_action_text(enum flap_action a);

struct flap {
	enum flap_state state;
	uint64_t on_ms, off_ms;
	uint64_t next;            /* monotonic ms of the next toggle */
};

/* Testing began at `now` with the faults applied: ON when there is a
 * pattern (on_ms > 0), else STEADY. */
void flap_start(struct flap *f, uint64_t on_ms, uint64_t off_ms,
    uint64_t now);
/* Testing is over: STEADY. */
void flap_stop(struct flap *f);
/* The toggle due at `now` (none at or after `end`, when testing ends),
 * with the state moved on. */
enum flap_action flap_due(struct flap *f, uint64_t now, uint64_t end);
/* Ms until the next toggle, or -1 when STEADY. */
int64_t flap_wait(const struct flap *f, uint64_t now);

#endif
