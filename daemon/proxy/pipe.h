/* One direction of one proxied connection: the chain of toxic stages its
 * bytes go through. Each stage holds chunks until they are due; the last
 * hands them to the output. No I/O and no clock of its own (the caller
 * passes `now` in ns), so it is unit-tested with a fake clock.
 *
 * Changing the chain acts at once on what is in flight: a removed or
 * updated stage passes what it held on to the next stage (as Toxiproxy's
 * interrupted toxics do), so removing a toxic returns the flow to normal
 * immediately. */
#ifndef RELIABD_PROXY_PIPE_H
#define RELIABD_PROXY_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h" /* lib/ */
#include "toxic.h"

#define PIPE_NEVER UINT64_MAX
/* The loss model's retransmission timeout: starts at 200 ms, doubles on
 * each consecutive loss of the same chunk, capped at 60 s (Linux's
 * TCP_RTO_MIN and a bit under TCP_RTO_MAX). */
#define LOSS_RTO_START_NS (200ULL * 1000000)
#define LOSS_RTO_MAX_NS (60ULL * 1000000000)
/* Bookkeeping per held chunk, counted in pipe.queued so that the caller's
 * backpressure bounds memory even for 1-byte slices. */
#define PIPE_CHUNK_OVERHEAD 48

enum chunk_kind {
	CHUNK_DATA,
	CHUNK_EOF,   /* the source half-closed */
	CHUNK_CLOSE, /* limit_data: close the connection once this is out */
};
const char *chunk_kind_text(enum chunk_kind kind);

struct chunk;

struct chunkq {
	struct chunk *head;
	struct chunk **tail;
};

struct stage {
	const struct toxic_spec *tx; /* owned by the proxy */
	bool active;                 /* toxicity drawn for this connection */
	struct chunkq q;
	uint64_t last_due;
	uint64_t deadline; /* timeout / reset_peer; PIPE_NEVER if none */
	uint64_t bw_next;  /* bandwidth: when the link is free again */
	uint64_t passed;   /* limit_data: bytes let through */
	bool triggered;    /* reset_peer: data seen */
	bool done;         /* limit_data: limit reached */
};

enum pipe_action {
	PIPE_ACT_NONE,
	PIPE_ACT_CLOSE, /* timeout: close the connection now */
	PIPE_ACT_RESET, /* reset_peer: reset the connection now */
};
const char *pipe_action_text(enum pipe_action a);

struct pipe_ops {
	/* Bytes out of the last stage. 0, or -1 on failure (no memory). */
	int (*data)(void *ctx, const void *buf, size_t len);
	void (*eof)(void *ctx);
	void (*close)(void *ctx);
};

struct pipe {
	struct stage *st;
	size_t n, cap;
	size_t queued; /* bytes (plus overhead) held in stages */
	uint64_t *rng;
	const struct pipe_ops *ops;
	void *ctx;
	enum pipe_action action;
	bool failed; /* an allocation or output failed: close */
};

void pipe_init(struct pipe *p, uint64_t *rng, const struct pipe_ops *ops,
    void *ctx);
void pipe_free(struct pipe *p);

/* True when there is no stage and nothing held: bytes may bypass. */
bool pipe_idle(const struct pipe *p);

/* Input. 0, or -1 on no memory. Call pipe_run afterwards. */
int pipe_push(struct pipe *p, const void *buf, size_t len, uint64_t now);
int pipe_push_eof(struct pipe *p, uint64_t now);

/* Chain changes; `tx` identifies the stage. 0 or -1 (no memory). */
int pipe_add(struct pipe *p, const struct toxic_spec *tx, uint64_t now);
void pipe_update(struct pipe *p, const struct toxic_spec *tx, uint64_t now);
void pipe_remove(struct pipe *p, const struct toxic_spec *tx, uint64_t now);

/* Moves everything due at `now` along; returns when next to run
 * (PIPE_NEVER if nothing is pending). Sets p->action when a toxic ends
 * the connection. */
uint64_t pipe_run(struct pipe *p, uint64_t now);

#endif
