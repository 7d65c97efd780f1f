/* Proxies: the set, each proxy's listener and its JSON. Their
 * connections are conn.c's, their toxics proxy_toxics.c's.
 *
 * Threads: each proxy runs on its own thread and event loop (pxloop.h),
 * so one proxy's work (m1's connection churn, its delayed writes) never
 * holds up another's bytes, as Toxiproxy's goroutines do not. The
 * process has one thread per proxy, plus the main thread (signals,
 * /metrics), the API's HTTP thread, and a short-lived thread per API
 * request that names hosts (api.c, at most 8).
 *
 * The API calls the functions below one request at a time (api.c). What
 * changes a proxy (proxy_apply, toxics) runs on that proxy's loop
 * through pxloop_call, which waits for it: the loop owns the listener
 * and the connections, so no lock is taken on the data path and a
 * request waits at most for the loop's current callback. Creating
 * (before the thread starts) and deleting (after it is joined) happen on
 * the API's thread, which alone changes the set's list. Reads (JSON,
 * lookups) need no call: a proxy's loop writes its spec and toxics only
 * in a call the API waits for. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "addr.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "proxy_int.h"
#include "pxloop.h"
#include "queue.h"
#include "rng.h"
#include "util.h"

const char *
proxy_state_text(enum proxy_state s)
{
	switch (s) {
	case PROXY_DISABLED:
		return "disabled";
	case PROXY_LISTENING:
		return "listening";
	}
	return "unknown";
}

/* --- listeners --- */

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *px = arg;

	if (px->lev)
		evconnlistener_enable(px->lev);
}

static void
listener_error_cb(struct evconnlistener *lev, void *arg)
{
	struct proxy *px = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, 100000 };

	log_warn("%s: accept: %s", px->spec.name, strerror(e));
	/* Out of fds: pause accepting instead of spinning. */
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		evconnlistener_disable(lev);
		evtimer_add(px->retry, &tv);
	}
}

/* `listen` as an address: the remembered one if it is that string,
 * else resolved (off the loop: names.h). 0, or -1 with a 400 in err. */
static int
listen_resolve(const struct proxy *px, const char *listen,
    struct hostport *hp, struct sockaddr_storage *ss, socklen_t *len,
    struct api_error *err)
{
	char e[256];

	*len = sizeof(*ss);
	if (hostport_parse(listen, hp, e, sizeof(e)) < 0)
		goto bad;
	if (px->lalen > 0 && strcmp(listen, px->la_str) == 0) {
		*ss = px->la;
		*len = px->lalen;
		return 0;
	}
	if (names_resolve(px->set->names, hp, ss, len, e, sizeof(e)) == 0)
		return 0;
bad:
	api_error_set(err, 400, "bad request body: listen: %s", e);
	return -1;
}

static void
listen_remember(struct proxy *px, const struct sockaddr_storage *ss,
    socklen_t len, const char *listen)
{
	px->la = *ss;
	px->lalen = len;
	strlcpy_r(px->la_str, listen, sizeof(px->la_str));
}

/* Binds `listen`; on success *actual gets "host:boundport". */
static struct evconnlistener *
proxy_bind(struct proxy *px, const char *listen, char *actual, size_t size,
    struct api_error *err)
{
	struct hostport hp;
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *lev;

	if (listen_resolve(px, listen, &hp, &ss, &len, err) < 0)
		return NULL;
	lev = evconnlistener_new_bind(px->base, conn_accept_cb, px,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    1024, (struct sockaddr *)&ss, (int)len);
	if (lev == NULL) {
		api_error_set(err, 500, "listen tcp %s: %s", listen,
		    strerror(errno));
		log_warn("%s: %s", px->spec.name, err->msg);
		return NULL;
	}
	evconnlistener_set_error_cb(lev, listener_error_cb);
	len = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss,
		&len) == 0) {
		unsigned port = ss.ss_family == AF_INET6
		    ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		    : ntohs(((struct sockaddr_in *)&ss)->sin_port);

		hostport_format(hp.host, port, actual, size);
	} else {
		strlcpy_r(actual, listen, size);
		len = 0; /* unknown port: resolve again next time */
	}
	if (len > 0)
		listen_remember(px, &ss, len, actual);
	return lev;
}

static int
resolve_upstream(const struct proxy_set *set, const char *upstream,
    struct sockaddr_storage *ss, socklen_t *len, struct api_error *err)
{
	struct hostport hp;
	char e[256];

	*len = sizeof(*ss);
	if (hostport_parse(upstream, &hp, e, sizeof(e)) < 0 ||
	    names_resolve(set->names, &hp, ss, len, e, sizeof(e)) < 0) {
		api_error_set(err, 400, "bad request body: upstream: %s", e);
		return -1;
	}
	return 0;
}

/* --- the set --- */

struct proxy_set *
proxy_set_new(struct event_base *base, uint64_t seed,
    struct metrics_registry *reg)
{
	struct proxy_set *set;
	struct rlimit rl;

	(void)base; /* each proxy has a loop of its own */
	/* Every proxy's base is woken from the API's thread. Done already
	 * by a worker started with WORKER_THREADS; doing it again with the
	 * same callbacks is allowed, and covers a caller that did not. */
	if (evthread_use_pthreads() < 0) {
		log_error("libevent has no thread support");
		return NULL;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL) {
		log_error("no memory");
		return NULL;
	}
	/* xorshift64* must not start at 0, which --seed=0 would give. */
	set->rng = seed ^ 0x9e3779b97f4a7c15ULL;
	if (set->rng == 0)
		set->rng = 1;
	atomic_init(&set->nconns, 0);
	TAILQ_INIT(&set->proxies);
	/* Two fds a connection; keep some for the API and metrics. */
	set->max_conns = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		set->max_conns = rl.rlim_cur > 256 ? (rl.rlim_cur - 128) / 2 : 64;
	set->f_conns = metrics_gauge(reg, "toxiproxy_connections",
	    "Client connections open through the proxy.", "proxy");
	set->f_conns_total = metrics_counter(reg,
	    "toxiproxy_connections_total",
	    "Client connections accepted by the proxy.", "proxy");
	set->f_bytes = metrics_counter(reg, "toxiproxy_bytes_total",
	    "Bytes forwarded, by direction (upstream: client to server).",
	    "proxy,direction");
	set->f_toxics = metrics_gauge(reg, "toxiproxy_toxics_active",
	    "Toxics configured on the proxy.", "proxy");
	set->f_enabled = metrics_gauge(reg, "toxiproxy_proxy_enabled",
	    "1 when the proxy is enabled (listening), else 0.", "proxy");
	if (!set->f_conns || !set->f_conns_total || !set->f_bytes ||
	    !set->f_toxics || !set->f_enabled) {
		log_error("cannot declare the metrics");
		free(set);
		return NULL;
	}
	return set;
}

void
proxy_set_names(struct proxy_set *set, const struct names *names)
{
	set->names = names;
}

size_t
proxy_count(const struct proxy_set *set)
{
	return set->n;
}

struct proxy *
proxy_find(struct proxy_set *set, const char *name)
{
	struct proxy *px;

	TAILQ_FOREACH(px, &set->proxies, link)
		if (strcmp(px->spec.name, name) == 0)
			return px;
	return NULL;
}

void
proxy_get_spec(const struct proxy *px, struct proxy_spec *out)
{
	*out = px->spec;
}

struct proxy *
proxy_create(struct proxy_set *set, const struct proxy_spec *spec,
    struct api_error *err)
{
	struct proxy *px;
	const char *n = spec->name;

	if (proxy_find(set, spec->name)) {
		api_error_set(err, 409, "proxy already exists");
		return NULL;
	}
	if (set->n >= API_PROXIES_MAX) {
		api_error_set(err, 400, "too many proxies (max %d)",
		    API_PROXIES_MAX);
		return NULL;
	}
	px = calloc(1, sizeof(*px));
	if (px == NULL) {
		api_error_set(err, 500, "out of memory");
		return NULL;
	}
	px->set = set;
	px->spec = *spec;
	TAILQ_INIT(&px->conns);
	/* Its own draws, as its thread makes them: from the set's state as
	 * it stands (so a lone proxy draws what the one shared sequence
	 * gave), then the set's state jumps to a scrambled draw (odd, so
	 * never 0): not one step on, which would make the next proxy's
	 * sequence this one's shifted by one. */
	px->rng = set->rng;
	set->rng = rng_next(&set->rng) | 1;
	/* Set up from this thread until pxloop_start. */
	px->loop = pxloop_new();
	if (px->loop == NULL) {
		api_error_set(err, 500, "out of memory");
		free(px);
		return NULL;
	}
	px->base = pxloop_base(px->loop);
	px->retry = evtimer_new(px->base, retry_cb, px);
	px->m_conns = metric_get(set->f_conns, n);
	px->m_conns_total = metric_get(set->f_conns_total, n);
	px->m_bytes[STREAM_UPSTREAM] = metric_get(set->f_bytes, n, "upstream");
	px->m_bytes[STREAM_DOWNSTREAM] = metric_get(set->f_bytes, n,
	    "downstream");
	px->m_toxics = metric_get(set->f_toxics, n);
	px->m_enabled = metric_get(set->f_enabled, n);
	if (px->retry == NULL || !px->m_conns || !px->m_conns_total ||
	    !px->m_bytes[0] || !px->m_bytes[1] || !px->m_toxics ||
	    !px->m_enabled) {
		api_error_set(err, 500, "out of memory");
		goto fail;
	}
	if (resolve_upstream(set, spec->upstream, &px->up, &px->uplen, err) < 0)
		goto fail;
	if (spec->enabled) {
		px->lev = proxy_bind(px, spec->listen, px->spec.listen,
		    sizeof(px->spec.listen), err);
		if (px->lev == NULL)
			goto fail;
	} else {
		struct hostport hp;
		struct sockaddr_storage ss;
		socklen_t len;

		if (listen_resolve(px, spec->listen, &hp, &ss, &len, err) < 0)
			goto fail;
		listen_remember(px, &ss, len, spec->listen);
	}
	if (pxloop_start(px->loop, n) < 0) {
		api_error_set(err, 500, "cannot start the proxy's thread");
		goto fail;
	}
	metric_set(px->m_conns, 0);
	TAILQ_INSERT_TAIL(&set->proxies, px, link);
	set->n++;
	proxy_metrics_update(px);
	log_info("proxy %s: %s -> %s%s", px->spec.name, px->spec.listen,
	    px->spec.upstream, px->spec.enabled ? "" : " (disabled)");
	return px;
fail:
	if (px->lev)
		evconnlistener_free(px->lev);
	if (px->retry)
		event_free(px->retry);
	pxloop_free(px->loop);
	free(px);
	return NULL;
}

/* A request's work on one proxy, run on its loop (pxloop_call). */
struct px_job {
	struct proxy *px;
	const struct proxy_spec *spec;
	struct api_error *err;
	int rc;
};

/* On px's loop: proxy_apply. */
static int
apply_on_loop(struct proxy *px, const struct proxy_spec *spec,
    struct api_error *err)
{
	struct proxy_spec next = *spec;
	struct sockaddr_storage up = px->up;
	socklen_t uplen = px->uplen;
	bool listen_changed = strcmp(spec->listen, px->spec.listen) != 0;
	bool up_changed = strcmp(spec->upstream, px->spec.upstream) != 0;
	struct evconnlistener *lev = NULL;

	struct sockaddr_storage la;
	socklen_t lalen = 0;

	strlcpy_r(next.name, px->spec.name, sizeof(next.name));
	if (up_changed && resolve_upstream(px->set, spec->upstream, &up, &uplen,
			      err) < 0)
		return -1;
	if (!spec->enabled && listen_changed) {
		struct hostport hp;

		/* Resolved now, while the request names it: a later
		 * re-enable may not. */
		if (listen_resolve(px, spec->listen, &hp, &la, &lalen, err) < 0)
			return -1;
	}
	if (spec->enabled && (px->lev == NULL || listen_changed)) {
		lev = proxy_bind(px, spec->listen, next.listen,
		    sizeof(next.listen), err);
		if (lev == NULL && px->lev != NULL) {
			/* The old listener may hold the same address: retry
			 * without it, and put it back if that fails too. */
			char old[sizeof(px->spec.listen)];
			struct api_error e2;

			evconnlistener_free(px->lev);
			px->lev = NULL;
			lev = proxy_bind(px, spec->listen, next.listen,
			    sizeof(next.listen), err);
			if (lev == NULL) {
				px->lev = proxy_bind(px, px->spec.listen, old,
				    sizeof(old), &e2);
				if (px->lev == NULL) {
					/* Say so rather than claim a listener
					 * that is gone. */
					log_warn("%s: cannot listen on %s again: "
					    "%s; disabled", px->spec.name,
					    px->spec.listen, e2.msg);
					conns_close(px);
					px->spec.enabled = false;
					proxy_metrics_update(px);
				}
				return -1;
			}
		}
		if (lev == NULL)
			return -1;
	}
	/* Committed: nothing below fails. */
	if (!spec->enabled || listen_changed || up_changed)
		conns_close(px);
	if ((!spec->enabled || lev != NULL) && px->lev) {
		evconnlistener_free(px->lev);
		px->lev = NULL;
	}
	if (lev)
		px->lev = lev;
	else if (!spec->enabled)
		strlcpy_r(next.listen, spec->listen, sizeof(next.listen));
	else
		strlcpy_r(next.listen, px->spec.listen, sizeof(next.listen));
	px->spec = next;
	px->up = up;
	px->uplen = uplen;
	if (lalen > 0)
		listen_remember(px, &la, lalen, next.listen);
	proxy_metrics_update(px);
	return 0;
}

static void
apply_job(void *arg)
{
	struct px_job *j = arg;

	j->rc = apply_on_loop(j->px, j->spec, j->err);
}

int
proxy_apply(struct proxy *px, const struct proxy_spec *spec,
    struct api_error *err)
{
	struct px_job j = { .px = px, .spec = spec, .err = err };

	pxloop_call(px->loop, apply_job, &j);
	return j.rc;
}

void
proxy_delete(struct proxy *px)
{
	struct proxy_set *set = px->set;
	const char *n = px->spec.name;

	/* Its thread gone, everything on its base is this thread's. */
	pxloop_stop(px->loop);
	conns_close(px);
	if (px->lev)
		evconnlistener_free(px->lev);
	event_free(px->retry);
	pxloop_free(px->loop);
	for (size_t i = 0; i < px->ntx; i++)
		free(px->tx[i]);
	metric_hide(set->f_conns, n);
	metric_hide(set->f_conns_total, n);
	metric_hide(set->f_bytes, n, "upstream");
	metric_hide(set->f_bytes, n, "downstream");
	metric_hide(set->f_toxics, n);
	metric_hide(set->f_enabled, n);
	TAILQ_REMOVE(&set->proxies, px, link);
	set->n--;
	free(px);
}

/* --- JSON --- */

json_t *
proxy_to_json(const struct proxy *px)
{
	json_t *tx = proxy_toxics_json(px);

	if (tx == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", px->spec.name,
	    "listen", px->spec.listen, "upstream", px->spec.upstream,
	    "enabled", px->spec.enabled, "toxics", tx);
}

json_t *
proxy_set_json(const struct proxy_set *set)
{
	json_t *o = json_object();
	struct proxy *px;

	if (o == NULL)
		return NULL;
	TAILQ_FOREACH(px, &set->proxies, link) {
		if (json_object_set_new(o, px->spec.name, proxy_to_json(px)) <
		    0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *
proxy_populate(struct proxy_set *set, const struct proxy_spec *specs,
    size_t n, struct api_error *err)
{
	json_t *a = json_array();

	err->status = 0;
	if (a == NULL) {
		api_error_set(err, 500, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct proxy *px = proxy_find(set, specs[i].name);

		/* Same name and addresses: left as it is, enabled or not and
		 * its toxics kept, as Toxiproxy 2.x does; re-declaring a lab's
		 * proxies must not undo a fault in progress. */
		bool same = px != NULL &&
		    strcmp(px->spec.listen, specs[i].listen) == 0 &&
		    strcmp(px->spec.upstream, specs[i].upstream) == 0;

		if (!same) {
			if (px)
				proxy_delete(px);
			px = proxy_create(set, &specs[i], err);
			if (px == NULL)
				break;
		}
		if (json_array_append_new(a, proxy_to_json(px)) < 0) {
			api_error_set(err, 500, "out of memory");
			break;
		}
	}
	return a;
}

int
proxy_set_reset(struct proxy_set *set, struct api_error *err)
{
	struct proxy *px;
	int rc = 0;

	TAILQ_FOREACH(px, &set->proxies, link) {
		while (px->ntx > 0)
			toxic_remove(px, px->tx[px->ntx - 1]);
		if (!px->spec.enabled) {
			struct proxy_spec sp = px->spec;

			sp.enabled = true;
			if (proxy_apply(px, &sp, err) < 0)
				rc = -1;
		}
	}
	return rc;
}

void
proxy_set_shutdown(struct proxy_set *set)
{
	struct proxy *px;

	while ((px = TAILQ_FIRST(&set->proxies)) != NULL)
		proxy_delete(px);
}

void
proxy_set_free(struct proxy_set *set)
{
	if (set == NULL)
		return;
	proxy_set_shutdown(set);
	free(set);
}
