/* The Toxiproxy HTTP API's front end: libmicrohttpd on its own thread,
 * which answers each request itself (routes.c), one at a time, or first
 * hands it to a resolver thread when it names hosts. What a request
 * changes on one proxy runs on that proxy's own loop (proxy.c). */
#include "ac-config.h" /* PACKAGE_VERSION */

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "addr.h"
#include "api.h"
#include "api_parse.h"
#include "log.h"
#include "names.h"
#include "proxy.h"
#include "util.h"

struct api_call {
	const char *method, *url, *body;
	size_t len;
	const struct names *names;  /* the body's host names, resolved */
	int status;
	char *resp;
	size_t resp_len;
};

/* Requests resolving host names at once, each on its own thread. */
#define API_RESOLVERS_MAX 8

struct api_server {
	struct MHD_Daemon *mhd;
	struct proxy_set *set;
	/* Held while a request runs: one at a time, so the set of proxies
	 * (its list, the names in use) changes in one place at once. Taken
	 * before mu, never while waiting on a proxy's loop for anything but
	 * the request's own work, and no proxy loop ever takes it. */
	pthread_mutex_t run_mu;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;            /* written under run_mu and mu */
	unsigned resolving;       /* resolver threads running */
	unsigned port;
};

enum upload_state {
	UP_READING,     /* the body is arriving */
	UP_RESOLVING,   /* suspended; a resolver thread has the request */
	UP_ANSWERED,    /* resumed with the answer in status/resp */
};

/* One HTTP request's upload, kept across MHD's calls. */
struct api_upload {
	char *buf;
	size_t len;
	bool too_big;
	enum upload_state state; /* upload_set_state() alone writes it */
	int status;
	char *resp;
	size_t resp_len;
};

static const char *
upload_state_text(enum upload_state st)
{
	switch (st) {
	case UP_READING:
		return "reading";
	case UP_RESOLVING:
		return "resolving";
	case UP_ANSWERED:
		return "answered";
	}
	return "unknown";
}

/* On MHD's thread or a resolver's: the hand-over between them is the
 * suspend/resume pair, so the two never write it at once. */
static void
upload_set_state(struct api_upload *up, enum upload_state st)
{
	log_debug("request %s -> %s", upload_state_text(up->state),
	    upload_state_text(st));
	up->state = st;
}

/* What a resolver thread needs: the request, copied where MHD's copy
 * could go (method and URL live as long as the connection anyway). */
struct api_job {
	struct api_server *api;
	struct MHD_Connection *conn;
	struct api_upload *up;
	char *method, *url;
};

/* Requests whose body may name addresses: creating, changing and
 * populating proxies (not toxics). */
static bool
names_wanted(const char *method, const char *url)
{
	if (strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0)
		return false;
	if (strcmp(url, "/populate") == 0)
		return true;
	return strncmp(url, "/proxies", 8) == 0 && strstr(url, "/toxics") ==
	    NULL;
}

/* MHD thread or a resolver: answers the call, after any other request
 * in progress; 503 once the server is stopping (the set may be gone). */
static void
api_call_run(struct api_server *api, struct api_call *c)
{
	pthread_mutex_lock(&api->run_mu);
	if (api->stopping) {
		c->status = 503;
	} else {
		proxy_set_names(api->set, c->names);
		c->status = api_handle(api->set, c->method, c->url, c->body,
		    c->len, &c->resp, &c->resp_len);
		proxy_set_names(api->set, NULL);
	}
	pthread_mutex_unlock(&api->run_mu);
}

/* One request. `resolve`: its body names hosts, to be resolved first
 * (names.h), on a resolver thread; else it names none and the proxies
 * get an empty table. */
static void
api_run(struct api_server *api, const char *method, const char *url,
    const char *body, size_t len, bool resolve, struct api_call *call)
{
	struct names *names = names_collect(resolve ? body : "",
	    resolve ? len : 0);

	memset(call, 0, sizeof(*call));
	if (names == NULL) {
		call->status = 500;
		return;
	}
	call->method = method;
	call->url = url;
	call->body = body;
	call->len = len;
	call->names = names;
	api_call_run(api, call);
	names_free(names);
}

/* Resolver thread: one request whose body names hosts. The connection
 * is suspended meanwhile, so the HTTP thread serves everyone else. */
static void *
resolve_main(void *arg)
{
	struct api_job *j = arg;
	struct api_server *api = j->api;
	struct api_upload *up = j->up;
	struct api_call call;

	api_run(api, j->method, j->url, up->buf ? up->buf : "", up->len,
	    true, &call);
	up->status = call.status;
	up->resp = call.resp;
	up->resp_len = call.resp_len;
	upload_set_state(up, UP_ANSWERED);
	/* Resumed before the count drops: api_server_stop waits for the
	 * count, then stops MHD, which must have no suspended connection. */
	MHD_resume_connection(j->conn);
	pthread_mutex_lock(&api->mu);
	api->resolving--;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
	free(j->method);
	free(j->url);
	free(j);
	return NULL;
}

/* Hands the request to a resolver thread and suspends its connection;
 * -1 (nothing started) when too many run or no thread can be made. */
static int
resolve_start(struct api_server *api, struct MHD_Connection *conn,
    struct api_upload *up, const char *method, const char *url)
{
	struct api_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t tid;
	int rc = -1;

	if (j == NULL || (j->method = strdup(method)) == NULL ||
	    (j->url = strdup(url)) == NULL)
		goto out;
	j->api = api;
	j->conn = conn;
	j->up = up;
	pthread_mutex_lock(&api->mu);
	if (api->stopping || api->resolving >= API_RESOLVERS_MAX) {
		pthread_mutex_unlock(&api->mu);
		goto out;
	}
	api->resolving++;
	pthread_mutex_unlock(&api->mu);
	/* Suspended before the thread exists, so its resume cannot come
	 * first. */
	upload_set_state(up, UP_RESOLVING);
	MHD_suspend_connection(conn);
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &attr, resolve_main, j) == 0 ? 0 : -1;
		pthread_attr_destroy(&attr);
	}
	if (rc == 0)
		return 0;
	log_error("cannot start a resolver thread");
	upload_set_state(up, UP_READING);
	MHD_resume_connection(conn);
	pthread_mutex_lock(&api->mu);
	api->resolving--;
	pthread_cond_broadcast(&api->cv);
	pthread_mutex_unlock(&api->mu);
out:
	if (j != NULL) {
		free(j->method);
		free(j->url);
		free(j);
	}
	return -1;
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, int status, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (body == NULL && status != 204) {
		char tmp[128];
		int n = snprintf(tmp, sizeof(tmp),
		    "{\"error\":\"%s\",\"status\":%d}",
		    status == 503 ? "shutting down" : "internal error", status);

		body = strndup(tmp, (size_t)n);
		len = body ? (size_t)n : 0;
	}
	r = MHD_create_response_from_buffer(len, body ? body : (void *)"",
	    body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	if (status != 204)
		MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct api_server *api = cls;
	struct api_upload *up = *con_cls;
	struct api_call call;
	const char *ua;
	char msg[96];
	int n;

	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL) {
			log_error("no memory for a request");
			return MHD_NO;
		}
		*con_cls = up;
		return MHD_YES;
	}
	if (up->state == UP_ANSWERED) {
		/* Resumed by its resolver thread. */
		char *resp = up->resp;

		up->resp = NULL;
		return send_reply(conn, up->status, resp, up->resp_len);
	}
	if (up->state == UP_RESOLVING)
		return MHD_YES; /* not called while suspended; harmless */
	if (*upload_data_size > 0) {
		size_t add = *upload_data_size;

		/* Read on past the cap (and drop it) so the client gets the
		 * 413 rather than a broken pipe. */
		if (!up->too_big && up->len + add > API_BODY_MAX) {
			up->too_big = true;
			free(up->buf);
			up->buf = NULL;
		}
		if (!up->too_big) {
			char *b = realloc(up->buf, up->len + add + 1);

			if (b == NULL) {
				log_error("no memory for a %zu-byte body",
				    up->len + add);
				return MHD_NO;
			}
			memcpy(b + up->len, upload_data, add);
			up->buf = b;
			up->len += add;
			up->buf[up->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->too_big) {
		n = snprintf(msg, sizeof(msg),
		    "{\"error\":\"request body too large (max %d bytes)\","
		    "\"status\":413}",
		    API_BODY_MAX);
		return send_reply(conn, 413, strndup(msg, (size_t)n),
		    (size_t)n);
	}
	ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_USER_AGENT);
	if (ua != NULL && strncmp(ua, "Mozilla/", 8) == 0) {
		/* As Toxiproxy: no browsers, so no cross-site requests. */
		n = snprintf(msg, sizeof(msg),
		    "{\"error\":\"User agent not allowed\",\"status\":403}");
		return send_reply(conn, 403, strndup(msg, (size_t)n),
		    (size_t)n);
	}
	/* No proxy's loop ever waits on a resolver, nor does this thread: a
	 * body that names hosts goes to a resolver thread. */
	if (names_wanted(method, url) &&
	    names_needed(up->buf ? up->buf : "", up->len)) {
		if (resolve_start(api, conn, up, method, url) == 0)
			return MHD_YES;
		n = snprintf(msg, sizeof(msg),
		    "{\"error\":\"too many host name lookups at once\","
		    "\"status\":503}");
		return send_reply(conn, 503, strndup(msg, (size_t)n),
		    (size_t)n);
	}
	api_run(api, method, url, up->buf ? up->buf : "", up->len, false,
	    &call);
	return send_reply(conn, call.status, call.resp, call.resp_len);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api_upload *up = *con_cls;

	if (up != NULL) {
		free(up->buf);
		free(up->resp);
		free(up);
		*con_cls = NULL;
	}
}

static int
listen_socket(const char *addr, unsigned *port, char *err, size_t errlen)
{
	struct hostport hp;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, one = 1;

	if (hostport_parse(addr, &hp, err, errlen) < 0 ||
	    hostport_resolve(&hp, &ss, &len, err, errlen) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 256) < 0) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*port = ss.ss_family == AF_INET6
	    ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct api_server *
api_server_start(const char *addr, struct proxy_set *set, char *err,
    size_t errlen)
{
	struct api_server *api = calloc(1, sizeof(*api));
	int fd;

	if (api == NULL) {
		snprintf(err, errlen, "no memory");
		return NULL;
	}
	api->set = set;
	pthread_mutex_init(&api->run_mu, NULL);
	pthread_mutex_init(&api->mu, NULL);
	pthread_cond_init(&api->cv, NULL);
	fd = listen_socket(addr, &api->port, err, errlen);
	if (fd < 0)
		goto fail;
	/* One polling thread: a request waits only for the one before it
	 * and its proxy's loop, never for another client, and slow clients
	 * cost a socket each, not a thread. A request naming hosts is suspended while a thread of its
	 * own resolves them. Idle clients are dropped after 15 s. */
	api->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
	    0, NULL, NULL, access_cb, api, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, api,
	    MHD_OPTION_CONNECTION_TIMEOUT, 15U, MHD_OPTION_CONNECTION_LIMIT,
	    2048U, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
	    MHD_OPTION_END);
	if (api->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server on %s",
		    addr);
		close(fd);
		goto fail;
	}
	return api;
fail:
	pthread_cond_destroy(&api->cv);
	pthread_mutex_destroy(&api->mu);
	pthread_mutex_destroy(&api->run_mu);
	free(api);
	return NULL;
}

unsigned
api_server_port(const struct api_server *api)
{
	return api->port;
}

void
api_server_stop(struct api_server *api)
{
	if (api == NULL)
		return;
	/* Once run_mu is ours, no request is running and any later one
	 * answers 503: the caller may free the set. */
	pthread_mutex_lock(&api->run_mu);
	pthread_mutex_lock(&api->mu);
	api->stopping = true;
	pthread_mutex_unlock(&api->run_mu);
	/* Every suspended connection is resumed before MHD stops; a thread
	 * still in the resolver is waited for (its lookup is bounded by the
	 * resolver's own timeouts). */
	while (api->resolving > 0)
		pthread_cond_wait(&api->cv, &api->mu);
	pthread_mutex_unlock(&api->mu);
	MHD_stop_daemon(api->mhd); /* closes the listening socket too */
	pthread_cond_destroy(&api->cv);
	pthread_mutex_destroy(&api->mu);
	pthread_mutex_destroy(&api->run_mu);
	free(api);
}
