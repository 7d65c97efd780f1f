/* The daemon's own state: its enum's text and the one place it changes
 * (the supervisor and a reload both move it). */
#include "log.h"
#include "reliabd.h"

const char *
daemon_state_text(enum daemon_state st)
{
	switch (st) {
	case DAEMON_STARTING:
		return "starting";
	case DAEMON_RUNNING:
		return "running";
	case DAEMON_RELOADING:
		return "reloading";
	case DAEMON_STOPPING:
		return "stopping";
	}
	return "unknown";
}

void
daemon_set_state(struct reliabd *d, enum daemon_state st)
{
	if (d->state == st)
		return;
	log_debug("%s -> %s", daemon_state_text(d->state),
	    daemon_state_text(st));
	d->state = st;
}
