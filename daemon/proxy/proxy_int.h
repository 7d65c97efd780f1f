/* What proxy.c and conn.c share and nothing else sees: a proxy, the
 * set, and the calls from the proxies into their connections.
 *
 * Threads: a proxy's listener, connections, timers and toxic chains are
 * its loop's (pxloop.h), and only that thread touches them while it
 * runs. Its spec, addresses and toxics are written only by calls run on
 * that loop for the API (proxy.c), which the API's one request at a
 * time waits for; so the API's thread reads them without a lock. The
 * set's list is the API's alone. */
#ifndef RELIABD_PROXY_PROXY_INT_H
#define RELIABD_PROXY_PROXY_INT_H

#include <stdatomic.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "proxy.h"
#include "queue.h"

struct conn;
struct metric;
struct pxloop;
struct metric_family;

struct toxic {
	struct toxic_spec spec;
};
struct proxy {
	TAILQ_ENTRY(proxy) link;
	struct proxy_set *set;
	struct pxloop *loop;     /* its own thread and loop */
	struct event_base *base; /* the loop's */
	uint64_t rng;            /* lib/rng.h state for its draws; never 0 */
	struct proxy_spec spec;
	struct sockaddr_storage up;
	socklen_t uplen;
	struct evconnlistener *lev;
	/* The listen address as last resolved or bound, and the spec string
	 * it belongs to: binding that string again (re-enabling, /reset, a
	 * rollback) needs no resolver, and may come in a request that does
	 * not name it. */
	struct sockaddr_storage la;
	socklen_t lalen;
	char la_str[sizeof(((struct proxy_spec *)0)->listen)];
	struct event *retry; /* re-enables accept after EMFILE */
	struct toxic *tx[PROXY_TOXICS_MAX];
	size_t ntx;
	TAILQ_HEAD(, conn) conns;
	struct metric *m_conns, *m_conns_total, *m_bytes[STREAM_COUNT];
	struct metric *m_toxics, *m_enabled;
};

struct proxy_set {
	uint64_t rng;                /* lib/rng.h state; never 0 */
	TAILQ_HEAD(, proxy) proxies;
	size_t n;
	_Atomic size_t nconns;       /* over every proxy's thread */
	size_t max_conns;
	struct metric_family *f_conns, *f_conns_total, *f_bytes, *f_toxics;
	struct metric_family *f_enabled;
	/* The request being handled: its names, resolved off the loop
	 * (NULL before the loop runs, when resolving may block). */
	const struct names *names;
};

/* evconnlistener's callback: a client came; connects to the upstream. */
void conn_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
/* Closes every connection of px. */
void conns_close(struct proxy *px);
/* The toxics and enabled gauges, from px as it stands (on its loop). */
void proxy_metrics_update(struct proxy *px);
/* A toxic added, changed or removed: applied to every open connection. */
void conns_toxic_add(struct proxy *px, const struct toxic_spec *spec);
void conns_toxic_update(struct proxy *px, const struct toxic_spec *spec);
void conns_toxic_remove(struct proxy *px, const struct toxic_spec *spec);

#endif
