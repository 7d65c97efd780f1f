/* load start|stop [NAME]: the clients' load generators on request, one
 * client or all of them; a stopped one is not restarted until started
 * again. */
#include <string.h>

#include "reliabd.h"
#include "suggest.h"
#include "util.h"

/* Starts or stops one client's loadgen; its event for watchers. */
static void
load_apply(struct reliabd *d, struct child *c, int start)
{
	if (!start) {
		child_stop(c);
	} else {
		c->failures = 0;
		if (c->pid <= 0)
			child_start(c);
		else
			c->want_up = 1;
	}
	/* Watchers see the load go and come: a gap in a run's figures
	 * then has its cause on the same screen. */
	events_emit(d, "load", json_pack("{s:s, s:s, s:s, s:s}", "action",
	    start ? "start" : "stop", "name", c->name, "client", c->client,
	    "state", child_state_text(c->state)));
}

/* "no client named "x" (did you mean "y"?); clients: a, b". */
static json_t *
unknown_client(struct cmd_ctx *ctx, const char *name)
{
	const char *names[CONFIG_MAX_CLIENTS * 2], *close[3];
	char near[192], all[CONFIG_MAX_CLIENTS * (CONFIG_NAME_MAX + 4)];
	size_t n = 0, k, off = 0;
	struct child *c;

	all[0] = '\0';
	TAILQ_FOREACH(c, &ctx->d->children, entry) {
		if (c->kind != KIND_LOADGEN || c->removed || n == NELEM(names))
			continue;
		names[n++] = c->client;
		if (off < sizeof(all))
			off += (size_t)snprintf(all + off, sizeof(all) - off,
			    "%s%s", off ? ", " : "", c->client);
	}
	k = suggest(name, names, n, close, NELEM(close));
	if (k > 0)
		return proto_reply_error(ctx->id, PROTO_E_NOT_FOUND,
		    "no client named \"%.64s\" (did you mean %s?); clients: %s",
		    name, suggest_join(close, k, near, sizeof(near)), all);
	return proto_reply_error(ctx->id, PROTO_E_NOT_FOUND,
	    "no client named \"%.64s\"; clients: %s", name,
	    n ? all : "none configured");
}

static json_t *
cmd_load(struct cmd_ctx *ctx, json_t *args)
{
	struct reliabd *d = ctx->d;
	const char *action = NULL, *name = NULL;
	struct child *c, *first = NULL;
	json_t *clients;
	char msg[128];
	int start;

	if (proto_arg_string(args, "action", 1, &action, msg, sizeof(msg)) < 0 ||
	    proto_arg_string(args, "name", 0, &name, msg, sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	if (strcmp(action, "start") != 0 && strcmp(action, "stop") != 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
		    "action must be \"start\" or \"stop\", not \"%.32s\"",
		    action);
	if (name != NULL && (name[0] == '\0' || strlen(name) >= CONFIG_NAME_MAX))
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
		    "a client name is 1 to %d characters",
		    CONFIG_NAME_MAX - 1);
	start = strcmp(action, "start") == 0;
	if (name != NULL) {
		first = child_find_client(d, name);
		if (first == NULL)
			return unknown_client(ctx, name);
		if (first->scraped)
			return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
			    "the client \"%s\" is only scraped (url): reliabd "
			    "does not run it", name);
	} else {
		TAILQ_FOREACH(c, &d->children, entry)
			if (c->kind == KIND_LOADGEN && !c->removed &&
			    !c->scraped) {
				first = c;
				break;
			}
		if (first == NULL)
			return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
			    "no load generator is configured");
	}
	/* Its stage may be over: it would meet servers going away. */
	if (start && d->state == DAEMON_STOPPING)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "reliabd is stopping");
	clients = json_object();
	if (clients == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL,
		    "out of memory");
	TAILQ_FOREACH(c, &d->children, entry) {
		if (c->kind != KIND_LOADGEN || c->removed || c->scraped ||
		    (name != NULL && c != first))
			continue;
		load_apply(d, c, start);
		json_object_set_new(clients, c->client,
		    json_string(child_state_text(c->state)));
	}
	/* "loadgen": the state of the one named, or of the first. */
	return proto_reply_ok(ctx->id, json_pack("{s:s, s:s, s:o}", "loadgen",
	    child_state_text(first->state), "action", action, "clients",
	    clients));
}

static const char *const load_args[] = { "action", "name", NULL };

const struct cmd_entry cmd_load_entry = {
	.name = "load",
	.fn = cmd_load,
	.args = load_args,
	.help = "start or stop one client's load generator, or every one",
};
