/* `reliabctl report RUN [-o FILE]`: the run's HTML page. reliabd renders
 * it (the control socket's 64 KiB line cannot carry a page), so the CLI
 * asks for reliabd's HTTP address (`status`), fetches /run/RUN there
 * (libcurl, bounded in time and size) and writes the file: the same page
 * a browser gets.
 *
 * libcurl is loaded (dlopen) by this command only, not linked: scripts
 * run reliabctl in polling loops, and loading libcurl's thirty libraries
 * was 25 ms of CPU in every start, four fifths of it. */
#include <curl/curl.h>
#include <dlfcn.h>
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

struct page_buf {
	char *data;
	size_t len;
	int too_big;
};

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

static size_t
page_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct page_buf *b = arg;
	size_t add = size * n;
	char *p;

	if (add > PAGE_MAX - b->len) {
		b->too_big = 1;
		return 0;
	}
	p = realloc(b->data, b->len + add + 1);
	if (p == NULL)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* The libcurl functions page_get calls, resolved at run time. */
struct curl_api {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
};

/* dlsym's object pointer into a function pointer (POSIX guarantees the
 * two have one representation); -1 if the symbol is missing. */
static int
curl_sym(void *h, const char *name, void *fn, size_t size)
{
	void *p = dlsym(h, name);

	if (p == NULL || size != sizeof(p))
		return -1;
	memcpy(fn, &p, size);
	return 0;
}

#define CURL_SYM(h, api, f) \
	curl_sym((h), "curl_" #f, &(api)->f, sizeof((api)->f))

/* Loads libcurl (soname libcurl.so.4 since curl 7.16, 2006); never
 * unloaded: its TLS libraries may hold exit handlers. */
static int
curl_api_load(struct curl_api *api)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "reliabctl: report: cannot load libcurl: %s\n",
		    dlerror());
		return -1;
	}
	if (CURL_SYM(h, api, global_init) < 0 ||
	    CURL_SYM(h, api, global_cleanup) < 0 ||
	    CURL_SYM(h, api, easy_init) < 0 ||
	    CURL_SYM(h, api, easy_setopt) < 0 ||
	    CURL_SYM(h, api, easy_perform) < 0 ||
	    CURL_SYM(h, api, easy_getinfo) < 0 ||
	    CURL_SYM(h, api, easy_strerror) < 0 ||
	    CURL_SYM(h, api, easy_cleanup) < 0) {
		fprintf(stderr, "reliabctl: report: libcurl.so.4 lacks a "
				"function it should have\n");
		return -1;
	}
	return 0;
}

/* GET url into b; the HTTP status, or -1 with a message printed. */
static long
page_get(const char *url, struct page_buf *b)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_api api;
	long status = -1;
	CURLcode rc;
	CURL *c;

	if (curl_api_load(&api) < 0)
		return -1;
	if (api.global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = api.easy_init()) == NULL) {
		fprintf(stderr, "reliabctl: report: cannot start libcurl\n");
		return -1;
	}
	api.easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#else
	api.easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	api.easy_setopt(c, CURLOPT_NOPROXY, "*");
	api.easy_setopt(c, CURLOPT_TIMEOUT, (long)PAGE_TIMEOUT_S);
	api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	api.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	api.easy_setopt(c, CURLOPT_WRITEFUNCTION, page_write);
	api.easy_setopt(c, CURLOPT_WRITEDATA, b);
	rc = api.easy_perform(c);
	if (rc == CURLE_OK)
		api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "reliabctl: report: %s: %s\n", url,
		    b->too_big ? "page over 64 MiB" :
		    errbuf[0] ? errbuf : api.easy_strerror(rc));
	api.easy_cleanup(c);
	api.global_cleanup();
	return status;
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
	struct page_buf b = { 0 };
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
	status = page_get(url, &b);
	if (status != 200) {
		if (status == 404)
			fprintf(stderr, "reliabctl: report: no run %s in the "
					"journal nor a series for it\n",
			    run);
		else if (status > 0)
			fprintf(stderr, "reliabctl: report: %s: HTTP %ld: %s",
			    url, status, b.data ? b.data : "\n");
		free(b.data);
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
	free(b.data);
	return rc;
}
