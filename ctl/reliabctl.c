/* reliabctl: drives reliabd over its control socket. Human output by
 * default, --json for scripts; exit codes in reliabctl(8). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac-config.h"
#include "proto.h"
#include "reliabctl.h"

#define CALL_TIMEOUT_MS 15000

void
print_json(const json_t *v)
{
	/* One line, as reliabctl(8) says: a script reads it whole. */
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(15));

	if (s)
		printf("%s\n", s);
	free(s);
}

static int
watch_events(struct ctl_client *cl, int json)
{
	for (;;) {
		json_t *ev = client_read(cl, -1);

		if (ev == NULL)
			return EXIT_OK; /* the daemon went away */
		if (json) {
			char *s = json_dumps(ev, JSON_COMPACT);

			if (s)
				printf("%s\n", s);
			fflush(stdout);
			free(s);
		} else if (json_object_get(ev, "event")) {
			print_event(ev);
		}
		json_decref(ev);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("RELIABD_SOCKET");
	struct ctl_request req;
	struct ctl_client cl;
	json_t *reply, *result;
	int ch, json = 0, rc;

	if (sock == NULL || *sock == '\0')
		sock = RELIABCTL_SOCKET;
	/* "+": options stop at the command word; its own follow it. */
	while ((ch = getopt_long(argc, argv, "+s:jVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("reliabctl %s (protocol %d)\n", PACKAGE_VERSION,
			    PROTO_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (parse_command(argc - optind, argv + optind, &req) < 0)
		return EXIT_USAGE;
	json |= req.json;
	if (req.cmd->local) {
		rc = req.cmd->local(&req, json);
		json_decref(req.args);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	if (client_connect(&cl, sock) < 0) {
		json_decref(req.args);
		return EXIT_UNREACHABLE;
	}
	if (req.cmd->drive) {
		rc = req.cmd->drive(&cl, &req, json);
		json_decref(req.args);
		client_close(&cl);
		return rc;
	}
	/* Watching first, so no event of the run is missed. */
	if (req.wait || strcmp(req.cmd->proto, "watch") == 0) {
		reply = client_call(&cl, "watch", NULL, CALL_TIMEOUT_MS);
		if (reply == NULL || !json_is_true(json_object_get(reply, "ok"))) {
			fprintf(stderr, "reliabctl: reliabd refused to stream "
					"events\n");
			json_decref(reply);
			json_decref(req.args);
			client_close(&cl);
			return EXIT_REFUSED;
		}
		json_decref(reply);
		if (strcmp(req.cmd->proto, "watch") == 0) {
			json_decref(req.args);
			rc = watch_events(&cl, json);
			client_close(&cl);
			return rc;
		}
	}
	reply = client_call(&cl, req.cmd->proto, req.args, CALL_TIMEOUT_MS);
	json_decref(req.args);
	if (reply == NULL) {
		client_close(&cl);
		return EXIT_UNREACHABLE;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const json_t *e = json_object_get(reply, "error");

		if (json)
			print_json(reply);
		else {
			const char *m = json_string_value(
			    json_object_get(e, "message"));
			const char *c = json_string_value(
			    json_object_get(e, "code"));

			fprintf(stderr, "reliabctl: %s: %s (%s)\n",
			    req.cmd->name, m ? m : "error", c ? c : "?");
		}
		json_decref(reply);
		client_close(&cl);
		return EXIT_REFUSED;
	}
	result = json_object_get(reply, "result");
	if (json)
		print_json(result);
	else
		req.cmd->print(result);
	fflush(stdout);
	rc = EXIT_OK;
	if (req.wait)
		rc = wait_for_runs(&cl, sock,
		    json_string_value(json_object_get(result, "run")), json);
	json_decref(reply);
	client_close(&cl);
	return rc;
}
