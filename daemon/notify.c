/* systemd integration: sd_notify READY/STATUS/WATCHDOG/RELOADING/
 * STOPPING, and the socket-activated control socket. Without systemd
 * every call here is a no-op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	/* Firing at all means the loop is turning. */
	sd_notify(0, "WATCHDOG=1");
}

void
notify_init(struct reliabd *d)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		struct timeval tv = { .tv_sec = (usec / 2) / 1000000,
			.tv_usec = (usec / 2) % 1000000 };

		d->watchdog_ev = event_new(d->base, -1, EV_PERSIST, watchdog_cb,
		    d);
		if (d->watchdog_ev == NULL || event_add(d->watchdog_ev, &tv) < 0)
			log_warn("cannot arm the watchdog timer");
		else
			log_info("watchdog ping every %llu ms",
			    (unsigned long long)(usec / 2000));
	}
}

void
notify_ready(struct reliabd *d)
{
	if (d->ready_sent)
		return;
	d->ready_sent = 1;
	notify_status(d);
	sd_notify(0, "READY=1");
}

/* One line: the run and phase if any, each client's load, the children. */
void
notify_status(struct reliabd *d)
{
	char line[sizeof(d->status_line)], msg[sizeof(line) + 16];
	struct child *c, *lg, *sc;
	unsigned up = 0, all = 0, loaded = 0;
	size_t n = 0;

	line[0] = '\0';
	sc = child_find_kind(d, KIND_SCENARIO);
	if (sc && sc->last_phase && sc->state == CHILD_RUNNING) {
		const char *ph = json_string_value(
		    json_object_get(sc->last_phase, "phase"));
		const char *name = json_string_value(
		    json_object_get(sc->last_phase, "scenario"));

		if (ph && name && strcmp(ph, "idle") != 0) {
			double left = json_number_value(json_object_get(
					  sc->last_phase, "started")) +
			    json_number_value(json_object_get(sc->last_phase,
				"duration_ms")) /
				1000.0 -
			    now_wall();

			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    "%.48s %s %.0fs left; ", name, ph,
			    left > 0 ? left : 0);
		}
	}
	/* Each loadgen's last second; with several, each named (an
	 * external client reports nothing here: it has no channel). */
	TAILQ_FOREACH(lg, &d->children, entry)
		loaded += lg->kind == KIND_LOADGEN && lg->last_stats &&
		    lg->state == CHILD_RUNNING;
	TAILQ_FOREACH(lg, &d->children, entry) {
		if (lg->kind != KIND_LOADGEN || !lg->last_stats ||
		    lg->state != CHILD_RUNNING || n >= sizeof(line))
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    "%s%s%.0f ops/s, %.2f%% errors; ",
		    loaded > 1 ? lg->client : "", loaded > 1 ? " " : "",
		    json_number_value(json_object_get(lg->last_stats,
			"ops_rate")),
		    100.0 * json_number_value(json_object_get(lg->last_stats,
				"error_rate")));
	}
	TAILQ_FOREACH(c, &d->children, entry) {
		all++;
		up += c->state == CHILD_RUNNING;
	}
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, "%u/%u children up", up,
		    all);
	if (strcmp(line, d->status_line) == 0)
		return;
	strlcpy_r(d->status_line, line, sizeof(d->status_line));
	snprintf(msg, sizeof(msg), "STATUS=%s", line);
	sd_notify(0, msg);
}

void
notify_reloading(struct reliabd *d)
{
	char msg[64];

	(void)d;
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(now_mono_ns() / 1000));
	sd_notify(0, msg);
}

void
notify_stopping(struct reliabd *d)
{
	(void)d;
	sd_notify(0, "STOPPING=1");
}

int
notify_activated_fd(void)
{
	int n = sd_listen_fds(1);

	if (n <= 0)
		return -1;
	if (n > 1)
		log_warn("systemd passed %d sockets; using the first", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
		log_warn("the socket systemd passed is not a listening Unix "
			 "stream socket; ignoring it");
		return -1;
	}
	return SD_LISTEN_FDS_START;
}
