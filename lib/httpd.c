/* GET /metrics over libmicrohttpd, on MHD's own polling thread; other
 * paths go to a page handler when one is set. */
#include "httpd.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "metrics.h"

#define HTTPD_CONNECTION_LIMIT 64
#define HTTPD_CONNECTION_TIMEOUT 10 /* seconds */

struct metrics_server {
	struct MHD_Daemon *mhd;
	struct metrics_registry *reg;
	httpd_page_fn page_fn;
	void *page_arg;
	unsigned port;
};

static void
httpd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_msg(LOG_LVL_WARN, "libmicrohttpd", "%s", buf);
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* A path with %00 stays undecoded: decoded, it would end early and name
 * another page than the one asked for. */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	if (strstr(s, "%00") != NULL)
		return strlen(s);
	return MHD_http_unescape(s);
}

/* A page from the handler; its body is freed by MHD. */
static enum MHD_Result
reply_page(struct metrics_server *srv, struct MHD_Connection *c,
    const char *url)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	const char *type = "text/plain; charset=utf-8";
	char *body = NULL;
	size_t len = 0;
	unsigned status;

	status = srv->page_fn(srv->page_arg, url, &body, &len, &type);
	if (body == NULL)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int first_seen;
	struct metrics_server *srv = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;
	size_t len;
	char *body;

	/* Anything but GET/HEAD is refused at once, before any body. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		if (*con_cls != NULL)
			return MHD_NO;
		*con_cls = &first_seen;
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	}
	if (*con_cls == NULL) {
		*con_cls = &first_seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/* A GET with a body: ignore the body. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (url != NULL && strcmp(url, "/metrics") != 0 && srv->page_fn)
		return reply_page(srv, c, url);
	if (url == NULL || strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND,
		    "not found; try /metrics\n");
	body = metrics_render(srv->reg, &len);
	if (body == NULL)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot render metrics\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    METRICS_CONTENT_TYPE);
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

struct metrics_server *
metrics_server_start(const char *addr, struct metrics_registry *reg,
    char *err, size_t errlen)
{
	return metrics_server_start_pages(addr, reg, NULL, NULL, err, errlen);
}

struct metrics_server *
metrics_server_start_pages(const char *addr, struct metrics_registry *reg,
    httpd_page_fn fn, void *arg, char *err, size_t errlen)
{
	struct metrics_server *srv;
	struct hostport hp;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_AUTO;
	char msg[300];

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (reg == NULL || addr == NULL) {
		snprintf(err, errlen, "no registry or address");
		return NULL;
	}
	if (hostport_parse(addr, &hp, msg, sizeof(msg)) < 0 ||
	    hostport_resolve(&hp, &ss, &sslen, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "metrics address %s", msg);
		log_error("%s", err);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		log_error("%s", err);
		return NULL;
	}
	srv->reg = reg;
	srv->page_fn = fn;
	srv->page_arg = arg;
	errno = 0;
	/* MHD makes its sockets close-on-exec itself (SOCK_CLOEXEC,
	 * accept4) and sets SO_REUSEADDR; never LISTENING_ADDRESS_REUSE,
	 * which is SO_REUSEPORT: a second server would share the port. */
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_CONNECTION_TIMEOUT,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", addr,
		    errno != 0 ? strerror(errno) : "libmicrohttpd failed");
		log_error("%s", err);
		free(srv);
		return NULL;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : hp.port;
	return srv;
}

unsigned
metrics_server_port(const struct metrics_server *srv)
{
	return srv != NULL ? srv->port : 0;
}

void
metrics_server_stop(struct metrics_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->mhd);
	free(srv);
}
