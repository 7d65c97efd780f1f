/* reliabd, the supervisor: shared state and the interfaces between its
 * files. One libevent loop owns everything here; nothing is touched from
 * another thread except the metrics (atomics).
 *
 * The files call one another downwards only (tests/integration/
 * layout_lint.sh checks it): main, supervisor, route, events, control,
 * cmd, cmd-*, job, reload, forward, workers, notify, dmetrics, child,
 * pending, reply, then spawn, backoff, daemon and journal. A lower file
 * that must reach a higher one is handed a function pointer
 * (child_hooks, pending_hook, conn_write, conn_watch, broadcast). */
#ifndef RELIABD_RELIABD_H
#define RELIABD_RELIABD_H

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <jansson.h>
#include <sys/types.h>

#include "backoff.h"
#include "config.h"
#include "frame.h"
#include "proto.h"
#include "queue.h"

struct metrics_registry;
struct metrics_server;
struct metric;
struct ctl_conn;
struct reliabd;

/* ---- the daemon's own state (daemon.c) ---------------------------- */

enum daemon_state {
	DAEMON_STARTING,
	DAEMON_RUNNING,
	DAEMON_RELOADING,
	DAEMON_STOPPING,
};
const char *daemon_state_text(enum daemon_state st);
/* The one place d->state changes. */
void daemon_set_state(struct reliabd *d, enum daemon_state st);

/* ---- children (child.c) ------------------------------------------- */

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
	enum kind kind;              /* KIND_NODE, _PROXY, _LOADGEN, _SCENARIO */
	char **argv;                 /* argv[0] is the program's path */
	char metrics_addr[SCRAPE_URL_MAX]; /* configured; "" for nodes */
	char metrics_live[SCRAPE_URL_MAX]; /* as the worker reported it */
	char client[CONFIG_NAME_MAX]; /* a loadgen's client name, else "" */
	/* An external client (kind = external): its program has no channel
	 * and is up once it runs, as a node; a scraped one (url) has no
	 * process at all, and is up while configured. */
	int external;
	int scraped;

	enum child_state state;      /* child_set_state() alone writes it */
	int want_up;                 /* what the operator wants */
	pid_t pid;
	uint64_t started_ms;         /* monotonic */
	double started_wall;
	unsigned restarts;
	unsigned failures;           /* quick deaths in a row */
	int removed;                 /* dropped by a reload; freed once down */
	int exited;                  /* last_status is meaningful */
	int last_status;             /* as from waitpid */
	uint64_t hold_ms;            /* for CHILD_HELD */
	uint64_t restart_in_ms;      /* for CHILD_BACKOFF */

	struct event *timer;         /* back-off, hold, or kill deadline */
	struct bufferevent *chan;    /* JSON lines both ways (workers) */
	struct frame chan_frame;
	struct bufferevent *out;     /* the child's stdout+stderr */
	struct frame out_frame;

	json_t *last_stats;          /* loadgen "stats" event */
	json_t *last_phase;          /* scenario "phase" event */
	json_int_t next_req_id;
	TAILQ_HEAD(, pending) pending; /* pending.c's */

	struct metric *m_up, *m_restarts, *m_last_exit;
};
TAILQ_HEAD(child_list, child);

/* Told every state change, with the old and the new state; old == new
 * when only a figure changed (a held node's kill counted as a restart). */
typedef void (*child_changed_fn)(struct child *c, enum child_state old,
    enum child_state new);
/* Given each line a worker writes on its channel. */
typedef void (*child_line_fn)(struct child *c, const char *line, size_t len);
/* The one observer of every child, and the one reader of their channels
 * (the supervisor's); either may be NULL. */
void child_hooks(child_changed_fn changed, child_line_fn line);

struct child *child_new(struct reliabd *d, const char *name, enum kind kind,
    char **argv, const char *metrics_addr);
void child_free(struct child *c);
int child_start(struct child *c);
/* SIGTERM now, SIGKILL after the grace period; not restarted. */
void child_stop(struct child *c);
/* Stops it if running, then starts it again. */
void child_restart(struct child *c);
/* SIGKILL now; started again after hold_ms. */
void child_kill_hold(struct child *c, uint64_t hold_ms);
/* The worker said "ready" (serving metrics on addr, which may be NULL). */
void child_ready(struct child *c, const char *addr);
void child_reaped(struct child *c, int status);
struct child *child_find(struct reliabd *d, const char *name);
struct child *child_find_kind(struct reliabd *d, enum kind kind);
struct child *child_find_pid(struct reliabd *d, pid_t pid);
/* The loadgen of client `name` ("default" for [loadgen]), not one a
 * reload dropped; NULL when there is none. */
struct child *child_find_client(struct reliabd *d, const char *name);
json_t *child_status_json(const struct child *c);
/* "exit 3", "signal 9 (Killed)": a waitpid status for people. */
void child_exit_text(int status, char *buf, size_t len);

/* ---- spawning (spawn.c) ------------------------------------------- */

/* fork+exec with the channel as fd 3 (workers) and stdout/stderr on a
 * pipe; the child dies with reliabd. Returns the pid or -1. */
pid_t spawn_child(char *const argv[], int want_channel, int *chan_fd,
    int *out_fd);
typedef pid_t (*spawn_fn)(char *const argv[], int want_channel,
    int *chan_fd, int *out_fd);

/* ---- the set of children from the config (workers.c) -------------- */

int workers_build(struct reliabd *d, const struct config *cfg,
    struct child_list *out, char *err, size_t errlen);
/* Removes leftover faults before anything starts (runs the scenario
 * worker with --cleanup and waits a bounded time). */
void workers_cleanup_faults(const struct config *cfg);

/* ---- reload: the new config against the running children (reload.c) */

int daemon_reload(struct reliabd *d, char *err, size_t errlen);
/* Frees the children a reload dropped once they are down. */
void reload_sweep(struct reliabd *d);

/* ---- control socket (control.c) ----------------------------------- */

int control_listen(struct reliabd *d, const char *path, int activated_fd,
    char *err, size_t errlen);
void control_close(struct reliabd *d);
int control_send(struct ctl_conn *conn, const json_t *msg);
int control_write(struct ctl_conn *conn, const char *line, size_t len);
void control_set_watch(struct ctl_conn *conn);
/* Sends an event to every watching client. */
void control_broadcast(struct reliabd *d, const json_t *event);
unsigned control_nconns(const struct reliabd *d);

/* ---- commands (cmd.c lists the cmd-*.c) --------------------------------- */

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

/* Each cmd-NAME.c exports one cmd_NAME_entry; cmd.c lists them. */
struct cmd_entry {
	const char *name;
	cmd_fn fn;
	const char *const *args; /* accepted argument names */
	const char *help;
};
extern const struct cmd_entry *const cmd_table[];
extern const size_t cmd_table_len;

extern const struct cmd_entry cmd_hello_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_start_scenario_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_runs_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_reload_entry;
extern const struct cmd_entry cmd_load_entry;
extern const struct cmd_entry cmd_node_restart_entry;
extern const struct cmd_entry cmd_watch_entry;

void cmd_dispatch(struct cmd_ctx *ctx, struct proto_request *req);

/* ---- commands a worker answers (forward.c) ------------------------ */

/* Forwards to a worker's channel; the reply goes back to ctx when it
 * comes, or "timeout" after timeout_ms. NULL, or an error reply now. */
json_t *cmd_forward(struct cmd_ctx *ctx, enum kind kind, const char *cmd,
    json_t *args, uint64_t timeout_ms);
/* start-scenario with args (not taken), plus where each client's
 * /metrics is now: every start goes through here (the command, a job
 * sent again, the playlist). */
json_t *cmd_forward_start(struct cmd_ctx *ctx, const json_t *args);
/* A control client went away: replies meant for it are dropped. */
void cmd_forward_drop_conn(struct reliabd *d, struct ctl_conn *conn);
/* Tells the scenario worker where every client's /metrics is now (a
 * loadgen came up: a port-0 one's real port). */
void cmd_forward_clients(struct reliabd *d);

/* ---- requests forwarded to a worker, awaiting its reply (pending.c) */

/* Sends cmd to c and remembers where the reply goes; 0 or -1. */
int pending_add(struct child *c, const struct cmd_ctx *ctx, const char *cmd,
    const json_t *args, uint64_t timeout_ms);
/* A worker's reply: passed on to whoever asked. */
void pending_reply(struct child *c, const struct proto_msg *msg);
/* Every request c has not answered gets an "unavailable" error. */
void pending_fail_all(struct child *c, const char *why);
void pending_forget_conn(struct reliabd *d, struct ctl_conn *conn);
/* A child is going away: requests it made get no reply. */
void pending_forget_child(struct reliabd *d, struct child *gone);
/* Told how each forwarded request ended: the worker's reply, or NULL
 * when none came (timeout, the worker gone). The supervisor's. */
typedef void (*pending_done_fn)(struct child *c, const char *cmd,
    const json_t *args, const struct proto_msg *reply);
void pending_hook(pending_done_fn done);

/* ---- lines out: replies, and messages to a worker (reply.c) ------- */

/* Sends a reply (and frees it) to whoever asked; never drops it
 * silently: one too long to send becomes an error reply. */
void reply_send(struct cmd_ctx *ctx, json_t *reply);
/* A line already encoded (with its newline) down c's channel; -1 if it
 * has none. */
int chan_write(struct child *c, const char *line, size_t len);
int chan_send(struct child *c, const json_t *msg);

/* ---- a worker's channel lines (route.c) --------------------------- */

/* Events to events.c, replies to pending.c, requests to cmd.c. */
void route_line(struct child *c, const char *line, size_t len);

/* ---- events from workers (events.c) ------------------------------- */

void events_from_child(struct child *c, json_t *msg);
/* An event of reliabd's own (child state changes...), to watchers. */
void events_emit(struct reliabd *d, const char *name, json_t *fields);

/* ---- the scenario job reliabd forwarded (job.c) -------------------- */

enum job_state {
	JOB_NONE,     /* no job, or it ended */
	JOB_RUNNING,  /* the worker took it */
	JOB_RESUMING, /* its worker died; sent again once it is ready */
	JOB_RESENT,   /* sent again; the worker has not answered yet */
	JOB_LOST,     /* cannot go on: why says why */
};
const char *job_state_text(enum job_state st);

/* The run in flight, as the scenario worker's events told it. */
struct job_run {
	int active;
	char id[64];
	char scenario[128];
	json_int_t loop;
	double started;
	double phase_start[3]; /* 0: not reached */
	json_int_t phase_ms[3];
	json_t *faults;        /* the faults its events named */
};

struct scenario_job {
	enum job_state state;  /* job_set_state() alone writes it */
	json_t *args;          /* what is left of it, as a request's args */
	char batch[64];        /* the worker's id of the job */
	unsigned runs, bad;    /* finished in it, not successful */
	char last_batch[64];   /* the latest run's job and place in it */
	unsigned last_seq;
	json_int_t last_loop;
	char why[192];
	struct job_run run;
};

/* A scenario event (phase, fault, run, done) seen on the channel. */
void job_event(struct reliabd *d, const char *name, const json_t *msg);
/* The pending_hook: a start-scenario the worker took or refused. */
void job_forwarded(struct child *c, const char *cmd, const json_t *args,
    const struct proto_msg *reply);
/* The scenario worker died: its run is journaled as aborted, watchers
 * told, and the rest of the job kept to send again. */
void job_worker_died(struct reliabd *d, struct child *c);
/* The scenario worker is ready: 1 if the job was sent again. */
int job_worker_ready(struct reliabd *d);
/* `stop`: a job waiting to be sent again is dropped (a running one ends
 * with the worker's `done`). */
void job_stop(struct reliabd *d);
/* The job for `status`, or NULL when there is none. */
json_t *job_status_json(const struct reliabd *d);
void job_free(struct reliabd *d);

/* ---- the run journal (journal.c) ---------------------------------- */

/* The last `n` runs, oldest first (a JSON array), or NULL; *skipped
 * counts the damaged lines and NUL runs passed over to find them. */
json_t *journal_last(const char *state_dir, size_t n, size_t *skipped,
    char *err, size_t errlen);
/* The run with this id (or unique id prefix) in the journal or its
 * rotated file, or NULL. */
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

/* ---- the supervisor: reactions to children, signals (supervisor.c) */

/* Hooks the supervisor into child.c and cmd.c, and watches signals. */
int supervisor_init(struct reliabd *d);
void supervisor_fini(struct reliabd *d);
/* Starts every configured child. */
void supervisor_start(struct reliabd *d);

/* ---- the daemon --------------------------------------------------- */

struct reliabd {
	struct event_base *base;
	struct config cfg;
	char config_path[CONFIG_VALUE_MAX];
	enum daemon_state state;     /* daemon_set_state() alone writes it */
	double started_wall;
	uint64_t started_ms;
	struct backoff_policy backoff;
	spawn_fn spawn;              /* spawn_child; a test's fake */

	struct child_list children;

	/* control socket */
	int ctl_fd;
	int ctl_activated;
	struct event *ctl_ev;
	void *conns;             /* control.c's list */
	unsigned nconns;
	/* control.c's, set by supervisor_init: the files below control.c
	 * answer a client without calling up into it. */
	int (*conn_write)(struct ctl_conn *conn, const char *line, size_t len);
	void (*conn_watch)(struct ctl_conn *conn);
	/* control_broadcast, for job.c (below control.c). */
	void (*broadcast)(struct reliabd *d, const json_t *event);

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
	struct event *sweep_ev;
	int playlist_stopped;        /* the operator stopped the playlist */
	struct scenario_job job;     /* job.c's */
};

#endif
