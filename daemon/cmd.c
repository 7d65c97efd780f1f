/* The command table and dispatch: each cmd-NAME.c exports its entry
 * (name, function, accepted arguments, help) and this file lists them,
 * as tmux's cmd.c lists its cmd-*.c. A new command is a new cmd-NAME.c
 * plus one line here. */
#include <string.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_hello_entry,
	&cmd_status_entry,
	&cmd_list_entry,
	&cmd_start_scenario_entry,
	&cmd_stop_entry,
	&cmd_runs_entry,
	&cmd_show_entry,
	&cmd_reload_entry,
	&cmd_load_entry,
	&cmd_node_restart_entry,
	&cmd_watch_entry,
};
const size_t cmd_table_len = NELEM(cmd_table);

void
cmd_dispatch(struct cmd_ctx *ctx, struct proto_request *req)
{
	const struct cmd_entry *e = NULL;
	char msg[256];
	json_t *reply;

	for (size_t i = 0; i < cmd_table_len; i++)
		if (strcmp(cmd_table[i]->name, req->cmd) == 0)
			e = cmd_table[i];
	if (e == NULL) {
		reply_send(ctx, proto_reply_error(req->id,
				    PROTO_E_UNKNOWN_COMMAND,
				    "unknown command \"%s\"", req->cmd));
		return;
	}
	if (proto_args_only(req->args, e->args, msg, sizeof(msg)) < 0) {
		reply_send(ctx, proto_reply_error(req->id,
				    PROTO_E_BAD_ARGUMENTS, "%s: %s", e->name,
				    msg));
		return;
	}
	log_debug("%s (id %lld)", e->name, (long long)req->id);
	reply = e->fn(ctx, req->args);
	if (reply)
		reply_send(ctx, reply);
}
