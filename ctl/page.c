/* `reliabctl report RUN [-o FILE]`: the run's HTML page. reliabd renders
 * it (the control socket's 64 KiB line cannot carry a page), so the CLI
 * asks for reliabd's HTTP address (`status`), fetches /run/RUN there
 * (fetch.c: libcurl, loaded for this, bounded in time and size) and
 * writes the file: the same page a browser gets. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reliabctl.h"
#include "report/series.h"
#include "util.h"

#define PAGE_MAX (64 * 1024 * 1024)
#define PAGE_TIMEOUT_S 60
#define STATUS_TIMEOUT_MS 15000

int
parse_report(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req)
{
	const char *run = NULL, *out = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 ||
		    strcmp(argv[i], "--output") == 0) {
			if (i + 1 >= argc || out != NULL)
				goto usage;
			out = argv[++i];
		} else if (argv[i][0] == '-' || run != NULL) {
			goto usage;
		} else {
			run = argv[i];
		}
	}
	if (run == NULL)
		goto usage;
	if (!series_run_id_ok(run)) {
		fprintf(stderr, "reliabctl: report: bad run id \"%s\": "
				"letters, digits, '.', '_' and '-', at most %d, "
				"not starting with '.'\n",
		    run, SERIES_RUN_ID_MAX);
		return -1;
	}
	json_object_set_new(req->args, "run", json_string(run));
	if (out != NULL)
		json_object_set_new(req->args, "output", json_string(out));
	return 0;
usage:
	fprintf(stderr, "reliabctl: report: expected %s\n", cmd->usage);
	return -1;
}

static int
write_file(const char *path, const char *data, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		return fwrite(data, 1, len, stdout) == len &&
		    fflush(stdout) == 0 ? 0 : -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

int
report_page_fetch(struct ctl_client *cl, const struct ctl_request *req,
    int json)
{
	const char *run = json_string_value(json_object_get(req->args, "run"));
	const char *out = json_string_value(json_object_get(req->args,
	    "output"));
	const char *addr;
	char url[512], path[PATH_MAX], defname[SERIES_RUN_ID_MAX + 8];
	struct fetch_body b;
	json_t *reply;
	long status;
	int rc = EXIT_OK;

	reply = client_call(cl, "status", NULL, STATUS_TIMEOUT_MS);
	if (reply == NULL)
		return EXIT_UNREACHABLE;
	addr = json_string_value(json_object_get(json_object_get(reply,
	    "result"), "metrics"));
	if (addr == NULL || *addr == '\0' || strlen(addr) > 300) {
		fprintf(stderr, "reliabctl: report: reliabd serves no HTTP "
				"(set [daemon] metrics in its config)\n");
		json_decref(reply);
		return EXIT_REFUSED;
	}
	snprintf(url, sizeof(url), "http://%s/run/%s", addr, run);
	json_decref(reply);
	status = fetch_get("report", url, PAGE_MAX, PAGE_TIMEOUT_S, &b);
	if (status != 200) {
		if (status == 404)
			fprintf(stderr, "reliabctl: report: no run %s in the "
					"journal nor a series for it\n",
			    run);
		else if (status > 0)
			fprintf(stderr, "reliabctl: report: %s: HTTP %ld: %s",
			    url, status, b.data ? b.data : "\n");
		fetch_body_free(&b);
		return status > 0 ? EXIT_REFUSED : EXIT_UNREACHABLE;
	}
	if (out == NULL) {
		snprintf(defname, sizeof(defname), "%s.html", run);
		out = defname;
	}
	if (write_file(out, b.data ? b.data : "", b.len) < 0) {
		fprintf(stderr, "reliabctl: report: %s: %s\n", out,
		    strerror(errno));
		rc = EXIT_REFUSED;
	} else if (strcmp(out, "-") != 0) {
		if (realpath(out, path) == NULL)
			strlcpy_r(path, out, sizeof(path));
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:I}", "run", run,
			    "path", path, "bytes", (json_int_t)b.len);
			char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(o);
		} else {
			printf("%s\n", path);
		}
	}
	fetch_body_free(&b);
	return rc;
}
