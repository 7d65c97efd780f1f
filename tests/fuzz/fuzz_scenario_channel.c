/* Fuzzes the scenario worker's channel requests: a line as reliabd would
 * send it, decoded as lib/worker.c decodes it (proto_decode_request) and
 * dispatched over scenario_cmds[] to the real engine, whose faults go to
 * an injected backend that only counts (nothing leaves the process). A
 * run a request starts is ticked once and stopped, so every input starts
 * from an idle engine. Checked: each reply is one encodable line carrying
 * the request's id, and a stopped run leaves no fault on. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "faults.h"
#include "log.h"
#include "proto.h"
#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on;   /* faults on the fake proxy now */

static enum toxi_result
fake_apply(void *arg, const struct fault_unit *u, char *err, size_t errlen)
{
	(void)arg;
	(void)u;
	(void)err;
	(void)errlen;
	on++;
	return TOXI_OK;
}

static enum toxi_result
fake_undo(void *arg, const struct ledger_entry *le, char *err, size_t errlen)
{
	(void)arg;
	(void)le;
	(void)err;
	(void)errlen;
	if (on > 0)
		on--;
	return TOXI_OK;
}

static int
fake_restart(void *arg, const char *node, uint64_t down_ms, char *err,
    size_t errlen)
{
	(void)arg;
	(void)node;
	(void)down_ms;
	(void)err;
	(void)errlen;
	return 0;
}

static enum toxi_result
fake_reset(void *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	on = 0;
	return TOXI_OK;
}

static const struct fault_backend fake = { fake_apply, fake_undo,
	fake_restart, NULL, fake_reset, NULL };

/* A small catalogue: a 1 ms stabilization is over at the first tick
 * after a short sleep, so a started run applies its faults before it is
 * stopped. */
static const char *const files[][2] = {
	{ "f-latency.json", "{\"name\":\"f-latency\",\"phases\":{"
	    "\"stabilization\":\"1ms\",\"testing\":\"1s\",\"recovery\":\"1s\"},"
	    "\"faults\":[{\"servers\":[\"memcache1\",\"memcache2\"],"
	    "\"type\":\"latency\",\"attributes\":{\"latency\":100}}]}" },
	{ "f-down.json", "{\"name\":\"f-down\",\"phases\":{"
	    "\"stabilization\":\"1ms\"},\"faults\":[{\"servers\":"
	    "[\"memcache1\"],\"type\":\"down\"}]}" },
	{ "f-flap.json", "{\"name\":\"f-flap\",\"phases\":{"
	    "\"stabilization\":\"1ms\"},\"faults\":[{\"servers\":"
	    "[\"memcache2\"],\"type\":\"loss\",\"attributes\":"
	    "{\"rate\":0.5}}],\"pattern\":{\"on\":\"100ms\","
	    "\"off\":\"100ms\"}}" },
};

static char *base;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The temp tree goes when libFuzzer exits. */
static void
teardown(void)
{
	if (base)
		(void)nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct engine *
setup(void)
{
	static char root[] = "/dev/shm/fuzz_scenario_channel.XXXXXX";
	static char troot[] = "/tmp/fuzz_scenario_channel.XXXXXX";
	static char state[64], cat[64];
	static const char *servers[] = { "memcache1", "memcache2" };
	struct engine_options o;
	struct engine *e;
	char err[512];

	/* tmpfs when there is one: the ledger and journal fsync. */
	base = mkdtemp(root);
	if (!base)
		base = mkdtemp(troot);
	if (!base)
		abort();
	atexit(teardown);
	snprintf(state, sizeof state, "%s/state", base);
	snprintf(cat, sizeof cat, "%s/cat", base);
	if (mkdir(state, 0700) != 0 || mkdir(cat, 0700) != 0)
		abort();
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", cat, files[i][0]);
		if (!(f = fopen(path, "w")))
			abort();
		fputs(files[i][1], f);
		fclose(f);
	}
	memset(&o, 0, sizeof o);
	o.proxy_api = "127.0.0.1:1";
	o.state_dir = state;
	o.catalogue_dir = cat;
	o.scenario_dir = "";
	o.loadgen_metrics = "";
	o.servers[0] = servers[0];
	o.servers[1] = servers[1];
	o.nservers = 2;
	o.backend = &fake;
	o.backend_builtin = 1;
	e = engine_new(&o, NULL, NULL, err, sizeof err);
	if (!e) {
		fprintf(stderr, "engine_new: %s\n", err);
		abort();
	}
	if (engine_catalogue_size(e) != sizeof files / sizeof files[0]) {
		fprintf(stderr, "the harness's scenarios do not load\n");
		abort();
	}
	return e;
}

static json_t *
dispatch(struct engine *e, const struct proto_request *req)
{
	for (const struct worker_cmd *c = scenario_cmds; c->name; c++)
		if (strcmp(c->name, req->cmd) == 0)
			return c->fn(req, e);
	return proto_reply_error(req->id, PROTO_E_UNKNOWN_COMMAND,
	    "unknown command");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct engine *e;
	struct proto_request req;
	char msg[PROTO_MSG_MAX];
	json_t *reply;
	char *line;
	size_t len;

	if (!e) {
		log_init("fuzz_scenario_channel", LOG_LVL_ERROR);
		e = setup();
	}
	if (size > PROTO_LINE_MAX)
		return 0;
	memset(&req, 0, sizeof req);
	if (proto_decode_request((const char *)data, size, &req, msg,
	    sizeof msg) != PROTO_OK) {
		proto_request_clear(&req);
		return 0;
	}
	reply = dispatch(e, &req);
	if (!reply)
		abort();   /* a handler gave no reply: the runtime says OOM */
	if (json_integer_value(json_object_get(reply, "id")) != req.id ||
	    !json_is_boolean(json_object_get(reply, "ok")))
		abort();
	line = proto_encode(reply, &len);
	if (!line || len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		abort();
	free(line);
	json_decref(reply);
	proto_request_clear(&req);
	if (engine_busy(e)) {
		usleep(1100);
		(void)engine_tick(e);
		engine_stop(e, "fuzz");
		if (on != 0 || engine_busy(e))
			abort();   /* a stopped run left a fault on */
	}
	return 0;
}
