/* The engine's insides, in three layers: engine.c sets up and tears
 * down; workers.c runs the workers and their operations; conn.c, below
 * it, each thread's pools and connections (connect, send, read, parse),
 * reaching back to the workers only through the engine's hooks. Every
 * structure here belongs to one thread, which alone touches it. */
#ifndef RELIABD_LOADGEN_ENGINE_INT_H
#define RELIABD_LOADGEN_ENGINE_INT_H

#include <event2/event.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "integrity.h"
#include "mcproto.h"
#include "queue.h"

#define READ_BUF (64 * 1024)
#define IOV_BATCH 48            /* iovecs per sendmsg: 3 per set */
#define FALLBACK_INITIAL_NS 1000000ull  /* before any success */
/* --threads=0 runs a loop per this many workers, at most one per CPU. */
#define LG_WORKERS_PER_LOOP 8

struct lg_thread;
struct tsrv;
struct conn;

enum worker_state {
	W_READY,        /* on the ready list: starts an operation next turn */
	W_FREE,         /* open loop: no arrival to take */
	W_WAIT_CONN,    /* waiting for a pooled connection */
	W_IN_FLIGHT,    /* its request is on a connection */
	W_FALLBACK,     /* after a failure: the application's fallback */
	W_STOPPED,      /* stopping: starts nothing more */
};

struct worker {
	unsigned id;
	struct lg_thread *t;
	enum worker_state state;
	TAILQ_ENTRY(worker) link;   /* ready, free or waiters list */
	struct event *timer;        /* op timeout, pool wait or fallback */
	uint64_t rng;
	uint64_t writer;            /* run nonce << 16 | id */
	uint64_t version;           /* of this worker's last write or delete */
	struct version_table seen;
	char *value;                /* value_max bytes: sent, or read back */

	/* The operation. */
	enum lg_op op;
	uint64_t key_index;
	char key[LG_PREFIX_MAX + 24];
	size_t keylen;
	struct lg_srv *srv;
	struct tsrv *ts;
	struct breaker_ticket ticket;
	uint64_t start_ns;          /* latency origin (scheduled, open loop) */
	uint64_t issue_ns;          /* when it really started */
	uint64_t fb_due;            /* fallback: when it should end */
	uint64_t fb_late;           /* fallback time owed: earlier waits
	                             * ended late (timer, scheduler) */
	struct conn *conn;
	char req[MCP_REQ_MAX];
	size_t reqlen;
	size_t vlen;                /* set: value bytes */
};

enum conn_state {
	CONN_CLOSED,        /* no socket yet */
	CONN_CONNECTING,
	CONN_READY,
};

/* One connection of a thread's pool. Only its thread touches it. */
struct conn {
	struct tsrv *ts;
	enum conn_state state;
	int fd;
	struct event *rev, *wev;
	bool out;       /* taken from the pool */
	bool retire;    /* close once its requests are answered */
	bool dirty;     /* on the thread's list of connections to write */
	TAILQ_ENTRY(conn) dirty_link;
	TAILQ_ENTRY(conn) shared_link;  /* out, with room (pipeline > 1) */
	/* Requests in flight, oldest first: ring[(head + i) % cap]. The
	 * first nsent are fully sent, the next one sent_off bytes of it. */
	struct worker **ring;
	unsigned head, n, nsent;
	size_t sent_off;
	struct mcp_parser parser;
	/* A value longer than the worker's buffer (another client's, with
	 * bigger values) is read here, up to LG_MAX_VALUE. */
	char *big;
	size_t bigcap;
};

/* A thread's share of one server: its pool and who waits for it. */
struct tsrv {
	struct lg_thread *t;
	struct lg_srv *srv;
	struct pool pool;
	bool pool_ok;
	unsigned epoch;             /* srv->flush_epoch seen */
	TAILQ_HEAD(, worker) waiters;
	TAILQ_HEAD(, conn) shared;
};

TAILQ_HEAD(worker_list, worker);

struct lg_thread {
	struct lg_engine *e;
	unsigned index;
	pthread_t tid;
	bool started;
	struct event_base *base;
	struct event *kick, *stop_ev, *tick, *arrival;
	int efd;
	bool kicked, draining;
	const struct timeval *tv_op, *tv_pool;
	struct worker **w;
	size_t nw;
	struct worker_list ready, free;
	TAILQ_HEAD(, conn) dirty;
	struct tsrv *ts;            /* one per server */
	size_t inflight;            /* workers in W_IN_FLIGHT */
	uint64_t ok[LG_NOPS];       /* successes not yet in the counters */
	uint64_t dropped;           /* arrivals, not yet in the counter */
	double fallback_ns;         /* EWMA of successful operations */
	uint64_t next_k;            /* open loop: next arrival of this thread */
	uint64_t backlog_max;       /* open loop: arrivals that may wait */
	char *rbuf;
};

/* What conn.c calls in workers.c. */
struct conn_hooks {
	/* A reply to the worker's request; false: the connection goes. */
	bool (*reply)(struct worker *w, const struct mcp_reply *r,
	    uint64_t end_ns);
	/* The request failed with its connection. */
	void (*fail)(struct worker *w, enum lg_err_kind kind, uint64_t end_ns);
	/* A waiting worker gets a connection. */
	void (*grant)(struct worker *w, struct conn *c);
};

struct lg_engine {
	struct lg_client *c;
	struct conn_hooks hooks;
	const struct lg_options *opt;
	bool open_loop;
	uint64_t t0_ns;             /* open loop: schedule origin */
	double interval_ns;         /* open loop: between two arrivals */
	struct worker *workers;
	struct lg_thread *threads;
	unsigned nthreads;
	_Atomic uint8_t *key_server;  /* key index -> server + 1 */
	const char *prefix;
	size_t prefix_len;
	unsigned weight_sum;
	struct addrinfo *addr[LG_MAX_SERVERS];
};

const char *worker_state_text(enum worker_state s);
const char *conn_state_text(enum conn_state s);

/* workers.c: the hooks, and the loop callbacks engine.c installs. */
bool op_reply(struct worker *w, const struct mcp_reply *r, uint64_t end_ns);
void op_failed(struct worker *w, enum lg_err_kind kind, uint64_t end_ns);
/* Formats the worker's request and queues it on `c`. */
void op_send(struct worker *w, struct conn *c);
void on_kick(evutil_socket_t fd, short what, void *arg);
void on_tick(evutil_socket_t fd, short what, void *arg);
void on_stop(evutil_socket_t fd, short what, void *arg);
void on_arrival(evutil_socket_t fd, short what, void *arg);
void on_worker_timer(evutil_socket_t fd, short what, void *arg);
void *thread_main(void *arg);

/* conn.c */
/* Runs the thread's ready workers and writes soon (this loop turn). */
void kick(struct lg_thread *t);
/* Pool callbacks. */
void *conn_create(void *arg);
void conn_destroy(void *arg, void *conn);
/* A connection for the thread's share of a server: NULL with *wait when
 * the worker must wait for one, without when none can be made. */
struct conn *conn_acquire(struct tsrv *ts, bool *wait);
/* Queues the worker's request on the connection (connecting it first). */
void conn_submit(struct conn *c, struct worker *w);
/* Sends what is pending. */
void conn_flush(struct conn *c);
/* Fails every request in flight on it and closes it. */
void conn_break(struct conn *c, enum lg_err_kind kind, const char *why);

#endif
