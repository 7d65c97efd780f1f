/* The real fault backend (see backend.h). */
#include "backend.h"

#include <stdio.h>

#include "util.h"

static enum toxi_result
pb_apply(void *arg, const struct fault_unit *u, char *err, size_t errlen)
{
	struct proxy_backend *pb = arg;

	if (u->le.kind == LEDGER_DOWN)
		return toxi_set_enabled(&pb->toxi, u->le.server, 0, err,
		    errlen);
	return toxi_add_toxic(&pb->toxi, u->le.server, u->le.toxic,
	    u->le.type, u->stream, u->toxicity, u->attrs, err, errlen);
}

static enum toxi_result
pb_undo(void *arg, const struct ledger_entry *le, char *err, size_t errlen)
{
	struct proxy_backend *pb = arg;

	if (le->kind == LEDGER_DOWN)
		return toxi_set_enabled(&pb->toxi, le->server, 1, err, errlen);
	return toxi_remove_toxic(&pb->toxi, le->server, le->toxic, err,
	    errlen);
}

static enum toxi_result
pb_reset(void *arg, char *err, size_t errlen)
{
	struct proxy_backend *pb = arg;

	return toxi_reset(&pb->toxi, err, errlen);
}

static int
pb_node_restart(void *arg, const char *node, uint64_t down_ms, char *err,
    size_t errlen)
{
	struct proxy_backend *pb = arg;
	json_t *args;

	if (!pb->request) {
		snprintf(err, errlen, "node restart of %s needs reliabd (no "
		    "channel: running by hand)", node);
		return -1;
	}
	args = json_pack("{s:s,s:I}", "name", node, "down_ms",
	    (json_int_t)down_ms);
	if (!args) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pb->request("node-restart", args, pb->request_arg) < 0) {
		snprintf(err, errlen, "cannot send node-restart to reliabd");
		return -1;
	}
	return 0;
}

int
proxy_backend_init(struct proxy_backend *pb, const char *api,
    long long (*request)(const char *, json_t *, void *), void *arg,
    char *err, size_t errlen)
{
	pb->request = request;
	pb->request_arg = arg;
	return toxi_init(&pb->toxi, api, err, errlen);
}

void
proxy_backend_free(struct proxy_backend *pb)
{
	toxi_free(&pb->toxi);
}

struct fault_backend
proxy_backend_ops(struct proxy_backend *pb)
{
	struct fault_backend be = { pb_apply, pb_undo, pb_node_restart, pb,
		pb_reset };

	return be;
}

int
proxy_backend_probe(struct proxy_backend *pb, int *builtin, char *version,
    size_t vlen, char *err, size_t errlen)
{
	if (toxi_probe(&pb->toxi, err, errlen) != TOXI_OK)
		return -1;
	*builtin = pb->toxi.builtin;
	strlcpy_r(version, pb->toxi.version, vlen);
	return 0;
}
