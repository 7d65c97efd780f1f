/* `reliabctl check-client URL`, with no daemon: is the program serving
 * URL a client the lab can judge? Fetched as the scenario worker scrapes
 * a client (http only, the worker's body limit), read by scrape_check.c,
 * printed by scrape_print.c. Exit 0: a client; 1: the URL answers but
 * serves no memcache_operations_total; 3: it could not be fetched. */
#include <stdio.h>
#include <stdlib.h>

#include "reliabctl.h"
#include "scrape_check.h"
#include "scrape_url.h"

/* A scrape is bounded as the worker bounds its own (PROM_INPUT_MAX), in
 * a time a person waits. */
#define CHECK_TIMEOUT_S 5L

int
parse_check_client(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	struct scrape_url u;
	char err[256], url[SCRAPE_URL_MAX + ADDR_HOST_MAX];

	if (argc != 1 || argv[0][0] == '-') {
		fprintf(stderr, "reliabctl: check-client: expected %s, as "
				"http://HOST:PORT/PATH or HOST:PORT\n",
		    cmd->usage);
		return -1;
	}
	if (scrape_url_parse(argv[0], &u, err, sizeof err) < 0) {
		fprintf(stderr, "reliabctl: check-client: bad URL: %s; "
				"expected http://HOST:PORT/PATH or HOST:PORT\n",
		    err);
		return -1;
	}
	if (u.hp.port == 0) {
		fprintf(stderr, "reliabctl: check-client: bad URL: port "
				"0; a client serves on a port of its own\n");
		return -1;
	}
	scrape_url_format(&u, url, sizeof url);
	if (json_object_set_new(req->args, "url", json_string(url)) < 0) {
		fprintf(stderr, "reliabctl: out of memory\n");
		return -1;
	}
	return 0;
}

int
run_check_client(const struct ctl_request *req, int json)
{
	const char *url = json_string_value(json_object_get(req->args, "url"));
	struct scrape_check *c = NULL;
	struct fetch_body b;
	json_t *r = NULL;
	long status;
	int rc = EXIT_UNREACHABLE;

	status = fetch_get("check-client", url, PROM_INPUT_MAX,
	    CHECK_TIMEOUT_S, &b);
	if (status != 200) {
		if (status > 0)
			fprintf(stderr, "reliabctl: check-client: %s: HTTP "
					"%ld, not 200\n",
			    url, status);
		goto out;
	}
	if ((c = malloc(sizeof *c)) == NULL ||
	    scrape_check_parse(b.data ? b.data : "", b.len, c) < 0 ||
	    (r = scrape_result(url, c)) == NULL) {
		fprintf(stderr, "reliabctl: check-client: out of memory\n");
		goto out;
	}
	if (json)
		print_json(r);
	else
		scrape_print(stdout, r);
	fflush(stdout);
	rc = c->client ? EXIT_OK : EXIT_NOT_CLIENT;
out:
	json_decref(r);
	free(c);
	fetch_body_free(&b);
	return rc;
}
