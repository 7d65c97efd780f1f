/* libFuzzer target: reliabd's command handlers (daemon/cmd.c and every
 * cmd-*.c), fed request lines as control.c feeds them: decoded, then
 * dispatched, with the real forward.c, reply.c, job.c and journal
 * reader below. The daemon has no children, so nothing forks and every
 * request a worker would answer is refused at once; its journal is a
 * small file in a temporary state directory, so `runs` and `show` read
 * one.
 *
 * Besides the sanitizers it checks the control protocol's promise:
 * every request gets exactly one reply, a JSON line with the request's
 * id. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- below the commands: nothing to reach with no children -------- */

struct child *
child_find(struct reliabd *d, const char *name)
{
	(void)d;
	(void)name;
	return NULL;
}

struct child *
child_find_kind(struct reliabd *d, enum kind kind)
{
	(void)d;
	(void)kind;
	return NULL;
}

struct child *
child_find_client(struct reliabd *d, const char *name)
{
	(void)d;
	(void)name;
	return NULL;
}

/* Reached only through a child, and there is none. */
#define UNREACHABLE() abort()

const char *
child_state_text(enum child_state st)
{
	(void)st;
	UNREACHABLE();
}

json_t *
child_status_json(const struct child *c)
{
	(void)c;
	UNREACHABLE();
}

int
child_start(struct child *c)
{
	(void)c;
	UNREACHABLE();
}

void
child_stop(struct child *c)
{
	(void)c;
	UNREACHABLE();
}

void
child_kill_hold(struct child *c, uint64_t hold_ms)
{
	(void)c;
	(void)hold_ms;
	UNREACHABLE();
}

/* load and node-restart tell watchers, once they have found a child. */
void
events_emit(struct reliabd *d, const char *name, json_t *fields)
{
	(void)d;
	(void)name;
	json_decref(fields);
	UNREACHABLE();
}

int
pending_add(struct child *c, const struct cmd_ctx *ctx, const char *cmd,
    const json_t *args, uint64_t timeout_ms)
{
	(void)c;
	(void)ctx;
	(void)cmd;
	(void)args;
	(void)timeout_ms;
	UNREACHABLE();
}

void
pending_forget_conn(struct reliabd *d, struct ctl_conn *conn)
{
	(void)d;
	(void)conn;
}

/* No config file to read again: the reload is refused, as one with a
 * bad file would be. */
int
daemon_reload(struct reliabd *d, char *err, size_t errlen)
{
	(void)d;
	snprintf(err, errlen, "fuzz: no config to reload");
	return -1;
}

void
metric_inc(struct metric *m)
{
	(void)m;
}

/* ---- the control client: what it was sent ------------------------- */

static struct reliabd d;
static unsigned replies, watches;
static json_int_t want_id;

static int
fake_conn_write(struct ctl_conn *conn, const char *line, size_t len)
{
	struct proto_msg msg;
	char err[256];

	(void)conn;
	replies++;
	if (len == 0 || line[len - 1] != '\n')
		abort();
	if (proto_decode_msg(line, len - 1, &msg, err, sizeof(err)) !=
	    PROTO_OK)
		abort();
	if (msg.kind != PROTO_MSG_REPLY || msg.id != want_id)
		abort();
	proto_msg_clear(&msg);
	return 0;
}

static void
fake_conn_watch(struct ctl_conn *conn)
{
	(void)conn;
	watches++;
}

static const char journal[] =
    "{\"id\":\"20260101T000000Z-aaaa-1\",\"batch\":\"20260101T000000Z-aaaa\","
    "\"scenario\":\"latency-1s\",\"status\":\"success\",\"started\":1,"
    "\"ended\":2,\"figures\":{}}\n"
    "{\"id\":\"20260101T000000Z-aaaa-2\",\"batch\":\"20260101T000000Z-aaaa\","
    "\"scenario\":\"loss-5\",\"status\":\"failed\",\"started\":3,"
    "\"ended\":4,\"figures\":{}}\n";

static char dir[] = "/tmp/fuzz_cmd_args.XXXXXX", path[64];

static void
remove_state(void)
{
	unlink(path);
	rmdir(dir);
}

static int
init(void)
{
	FILE *f;

	log_init("fuzz_cmd_args", LOG_LVL_ERROR);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(journal, f);
	fclose(f);
	atexit(remove_state);
	config_defaults(&d.cfg);
	strlcpy_r(d.cfg.state_dir, dir, sizeof(d.cfg.state_dir));
	TAILQ_INIT(&d.children);
	d.conn_write = fake_conn_write;
	d.conn_watch = fake_conn_watch;
	d.started_ms = now_mono_ms();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static char conn_token;
	struct cmd_ctx ctx = { .d = &d,
		.conn = (struct ctl_conn *)(void *)&conn_token };
	struct proto_request req;
	char msg[256];
	enum proto_err e;

	if (!ready) {
		if (init() < 0)
			abort();
		ready = 1;
	}
	replies = 0;
	e = proto_decode_request((const char *)data, size, &req, msg,
	    sizeof(msg));
	ctx.id = want_id = req.id;
	if (e != PROTO_OK) {
		/* control.c answers these itself; nothing to dispatch. */
		proto_request_clear(&req);
		return 0;
	}
	cmd_dispatch(&ctx, &req);
	proto_request_clear(&req);
	if (replies != 1)
		abort();
	return 0;
}
