/* The toxic chain of one direction of one connection. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipe.h"

struct chunk {
	struct chunk *next;
	enum chunk_kind kind;
	uint64_t due;
	size_t len;
	unsigned char data[];
};

#define MS_NS 1000000ULL

const char *
chunk_kind_text(enum chunk_kind kind)
{
	switch (kind) {
	case CHUNK_DATA:
		return "data";
	case CHUNK_EOF:
		return "eof";
	case CHUNK_CLOSE:
		return "close";
	}
	return "unknown";
}

const char *
pipe_action_text(enum pipe_action a)
{
	switch (a) {
	case PIPE_ACT_NONE:
		return "none";
	case PIPE_ACT_CLOSE:
		return "close";
	case PIPE_ACT_RESET:
		return "reset";
	}
	return "unknown";
}

static struct chunk *
chunk_new(enum chunk_kind kind, const void *buf, size_t len)
{
	struct chunk *c = malloc(sizeof(*c) + len);

	if (c == NULL) {
		log_error("no memory for a %zu-byte chunk", len);
		return NULL;
	}
	c->next = NULL;
	c->kind = kind;
	c->due = 0;
	c->len = len;
	if (len)
		memcpy(c->data, buf, len);
	return c;
}

static size_t
chunk_cost(const struct chunk *c)
{
	return c->len + PIPE_CHUNK_OVERHEAD;
}

static void
q_init(struct chunkq *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
q_put(struct chunkq *q, struct chunk *c)
{
	c->next = NULL;
	*q->tail = c;
	q->tail = &c->next;
}

static struct chunk *
q_take(struct chunkq *q)
{
	struct chunk *c = q->head;

	if (c != NULL) {
		q->head = c->next;
		if (q->head == NULL)
			q->tail = &q->head;
		c->next = NULL;
	}
	return c;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > PIPE_NEVER - b ? PIPE_NEVER : a + b;
}

void
pipe_init(struct pipe *p, uint64_t *rng, const struct pipe_ops *ops,
    void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->rng = rng;
	p->ops = ops;
	p->ctx = ctx;
}

void
pipe_free(struct pipe *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct chunk *c;

		while ((c = q_take(&p->st[i].q)) != NULL)
			free(c);
	}
	free(p->st);
	p->st = NULL;
	p->n = p->cap = 0;
	p->queued = 0;
}

bool
pipe_idle(const struct pipe *p)
{
	return p->n == 0 && p->queued == 0;
}

static void
stage_hold(struct pipe *p, struct stage *s, struct chunk *c, uint64_t due)
{
	c->due = max_u64(due, s->last_due);
	s->last_due = c->due;
	p->queued += chunk_cost(c);
	q_put(&s->q, c);
}

/* Splits c's data into pieces held at the dues `next_due` gives. */
static void
stage_split(struct pipe *p, struct stage *s, struct chunk *c, size_t (*size)(
    struct pipe *, struct stage *), uint64_t (*next_due)(struct pipe *,
    struct stage *, size_t, uint64_t), uint64_t now)
{
	size_t off = 0;

	while (off < c->len) {
		size_t n = size(p, s);
		struct chunk *piece;

		if (n > c->len - off)
			n = c->len - off;
		if (off == 0 && n == c->len) {
			stage_hold(p, s, c, next_due(p, s, n, now));
			return;
		}
		piece = chunk_new(CHUNK_DATA, c->data + off, n);
		if (piece == NULL) {
			p->failed = true;
			break;
		}
		stage_hold(p, s, piece, next_due(p, s, n, now));
		off += n;
	}
	free(c);
}

static size_t
bw_size(struct pipe *p, struct stage *s)
{
	/* Toxiproxy sends a low rate in 100 ms slices. */
	int64_t n = s->tx->a.rate * 100;

	return n > 0 ? (size_t)n : 1;
}

static uint64_t
bw_due(struct pipe *p, struct stage *s, size_t n, uint64_t now)
{
	/* rate KB/s = bytes per ms. */
	s->bw_next = max_u64(s->bw_next, now) +
	    (uint64_t)n * MS_NS / (uint64_t)s->tx->a.rate;
	return s->bw_next;
}

static size_t
slice_size(struct pipe *p, struct stage *s)
{
	int64_t avg = s->tx->a.average_size, var = s->tx->a.size_variation;
	int64_t n;

	if (var >= avg)
		var = avg > 0 ? avg - 1 : 0;
	n = avg;
	if (var > 0)
		n += (int64_t)(rng_next(p->rng) % (uint64_t)(2 * var + 1)) - var;
	return n > 0 ? (size_t)n : 1;
}

static uint64_t
slice_due(struct pipe *p, struct stage *s, size_t n, uint64_t now)
{
	/* The first slice goes at once, each next one `delay` us later. */
	if (s->q.head == NULL && s->last_due <= now)
		return now;
	return add_sat(s->last_due, (uint64_t)s->tx->a.delay * 1000);
}

static uint64_t
loss_delay(struct pipe *p, double rate)
{
	uint64_t delay = 0, rto = LOSS_RTO_START_NS;

	if (rate >= 1.0)
		return PIPE_NEVER;
	/* Each lost try waits a timeout twice the last; 64 tries at any
	 * rate < 1 is past any real chance. */
	for (int i = 0; i < 64 && rng_double(p->rng) < rate; i++) {
		delay = add_sat(delay, rto);
		rto = rto * 2 > LOSS_RTO_MAX_NS ? LOSS_RTO_MAX_NS : rto * 2;
	}
	return delay;
}

/* Chunk c arrives at stage i (i == p->n: the output). */
static void
enter(struct pipe *p, size_t i, struct chunk *c, uint64_t now)
{
	struct stage *s;
	const struct toxic_attrs *a;

	if (i >= p->n) {
		switch (c->kind) {
		case CHUNK_DATA:
			if (p->ops->data(p->ctx, c->data, c->len) < 0)
				p->failed = true;
			break;
		case CHUNK_EOF:
			p->ops->eof(p->ctx);
			break;
		case CHUNK_CLOSE:
			p->ops->close(p->ctx);
			break;
		}
		free(c);
		return;
	}
	s = &p->st[i];
	a = &s->tx->a;
	if (!s->active) {
		stage_hold(p, s, c, now);
		return;
	}
	switch (s->tx->type) {
	case TOXIC_LATENCY:
		if (c->kind == CHUNK_DATA) {
			int64_t d = a->latency;

			if (a->jitter > 0)
				d += (int64_t)(rng_next(p->rng) %
				    (uint64_t)(2 * a->jitter + 1)) - a->jitter;
			stage_hold(p, s, c, now + (uint64_t)(d > 0 ? d : 0) * MS_NS);
		} else
			stage_hold(p, s, c, now);
		return;
	case TOXIC_BANDWIDTH:
		if (c->kind == CHUNK_DATA && a->rate > 0)
			stage_split(p, s, c, bw_size, bw_due, now);
		else
			stage_hold(p, s, c, now);
		return;
	case TOXIC_SLOW_CLOSE:
		stage_hold(p, s, c, c->kind == CHUNK_DATA ? now
		    : add_sat(now, (uint64_t)a->delay * MS_NS));
		return;
	case TOXIC_TIMEOUT:
		/* Data is dropped until the connection is closed. */
		if (c->kind == CHUNK_DATA)
			free(c);
		else
			stage_hold(p, s, c, now);
		return;
	case TOXIC_RESET_PEER:
		/* The first data (or close) starts the countdown to a reset;
		 * nothing passes meanwhile. */
		if (!s->triggered) {
			s->triggered = true;
			s->deadline = add_sat(now, (uint64_t)a->timeout * MS_NS);
		}
		free(c);
		return;
	case TOXIC_SLICER:
		if (c->kind == CHUNK_DATA)
			stage_split(p, s, c, slice_size, slice_due, now);
		else
			stage_hold(p, s, c, now);
		return;
	case TOXIC_LIMIT_DATA:
		if (s->done) {
			free(c);
			return;
		}
		if (c->kind == CHUNK_DATA) {
			uint64_t room = (uint64_t)a->bytes - s->passed;

			if ((uint64_t)a->bytes < s->passed)
				room = 0;
			if (c->len > room)
				c->len = (size_t)room; /* truncate in place */
			s->passed += c->len;
			if (c->len > 0)
				stage_hold(p, s, c, now);
			else
				free(c);
			if (s->passed >= (uint64_t)a->bytes) {
				struct chunk *cl = chunk_new(CHUNK_CLOSE, NULL, 0);

				s->done = true;
				if (cl == NULL)
					p->failed = true;
				else
					stage_hold(p, s, cl, now);
			}
		} else
			stage_hold(p, s, c, now);
		return;
	case TOXIC_LOSS:
		if (c->kind == CHUNK_DATA)
			stage_hold(p, s, c, add_sat(now, loss_delay(p, a->loss_rate)));
		else
			stage_hold(p, s, c, now);
		return;
	case TOXIC_TYPE_COUNT:
		break;
	}
	FATAL_BUG("bad toxic type %d", (int)s->tx->type);
}

static void
stage_start(struct pipe *p, struct stage *s, uint64_t now)
{
	/* Drawn per connection (and again on each change), as Toxiproxy
	 * does when it (re)starts a toxic on a link. */
	s->active = s->tx->toxicity >= 1.0 ||
	    rng_double(p->rng) < s->tx->toxicity;
	s->last_due = 0;
	s->bw_next = 0;
	s->triggered = false;
	s->deadline = PIPE_NEVER;
	if (s->active && s->tx->type == TOXIC_TIMEOUT && s->tx->a.timeout > 0)
		s->deadline = add_sat(now, (uint64_t)s->tx->a.timeout * MS_NS);
}

int
pipe_push(struct pipe *p, const void *buf, size_t len, uint64_t now)
{
	struct chunk *c = chunk_new(CHUNK_DATA, buf, len);

	if (c == NULL)
		return -1;
	enter(p, 0, c, now);
	return 0;
}

int
pipe_push_eof(struct pipe *p, uint64_t now)
{
	struct chunk *c = chunk_new(CHUNK_EOF, NULL, 0);

	if (c == NULL)
		return -1;
	enter(p, 0, c, now);
	return 0;
}

static ssize_t
find(const struct pipe *p, const struct toxic_spec *tx)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->st[i].tx == tx)
			return (ssize_t)i;
	return -1;
}

int
pipe_add(struct pipe *p, const struct toxic_spec *tx, uint64_t now)
{
	struct stage *s;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct stage *st = realloc(p->st, cap * sizeof(*st));

		if (st == NULL) {
			log_error("no memory for %zu stages", cap);
			return -1;
		}
		/* Queues point into their own stage: fix the tails. */
		for (size_t i = 0; i < p->n; i++)
			if (st[i].q.head == NULL)
				st[i].q.tail = &st[i].q.head;
		p->st = st;
		p->cap = cap;
	}
	s = &p->st[p->n];
	memset(s, 0, sizeof(*s));
	s->tx = tx;
	q_init(&s->q);
	stage_start(p, s, now);
	p->n++;
	return 0;
}

/* Moves what stage i holds on to stage i+1, in order. */
static void
flush_stage(struct pipe *p, size_t i, struct chunkq *q, uint64_t now)
{
	struct chunk *c;

	while ((c = q_take(q)) != NULL) {
		p->queued -= chunk_cost(c);
		enter(p, i, c, now);
	}
}

void
pipe_update(struct pipe *p, const struct toxic_spec *tx, uint64_t now)
{
	ssize_t i = find(p, tx);
	struct chunkq q;

	if (i < 0)
		return;
	q = p->st[i].q;
	if (q.head == NULL)
		q.tail = &q.head;
	q_init(&p->st[i].q);
	stage_start(p, &p->st[i], now);
	flush_stage(p, (size_t)i + 1, &q, now);
}

void
pipe_remove(struct pipe *p, const struct toxic_spec *tx, uint64_t now)
{
	ssize_t i = find(p, tx);
	struct chunkq q;

	if (i < 0)
		return;
	q = p->st[i].q;
	if (q.head == NULL)
		q.tail = &q.head;
	memmove(&p->st[i], &p->st[i + 1],
	    (p->n - (size_t)i - 1) * sizeof(p->st[0]));
	p->n--;
	for (size_t j = (size_t)i; j < p->n; j++)
		if (p->st[j].q.head == NULL)
			p->st[j].q.tail = &p->st[j].q.head;
	flush_stage(p, (size_t)i, &q, now);
}

uint64_t
pipe_run(struct pipe *p, uint64_t now)
{
	uint64_t next = PIPE_NEVER;

	for (size_t i = 0; i < p->n; i++) {
		struct stage *s = &p->st[i];
		struct chunk *c;

		while ((c = s->q.head) != NULL && c->due <= now) {
			q_take(&s->q);
			p->queued -= chunk_cost(c);
			enter(p, i + 1, c, now);
		}
		if (s->deadline <= now && p->action == PIPE_ACT_NONE) {
			p->action = s->tx->type == TOXIC_RESET_PEER
			    ? PIPE_ACT_RESET : PIPE_ACT_CLOSE;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		struct stage *s = &p->st[i];

		if (s->q.head != NULL && s->q.head->due < next)
			next = s->q.head->due;
		if (s->deadline < next)
			next = s->deadline;
	}
	return next;
}
