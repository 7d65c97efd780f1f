/* reliabctl's command table and its parser: a command is found by a
 * unique prefix; each command parses its own words into request args. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "reliabctl.h"
#include "suggest.h"
#include "util.h"

#define SCENARIO_NAME_MAX 128

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
		} else if (strcmp(a, "--compare") == 0) {
			json_object_set_new(req->args, "compare", json_true());
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
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;

		if (strcmp(argv[i], "--last") == 0 && v &&
		    parse_u64(v, 1, 10000, &n) == 0) {
			json_object_set_new(req->args, "last",
			    json_integer((json_int_t)n));
			i++;
			continue;
		}
		if (strcmp(argv[i], "--scenario") == 0 && v && v[0] != '-' &&
		    strlen(v) < SCENARIO_NAME_MAX) {
			json_object_set_new(req->args, "scenario",
			    json_string(v));
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
	if (argc < 1 || argc > 2 ||
	    (strcmp(argv[0], "start") != 0 && strcmp(argv[0], "stop") != 0) ||
	    (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "reliabctl: load: expected %s\n", cmd->usage);
		return -1;
	}
	json_object_set_new(req->args, "action", json_string(argv[0]));
	if (argc == 2)
		json_object_set_new(req->args, "name", json_string(argv[1]));
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

static int
parse_help(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		fprintf(stderr, "reliabctl: help: expected %s\n", cmd->usage);
		return -1;
	}
	if (argc == 1)
		json_object_set_new(req->args, "command", json_string(argv[0]));
	return 0;
}

const struct ctl_cmd ctl_cmds[] = {
	{ .name = "hello", .proto = "hello", .usage = "",
	    .help = "protocol and program versions",
	    .detail = "The control protocol's version and the program's.",
	    .parse = no_args, .print = print_hello },
	{ .name = "status", .proto = "status", .usage = "",
	    .help = "children, load and the current run",
	    .detail = "The daemon's state; each child's kind, state, pid,\n"
		"uptime, restarts and last exit; the load (with several\n"
		"clients, each one's state, ops/s, errors and metrics);\n"
		"the current run.",
	    .parse = no_args, .print = print_status },
	{ .name = "list", .proto = "list", .usage = "",
	    .help = "the scenarios that can run",
	    .detail = "Every scenario with its phase lengths, then the\n"
		"scenario files that did not load and why.",
	    .parse = no_args, .print = print_list },
	{ .name = "start-scenario", .proto = "start-scenario",
	    .usage = "NAME...|all [--loop N|--forever] [--stabilization D] "
		"[--testing D] [--recovery D] [--compare] [--wait]",
	    .help = "run scenarios",
	    .detail = "Runs the scenarios one after the other (--loop N times,\n"
		"or --forever). --stabilization/--testing/--recovery D\n"
		"shorten a phase (500ms, 30s, 2m). --compare judges every\n"
		"client for information: the run succeeds when it completes.\n"
		"--wait follows the run\n"
		"and ends with its report, as `show` prints it; Ctrl-C\n"
		"stops waiting, not the run (`reliabctl stop` does).",
	    .parse = parse_start, .print = print_generic },
	{ .name = "stop", .proto = "stop", .usage = "",
	    .help = "abort the current run (faults removed)",
	    .detail = "Aborts the current run and the rest of its job; its\n"
		"faults are removed.",
	    .parse = no_args, .print = print_generic },
	{ .name = "runs", .proto = "runs", .usage = "[--last N] [--scenario NAME]",
	    .help = "the last runs, or one scenario's history",
	    .detail = "The last N runs (default 20): verdict, throughput ratio,\n"
		"time to open, time to recover. With --scenario NAME: that\n"
		"scenario's runs, then the median, quartiles and range of\n"
		"those figures over the runs before the latest, and the\n"
		"latest flagged when it falls outside them.",
	    .parse = parse_runs, .print = print_runs },
	{ .name = "show", .proto = "show", .usage = "RUN",
	    .help = "one run's report",
	    .detail = "One run by id or unique id prefix: its faults, a table\n"
		"per phase and per server, times to open and to recover,\n"
		"every check of the hypothesis, and the verdict.\n"
		"--json prints the journal's record as is.",
	    .parse = parse_show, .print = print_show },
	{ .name = "report", .proto = "status", .usage = "RUN [-o FILE]",
	    .help = "write a run's HTML report page",
	    .detail = "Writes the run's report page (charts, hypothesis,\n"
		"faults; one file that needs no network) to FILE, or to\n"
		"RUN.html in the current directory, and prints its path.\n"
		"-o - writes it to standard output. The page is the one\n"
		"reliabd serves at http://ADDRESS/run/RUN (ADDRESS: its\n"
		"metrics listener, as status shows it); a run in progress\n"
		"gives the run so far.",
	    .parse = parse_report, .drive = report_page_fetch },
	{ .name = "reload", .proto = "reload", .usage = "",
	    .help = "re-read the config and scenario files",
	    .detail = "As SIGHUP: a config with an error is refused and the\n"
		"running one kept.",
	    .parse = no_args, .print = print_reload },
	{ .name = "load", .proto = "load", .usage = "start|stop [CLIENT]",
	    .help = "start or stop the clients' load generators",
	    .detail = "Every client's load generator, or only CLIENT's (a\n"
		"[loadgen NAME] section's NAME; \"default\" for [loadgen]).\n"
		"A stopped one stays stopped until started.",
	    .parse = parse_load, .print = print_load },
	{ .name = "node-restart", .proto = "node-restart",
	    .usage = "NAME [--down D]",
	    .help = "kill a managed memcached node, start it after D",
	    .detail = "Its cache comes back cold; D is at most 10m.",
	    .parse = parse_node_restart, .print = print_generic },
	{ .name = "watch", .proto = "watch", .usage = "",
	    .help = "stream events until interrupted",
	    .detail = "One line per event: phases, faults, verdicts, load\n"
		"stop/start, node and child restarts. --json: one JSON\n"
		"object a line.",
	    .parse = no_args, .print = print_generic },
	{ .name = "check-client", .proto = NULL, .usage = "URL",
	    .help = "which checks a client's /metrics lets the lab judge",
	    .detail = "Without the daemon: fetches URL\n"
		"(http://HOST:PORT/PATH, or HOST:PORT for /metrics) as the\n"
		"scenario worker scrapes a client, then prints each\n"
		"memcache_* metric found (type, series, server labels), the\n"
		"documented ones it lacks, and each check of a scenario's\n"
		"expect: judged, or not judged and the metrics it needs.\n"
		"Exit 0: a client (it exports memcache_operations_total);\n"
		"1: the URL answers but serves no client; 2: a malformed\n"
		"URL; 3: the URL could not be fetched.",
	    .parse = parse_check_client, .local = run_check_client },
	{ .name = "help", .proto = NULL, .usage = "[COMMAND]",
	    .help = "this list, or one command's use",
	    .detail = "Without the daemon: the commands, or one command's\n"
		"arguments and what it prints.",
	    .parse = parse_help, .local = run_help, .exact = 1 },
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

/* "unknown command"; the close ones, else every one. */
static void
unknown_command(const char *word, size_t matches)
{
	const char *names[32], *close[4];
	char joined[256];
	size_t n = ctl_ncmds < NELEM(names) ? ctl_ncmds : NELEM(names), k;

	for (size_t i = 0; i < n; i++)
		names[i] = ctl_cmds[i].name;
	if (matches) {
		fprintf(stderr, "reliabctl: ambiguous command \"%s\": "
				"it could be",
		    word);
		for (size_t i = 0; i < n; i++)
			if (!ctl_cmds[i].exact &&
			    strncmp(names[i], word, strlen(word)) == 0)
				fprintf(stderr, " %s", names[i]);
		fprintf(stderr, "\n");
		return;
	}
	k = suggest(word, names, n, close, NELEM(close));
	if (k > 0) {
		fprintf(stderr, "reliabctl: unknown command \"%s\"; did you "
				"mean %s?\n",
		    word, suggest_join(close, k, joined, sizeof(joined)));
		return;
	}
	fprintf(stderr, "reliabctl: unknown command \"%s\"; expected one "
			"of:",
	    word);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s", names[i]);
	fprintf(stderr, "\n(reliabctl help: what each does)\n");
}

const struct ctl_cmd *
lookup_command(const char *word)
{
	const struct ctl_cmd *found = NULL;
	size_t len = strlen(word), matches = 0;

	for (size_t i = 0; i < ctl_ncmds; i++) {
		if (strcmp(ctl_cmds[i].name, word) == 0)
			return &ctl_cmds[i];
		if (len > 0 && !ctl_cmds[i].exact &&
		    strncmp(ctl_cmds[i].name, word, len) == 0) {
			found = &ctl_cmds[i];
			matches++;
		}
	}
	if (matches == 1)
		return found;
	unknown_command(word, matches);
	return NULL;
}

/* -j/--json is taken after the command word too, as before it: it is
 * dropped from the words the command parses. */
static int
take_json(int argc, char **argv, char **out, int *json)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0 ||
		    strcmp(argv[i], "--json") == 0)
			*json = 1;
		else
			out[n++] = argv[i];
	}
	out[n] = NULL;
	return n;
}

int
parse_command(int argc, char **argv, struct ctl_request *req)
{
	const struct ctl_cmd *found;
	char **words;
	int nwords, rc;

	memset(req, 0, sizeof(*req));
	if (argc < 1) {
		fprintf(stderr, "reliabctl: a command is needed\n");
		print_commands(stderr);
		return -1;
	}
	found = lookup_command(argv[0]);
	if (found == NULL)
		return -1;
	req->cmd = found;
	req->args = json_object();
	words = calloc((size_t)argc, sizeof(*words));
	if (req->args == NULL || words == NULL) {
		fprintf(stderr, "reliabctl: out of memory\n");
		json_decref(req->args);
		req->args = NULL;
		free(words);
		return -1;
	}
	nwords = take_json(argc - 1, argv + 1, words, &req->json);
	rc = found->parse(found, nwords, words, req);
	free(words);
	if (rc < 0) {
		json_decref(req->args);
		req->args = NULL;
		return -1;
	}
	return 0;
}
