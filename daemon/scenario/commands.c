/* The scenario worker's requests: list, start-scenario, stop, status,
 * reload, clients (reliabd's: where each client's /metrics is now). Each checks its arguments' meaning (runargs.h holds the
 * limits) and asks the engine. */
#include "commands.h"

#include <stdio.h>

#include "engine.h"
#include "log.h"
#include "proto.h"
#include "runargs.h"
#include "worker.h"

static json_t *
cmd_list(const struct proto_request *req, void *arg)
{
	struct engine *e = arg;

	if (engine_reload(e) != 0)
		return proto_reply_error(req->id, PROTO_E_INTERNAL,
		    "out of memory");
	return proto_reply_ok(req->id, engine_list_json(e));
}

static json_t *
cmd_start_scenario(const struct proto_request *req, void *arg)
{
	struct engine *e = arg;
	const struct engine_options *d = engine_opts(e);
	struct run_args a;
	enum proto_err code;
	json_t *result;
	char msg[700];

	if (run_args_decode(&a, req->args, msg, sizeof msg) != 0)
		return proto_reply_error(req->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	/* The configured phase lengths stand in for those not named. */
	if (a.stabilization_ms == 0)
		a.stabilization_ms = d->stabilization_ms;
	if (a.testing_ms == 0)
		a.testing_ms = d->testing_ms;
	if (a.recovery_ms == 0)
		a.recovery_ms = d->recovery_ms;
	if (engine_start(e, &a, &result, &code, msg, sizeof msg) != 0)
		return proto_reply_error(req->id, code, "%s", msg);
	return proto_reply_ok(req->id, result);
}

static json_t *
cmd_stop(const struct proto_request *req, void *arg)
{
	int was = engine_stop(arg, "stopped on request");

	return proto_reply_ok(req->id, json_pack("{s:b}", "stopped", was));
}

static json_t *
cmd_status(const struct proto_request *req, void *arg)
{
	return proto_reply_ok(req->id, engine_status_json(arg));
}

static json_t *
cmd_reload(const struct proto_request *req, void *arg)
{
	struct engine *e = arg;

	/* Files are read again at each list and start anyway; this reports
	 * what is there now. */
	if (engine_reload(e) != 0)
		return proto_reply_error(req->id, PROTO_E_INTERNAL,
		    "out of memory");
	return proto_reply_ok(req->id, json_pack("{s:I,s:I,s:o*}",
	    "scenarios", (json_int_t)engine_catalogue_size(e), "errors",
	    (json_int_t)engine_catalogue_errors(e), "bad",
	    engine_catalogue_bad(e)));
}

/* A loadgen came up (a port-0 one on its real port, a restarted one on a
 * new one): sampled there from now on, a job running forever included. */
static json_t *
cmd_clients(const struct proto_request *req, void *arg)
{
	struct run_client cl[RUN_CLIENTS_MAX];
	size_t n = 0;
	char msg[200];

	if (!json_is_object(req->args) || run_clients_decode(cl, &n,
	    json_object_get(req->args, "clients"), msg, sizeof msg) != 0)
		return proto_reply_error(req->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    json_is_object(req->args) ? msg : "args must be an object");
	engine_clients_moved(arg, cl, n);
	return proto_reply_ok(req->id, json_pack("{s:I}", "clients",
	    (json_int_t)n));
}

const struct worker_cmd scenario_cmds[] = {
	{ "list", cmd_list },
	{ "start-scenario", cmd_start_scenario },
	{ "stop", cmd_stop },
	{ "status", cmd_status },
	{ "reload", cmd_reload },
	{ "clients", cmd_clients },
	{ NULL, NULL },
};

void
scenario_on_reply(const struct proto_msg *msg, void *arg)
{
	(void)arg;
	if (msg->ok)
		log_info("reliabd: request %lld done", (long long)msg->id);
	else
		log_warn("reliabd: request %lld failed: %s",
		    (long long)msg->id, msg->message);
}
