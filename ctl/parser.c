/* reliabctl's command table and its parser: a command is found by a
 * unique prefix; each command parses its own words into request args. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "reliabctl.h"
#include "util.h"

static int
no_args(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	(void)req;
	if (argc > 0) {
		fprintf(stderr,
		    "reliabctl: %s takes no arguments (got \"%s\")\n",
		    cmd->name, argv[0]);
		return -1;
	}
	return 0;
}

static int
want_duration(const char *opt, const char *v)
{
	uint64_t ms;

	if (v == NULL || duration_parse(v, &ms) < 0) {
		fprintf(stderr,
		    "reliabctl: %s needs a duration such as 500ms, 30s or 2m\n",
		    opt);
		return -1;
	}
	return 0;
}

static int
parse_start(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	json_t *names = json_array();
	int looped = 0;

	json_object_set_new(req->args, "names", names);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--wait") == 0) {
			req->wait = 1;
		} else if (strcmp(a, "--forever") == 0) {
			json_object_set_new(req->args, "forever", json_true());
			looped++;
		} else if (strcmp(a, "--loop") == 0) {
			uint64_t n;

			/* Only the shape here: the scenario worker owns the
			 * limit (runargs.h) and says it. */
			if (v == NULL || parse_u64(v, 1, INT64_MAX, &n) < 0) {
				fprintf(stderr, "reliabctl: --loop needs a "
						"count of 1 or more\n");
				return -1;
			}
			json_object_set_new(req->args, "loop",
			    json_integer((json_int_t)n));
			looped++;
			i++;
		} else if (strcmp(a, "--stabilization") == 0 ||
		    strcmp(a, "--testing") == 0 ||
		    strcmp(a, "--recovery") == 0) {
			if (want_duration(a, v) < 0)
				return -1;
			json_object_set_new(req->args, a + 2, json_string(v));
			i++;
		} else if (a[0] == '-') {
			fprintf(stderr,
			    "reliabctl: %s: unknown option \"%s\"; expected "
			    "%s\n",
			    cmd->name, a, cmd->usage);
			return -1;
		} else {
			json_array_append_new(names, json_string(a));
		}
	}
	if (looped > 1) {
		fprintf(stderr,
		    "reliabctl: --loop and --forever go one at a time\n");
		return -1;
	}
	if (json_array_size(names) == 0) {
		fprintf(stderr, "reliabctl: start-scenario needs scenario "
				"names or \"all\"; expected %s\n",
		    cmd->usage);
		return -1;
	}
	return 0;
}

static int
parse_runs(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	for (int i = 0; i < argc; i++) {
		uint64_t n;

		if (strcmp(argv[i], "--last") == 0 && i + 1 < argc &&
		    parse_u64(argv[i + 1], 1, 10000, &n) == 0) {
			json_object_set_new(req->args, "last",
			    json_integer((json_int_t)n));
			i++;
			continue;
		}
		fprintf(stderr, "reliabctl: runs: expected %s\n", cmd->usage);
		return -1;
	}
	return 0;
}

static int
parse_show(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	if (argc != 1 || argv[0][0] == '-') {
		fprintf(stderr, "reliabctl: show: expected %s\n", cmd->usage);
		return -1;
	}
	json_object_set_new(req->args, "run", json_string(argv[0]));
	return 0;
}

static int
parse_load(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	if (argc != 1 ||
	    (strcmp(argv[0], "start") != 0 && strcmp(argv[0], "stop") != 0)) {
		fprintf(stderr, "reliabctl: load: expected %s\n", cmd->usage);
		return -1;
	}
	json_object_set_new(req->args, "action", json_string(argv[0]));
	return 0;
}

static int
parse_node_restart(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	uint64_t ms;

	if (argc == 1 && argv[0][0] != '-') {
		json_object_set_new(req->args, "name", json_string(argv[0]));
		return 0;
	}
	if (argc == 3 && argv[0][0] != '-' && strcmp(argv[1], "--down") == 0 &&
	    duration_parse(argv[2], &ms) == 0 && ms <= 600000) {
		json_object_set_new(req->args, "name", json_string(argv[0]));
		json_object_set_new(req->args, "down_ms",
		    json_integer((json_int_t)ms));
		return 0;
	}
	fprintf(stderr, "reliabctl: node-restart: expected %s\n", cmd->usage);
	return -1;
}

const struct ctl_cmd ctl_cmds[] = {
	{ "hello", "hello", "", "protocol and program versions", no_args,
	    print_hello },
	{ "status", "status", "", "children, load and the current run",
	    no_args, print_status },
	{ "list", "list", "", "the scenarios that can run", no_args,
	    print_list },
	{ "start-scenario", "start-scenario",
	    "NAME...|all [--loop N|--forever] [--stabilization D] "
	    "[--testing D] [--recovery D] [--wait]",
	    "run scenarios", parse_start, print_generic },
	{ "stop", "stop", "", "abort the current run (faults removed)",
	    no_args, print_generic },
	{ "runs", "runs", "[--last N]", "the last runs from the journal",
	    parse_runs, print_runs },
	{ "show", "show", "RUN", "one run from the journal", parse_show,
	    print_show },
	{ "reload", "reload", "", "re-read the config and scenario files",
	    no_args, print_reload },
	{ "load", "load", "start|stop", "start or stop the load generator",
	    parse_load, print_generic },
	{ "node-restart", "node-restart", "NAME [--down D]",
	    "kill a managed memcached node, start it after D", parse_node_restart,
	    print_generic },
	{ "watch", "watch", "", "stream events until interrupted", no_args,
	    print_generic },
};
const size_t ctl_ncmds = NELEM(ctl_cmds);

void
print_commands(FILE *f)
{
	fprintf(f, "commands:\n");
	for (size_t i = 0; i < ctl_ncmds; i++)
		fprintf(f, "  %-15s %-40s %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].usage, ctl_cmds[i].help);
}

int
parse_command(int argc, char **argv, struct ctl_request *req)
{
	const struct ctl_cmd *found = NULL;
	size_t len, matches = 0;

	memset(req, 0, sizeof(*req));
	if (argc < 1) {
		fprintf(stderr, "reliabctl: a command is needed\n");
		print_commands(stderr);
		return -1;
	}
	len = strlen(argv[0]);
	for (size_t i = 0; i < ctl_ncmds; i++) {
		if (strcmp(ctl_cmds[i].name, argv[0]) == 0) {
			found = &ctl_cmds[i];
			matches = 1;
			break;
		}
		if (len > 0 && strncmp(ctl_cmds[i].name, argv[0], len) == 0) {
			found = &ctl_cmds[i];
			matches++;
		}
	}
	if (matches != 1) {
		fprintf(stderr, "reliabctl: %s command \"%s\"; expected one of:",
		    matches ? "ambiguous" : "unknown", argv[0]);
		for (size_t i = 0; i < ctl_ncmds; i++)
			if (!matches ||
			    strncmp(ctl_cmds[i].name, argv[0], len) == 0)
				fprintf(stderr, " %s", ctl_cmds[i].name);
		fprintf(stderr, "\n");
		return -1;
	}
	req->cmd = found;
	req->args = json_object();
	if (req->args == NULL)
		return -1;
	if (found->parse(found, argc - 1, argv + 1, req) < 0) {
		json_decref(req->args);
		req->args = NULL;
		return -1;
	}
	return 0;
}
