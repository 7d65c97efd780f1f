/* reliabd, the supervisor: shared state and the interfaces between its
 * files. One libevent loop owns everything here; nothing is touched from
 * another thread except the metrics (atomics). */
#ifndef RELIABD_RELIABD_H
#define RELIABD_RELIABD_H

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <jansson.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "backoff.h"
#include "config.h"
#include "frame.h"
#include "proto.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
	for ((var) = TAILQ_FIRST(head);                                        \
	     (var) && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

struct metrics_registry;
struct metrics_server;
struct metric;

/* ---- children (child.c) ------------------------------------------- */

enum child_kind {
	CHILD_NODE,
	CHILD_PROXY,
	CHILD_LOADGEN,
	CHILD_SCENARIO,
};
const char *child_kind_text(enum child_kind kind);

enum child_state {
	CHILD_STOPPED,  /* not running, not to be started */
	CHILD_STARTING, /* spawned; a worker has not said "ready" yet */
	CHILD_RUNNING,
	CHILD_BACKOFF,  /* died; restart timer pending */
	CHILD_STOPPING, /* SIGTERM sent; SIGKILL after the grace period */
	CHILD_HELD,     /* killed on request; restarts when the timer fires */
	CHILD_FATAL,    /* died too often too quickly; left down */
};
const char *child_state_text(enum child_state st);

struct pending;

struct child {
	TAILQ_ENTRY(child) entry;
	struct reliabd *d;
	char name[CONFIG_NAME_MAX];
	enum child_kind kind;
	char **argv;                 /* argv[0] is the program's path */
	char metrics_addr[CONFIG_NAME_MAX]; /* configured; "" for nodes */
	char metrics_live[CONFIG_NAME_MAX]; /* as the worker reported it */

	enum child_state state;
	int want_up;                 /* what the operator wants */
	pid_t pid;
	uint64_t started_ms;         /* monotonic */
	double started_wall;
	unsigned restarts;
	unsigned failures;
	int removed;                 /* dropped by a reload; freed once down */           /* quick deaths in a row */
	int exited;                  /* last_status is meaningful */
	int last_status;             /* as from waitpid */
	uint64_t hold_ms;            /* for CHILD_HELD */

	struct event *timer;         /* back-off, hold, or kill deadline */
	struct bufferevent *chan;    /* JSON lines both ways (workers) */
	struct frame chan_frame;
	struct bufferevent *out;     /* the child's stdout+stderr */
	struct frame out_frame;

	json_t *last_stats;          /* loadgen "stats" event */
	json_t *last_phase;          /* scenario "phase" event */
	json_int_t next_req_id;
	TAILQ_HEAD(, pending) pending;

	struct metric *m_up, *m_restarts, *m_last_exit;
};
TAILQ_HEAD(child_list, child);

struct child *child_new(struct reliabd *d, const char *name,
    enum child_kind kind, char **argv, const char *metrics_addr);
void child_free(struct child *c);
int child_start(struct child *c);
/* SIGTERM now, SIGKILL after the grace period; not restarted. */
void child_stop(struct child *c);
/* Stops it if running, then starts it again. */
void child_restart(struct child *c);
/* SIGKILL now; started again after hold_ms. */
void child_kill_hold(struct child *c, uint64_t hold_ms);
void child_reaped(struct child *c, int status);
struct child *child_find(struct reliabd *d, const char *name);
struct child *child_find_kind(struct reliabd *d, enum child_kind kind);
struct child *child_find_pid(struct reliabd *d, pid_t pid);
json_t *child_status_json(const struct child *c);
/* Sends a JSON line on the child's channel; -1 if it has none. */
int child_send(struct child *c, const json_t *msg);
/* The same for a line already encoded (with its newline). */
int child_write(struct child *c, const char *line, size_t len);

/* ---- spawning (spawn.c) ------------------------------------------- */

/* fork+exec with the channel as fd 3 (workers) and stdout/stderr on a
 * pipe; the child dies with reliabd. Returns the pid or -1. */
pid_t spawn_child(char *const argv[], int want_channel, int *chan_fd,
    int *out_fd);

/* ---- the set of children from the config (workers.c) -------------- */

int workers_build(struct reliabd *d, const struct config *cfg,
    struct child_list *out, char *err, size_t errlen);
/* Removes leftover faults before anything starts (runs the scenario
 * worker with --cleanup and waits a bounded time). */
void workers_cleanup_faults(const struct config *cfg);

/* ---- control socket (control.c) ----------------------------------- */

struct ctl_conn;

int control_listen(struct reliabd *d, const char *path, int activated_fd,
    char *err, size_t errlen);
void control_close(struct reliabd *d);
int control_send(struct ctl_conn *conn, const json_t *msg);
int control_write(struct ctl_conn *conn, const char *line, size_t len);
void control_set_watch(struct ctl_conn *conn);
/* Sends an event to every watching client. */
void control_broadcast(struct reliabd *d, const json_t *event);
unsigned control_nconns(const struct reliabd *d);

/* ---- commands (cmd.c and cmd-*.c) --------------------------------- */

/* Where a request came from, and where its reply goes. */
struct cmd_ctx {
	struct reliabd *d;
	struct ctl_conn *conn;    /* a control client, or NULL */
	struct child *from;       /* a worker's channel, or NULL */
	json_int_t id;
};

/* A command returns its reply, or NULL when the reply will come later
 * (forwarded to a worker). */
typedef json_t *(*cmd_fn)(struct cmd_ctx *ctx, json_t *args);

struct cmd_entry {
	const char *name;
	cmd_fn fn;
	const char *const *args; /* accepted argument names */
	const char *help;
};
extern const struct cmd_entry cmd_table[];
extern const size_t cmd_table_len;

void cmd_dispatch(struct cmd_ctx *ctx, struct proto_request *req);
void cmd_reply(struct cmd_ctx *ctx, json_t *reply);
/* Forwards to a worker's channel; the reply goes back to ctx when it
 * comes, or "timeout" after timeout_ms. */
json_t *cmd_forward(struct cmd_ctx *ctx, enum child_kind kind,
    const char *cmd, json_t *args, uint64_t timeout_ms);
void cmd_forward_reply(struct child *c, struct proto_msg *msg);
void cmd_forward_drop_conn(struct reliabd *d, struct ctl_conn *conn);
void cmd_forward_fail_all(struct child *c, const char *why);
/* A child is going away: requests it made get no reply. */
void cmd_forward_drop_child(struct reliabd *d, struct child *gone);

json_t *cmd_hello(struct cmd_ctx *, json_t *);
json_t *cmd_status(struct cmd_ctx *, json_t *);
json_t *cmd_load(struct cmd_ctx *, json_t *);
json_t *cmd_node_restart(struct cmd_ctx *, json_t *);
json_t *cmd_reload(struct cmd_ctx *, json_t *);
json_t *cmd_watch(struct cmd_ctx *, json_t *);
json_t *cmd_list(struct cmd_ctx *, json_t *);
json_t *cmd_start_scenario(struct cmd_ctx *, json_t *);
json_t *cmd_stop(struct cmd_ctx *, json_t *);
json_t *cmd_runs(struct cmd_ctx *, json_t *);
json_t *cmd_show(struct cmd_ctx *, json_t *);

/* ---- events from workers (events.c) ------------------------------- */

void events_from_child(struct child *c, json_t *msg);
/* An event of reliabd's own (child state changes...), to watchers. */
void events_emit(struct reliabd *d, const char *name, json_t *fields);

/* ---- the run journal (journal.c) ---------------------------------- */

/* The last `n` runs, oldest first (a JSON array), or NULL. */
json_t *journal_last(const char *state_dir, size_t n, char *err,
    size_t errlen);
/* The run with this id (or unique id prefix), or NULL. */
json_t *journal_find(const char *state_dir, const char *id, char *err,
    size_t errlen);

/* ---- reliabd's own metrics and the file_sd targets (dmetrics.c) ---- */

int dmetrics_start(struct reliabd *d, char *err, size_t errlen);
void dmetrics_stop(struct reliabd *d);
void dmetrics_child(struct reliabd *d, struct child *c);
int filesd_write(struct reliabd *d);

/* ---- systemd (notify.c) ------------------------------------------- */

void notify_init(struct reliabd *d);
void notify_ready(struct reliabd *d);
void notify_status(struct reliabd *d);
void notify_reloading(struct reliabd *d);
void notify_stopping(struct reliabd *d);
/* The control socket systemd passed us, or -1. */
int notify_activated_fd(void);

/* ---- the daemon --------------------------------------------------- */

enum daemon_state {
	DAEMON_STARTING,
	DAEMON_RUNNING,
	DAEMON_RELOADING,
	DAEMON_STOPPING,
};
const char *daemon_state_text(enum daemon_state st);

struct reliabd {
	struct event_base *base;
	struct config cfg;
	char config_path[CONFIG_VALUE_MAX];
	enum daemon_state state;
	double started_wall;
	uint64_t started_ms;
	struct backoff_policy backoff;

	struct child_list children;

	/* control socket */
	int ctl_fd;
	int ctl_activated;
	struct event *ctl_ev;
	void *conns;             /* control.c's list */
	unsigned nconns;

	/* metrics */
	struct metrics_registry *reg;
	struct metrics_server *msrv;
	char metrics_live[CONFIG_NAME_MAX];
	struct metric *m_conns, *m_requests_ok, *m_requests_err;

	/* systemd */
	int ready_sent;
	struct event *watchdog_ev;
	char status_line[256];

	struct event *sig_ev[5];
	int playlist_stopped;        /* the operator stopped the playlist */
};

void daemon_check_ready(struct reliabd *d);
int daemon_reload(struct reliabd *d, char *err, size_t errlen);
void daemon_child_changed(struct reliabd *d, struct child *c);

#endif
