/* The flapping machine (see flap.h). */
#include "flap.h"

const char *
flap_state_text(enum flap_state s)
{
	switch (s) {
	case FLAP_STEADY:
		return "steady";
	case FLAP_ON:
		return "on";
	case FLAP_OFF:
		return "off";
	}
	return "unknown";
}

const char *
flap_action_text(enum flap_action a)
{
	switch (a) {
	case FLAP_NOTHING:
		return "nothing";
	case FLAP_APPLY:
		return "apply";
	case FLAP_REMOVE:
		return "remove";
	}
	return "unknown";
}

void
flap_start(struct flap *f, uint64_t on_ms, uint64_t off_ms, uint64_t now)
{
	f->on_ms = on_ms;
	f->off_ms = off_ms;
	if (on_ms == 0) {
		flap_stop(f);
		return;
	}
	f->state = FLAP_ON;
	f->next = now + on_ms;
}

void
flap_stop(struct flap *f)
{
	f->state = FLAP_STEADY;
	f->next = 0;
}

enum flap_action
flap_due(struct flap *f, uint64_t now, uint64_t end)
{
	if (f->state == FLAP_STEADY || now < f->next || now >= end)
		return FLAP_NOTHING;
	if (f->state == FLAP_ON) {
		f->state = FLAP_OFF;
		f->next = now + f->off_ms;
		return FLAP_REMOVE;
	}
	f->state = FLAP_ON;
	f->next = now + f->on_ms;
	return FLAP_APPLY;
}

int64_t
flap_wait(const struct flap *f, uint64_t now)
{
	if (f->state == FLAP_STEADY)
		return -1;
	return f->next > now ? (int64_t)(f->next - now) : 0;
}
