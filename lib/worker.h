/* The worker runtime: what every worker (reliabd-loadgen, -proxy,
 * -scenario) does the same way, so each worker's main() is its options
 * and its own job.
 *
 * It owns the libevent base, the signals (SIGTERM/SIGINT stop, SIGHUP an
 * optional hook, SIGPIPE ignored), the channel to reliabd (lib/channel.h:
 * JSON lines cut by proto/frame.h and decoded by proto/proto.h), the
 * /metrics server (lib/httpd.h) and the "ready" announcement.
 *
 * A worker's main():
 *
 *	static const struct worker_cmd cmds[] = {
 *		{ "status", cmd_status },
 *		{ NULL, NULL },
 *	};
 *	struct worker_hooks h = { .on_stop = stop, .arg = x };
 *	parse options;
 *	w = worker_init(PROG, &h, 0);
 *	set up the job: timers and fds on worker_base(w);
 *	worker_set_commands(w, cmds, job);
 *	worker_serve_metrics(w, addr, reg, NULL, err, sizeof err);
 *	rc = worker_run(w);
 *	worker_free(w);
 *
 * The loop ends on SIGTERM/SIGINT, when reliabd closes the channel, or on
 * worker_exit(); on_stop is called first in the first two cases, from the
 * loop. Everything here runs on the loop's thread, except
 * worker_request() and channel_event(), which any thread may call. */
#ifndef RELIABD_WORKER_H
#define RELIABD_WORKER_H

#include <jansson.h>
#include <stddef.h>

struct event_base;
struct metrics_registry;
struct proto_msg;
struct proto_request;
struct worker;

/* One request reliabd may send: returns the reply, a new reference from
 * proto_reply_ok() or proto_reply_error() carrying req->id. NULL is taken
 * as out of memory (the runtime replies "internal"). */
typedef json_t *(*worker_cmd_fn)(const struct proto_request *req, void *arg);

struct worker_cmd {
	const char *name;
	worker_cmd_fn fn;
};

struct worker_hooks {
	/* A signal or reliabd's going away: `reason` is a sentence. */
	void (*on_stop)(const char *reason, void *arg);
	/* SIGHUP; NULL: logged and ignored. */
	void (*on_hup)(void *arg);
	/* After each request is answered (re-arm a timer the request
	 * moved); may be NULL. */
	void (*after_request)(void *arg);
	/* reliabd's reply to one of our worker_request()s; NULL: logged. */
	void (*on_reply)(const struct proto_msg *msg, void *arg);
	void *arg;
};

enum worker_flags {
	WORKER_NO_CHANNEL = 1, /* do not take reliabd's channel (one-shot
				* modes such as --cleanup) */
	WORKER_THREADS = 2,    /* other threads use the base
				* (evthread_use_pthreads) */
};

/* Ignores SIGPIPE, takes the channel (unless WORKER_NO_CHANNEL), creates
 * the base and watches the signals. `hooks` is copied. NULL on error
 * (logged). */
struct worker *worker_init(const char *prog, const struct worker_hooks *hooks,
    int flags);
struct event_base *worker_base(struct worker *w);
/* The requests this worker answers: a table ending with { NULL, NULL },
 * each handler called with `arg`. Until then (or with NULL) every request
 * is answered "unknown-command". */
void worker_set_commands(struct worker *w, const struct worker_cmd *cmds,
    void *arg);
/* Whether reliabd is at the other end (not run by hand). */
int worker_has_channel(const struct worker *w);

/* Serves `reg` on `addr` ("host:port", port 0 picks one), then announces
 * {"event":"ready","metrics":"HOST:PORT"} plus the fields of `extra`
 * (may be NULL; stolen). 0, or -1 with err. */
int worker_serve_metrics(struct worker *w, const char *addr,
    struct metrics_registry *reg, json_t *extra, char *err, size_t errlen);
/* "HOST:PORT" actually served, once serving; "" before. */
const char *worker_metrics_addr(const struct worker *w);

/* Sends {"id":N,"cmd":cmd,"args":args} to reliabd (args stolen, NULL is
 * {}); its reply goes to on_reply. Returns N, or -1 (no channel, or the
 * send failed). */
long long worker_request(struct worker *w, const char *cmd, json_t *args);

/* Runs the loop until a stop; returns the exit code (0, or what
 * worker_exit() gave). */
int worker_run(struct worker *w);
/* Ends the loop after the current callback, with exit code rc. */
void worker_exit(struct worker *w, int rc);
/* Stops the metrics server, closes the channel, frees the base. */
void worker_free(struct worker *w);

#endif
