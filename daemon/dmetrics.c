/* reliabd's own /metrics (children up, restarts, last exit) and the
 * Prometheus file_sd target file listing every metrics port. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "reliabd.h"
#include "scrape_url.h"
#include "util.h"
#include "web.h"

static struct metric_family *f_up, *f_restarts, *f_last_exit, *f_state;

int
dmetrics_start(struct reliabd *d, char *err, size_t errlen)
{
	struct metric_family *f_conns, *f_req;

	d->reg = metrics_registry_new();
	if (d->reg == NULL || metrics_register_process(d->reg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f_up = metrics_gauge(d->reg, "reliabd_child_up",
	    "Whether the child is running (1) or not (0).", "child,kind");
	f_restarts = metrics_counter(d->reg, "reliabd_child_restarts_total",
	    "Times reliabd restarted the child.", "child,kind");
	f_last_exit = metrics_gauge(d->reg, "reliabd_child_last_exit_status",
	    "The child's last exit: its exit code, or 128 plus the signal "
	    "that killed it; -1 before any exit.",
	    "child,kind");
	f_state = metrics_gauge(d->reg, "reliabd_child_state",
	    "1 for the child's current supervision state.", "child,state");
	f_conns = metrics_gauge(d->reg, "reliabd_control_connections",
	    "Open control socket connections.", NULL);
	f_req = metrics_counter(d->reg, "reliabd_control_requests_total",
	    "Control requests answered, by outcome.", "status");
	if (!f_up || !f_restarts || !f_last_exit || !f_state || !f_conns ||
	    !f_req) {
		snprintf(err, errlen, "cannot declare metrics");
		return -1;
	}
	d->m_conns = metric_get(f_conns);
	d->m_requests_ok = metric_get(f_req, "ok");
	d->m_requests_err = metric_get(f_req, "error");
	/* The listener serves the report pages too (web.c). */
	if (web_init(d->cfg.state_dir) < 0) {
		snprintf(err, errlen, "state directory name too long");
		return -1;
	}
	d->msrv = metrics_server_start_pages(d->cfg.metrics, d->reg, web_page,
	    NULL, err, errlen);
	if (d->msrv == NULL)
		return -1;
	{
		struct hostport hp;
		char e2[64];

		if (hostport_parse(d->cfg.metrics, &hp, e2, sizeof(e2)) == 0)
			hostport_format(hp.host, metrics_server_port(d->msrv),
			    d->metrics_live, sizeof(d->metrics_live));
	}
	return 0;
}

void
dmetrics_stop(struct reliabd *d)
{
	if (d->msrv)
		metrics_server_stop(d->msrv);
	d->msrv = NULL;
	if (d->reg)
		metrics_registry_free(d->reg);
	d->reg = NULL;
}

void
dmetrics_child(struct reliabd *d, struct child *c)
{
	const char *kind = kind_text(c->kind);
	static const enum child_state states[] = { CHILD_STOPPED,
		CHILD_STARTING, CHILD_RUNNING, CHILD_BACKOFF, CHILD_STOPPING,
		CHILD_HELD, CHILD_FATAL };

	if (d->reg == NULL)
		return;
	if (c->m_up == NULL) {
		c->m_up = metric_get(f_up, c->name, kind);
		c->m_restarts = metric_get(f_restarts, c->name, kind);
		c->m_last_exit = metric_get(f_last_exit, c->name, kind);
		if (c->m_last_exit)
			metric_set(c->m_last_exit, -1);
	}
	if (c->m_up)
		metric_set(c->m_up, c->state == CHILD_RUNNING);
	if (c->m_restarts)
		metric_add(c->m_restarts,
		    (double)c->restarts - metric_value(c->m_restarts));
	if (c->m_last_exit && c->exited)
		metric_set(c->m_last_exit,
		    WIFEXITED(c->last_status) ? WEXITSTATUS(c->last_status)
		    : WIFSIGNALED(c->last_status)
			? 128 + WTERMSIG(c->last_status)
			: -1);
	for (size_t i = 0; i < NELEM(states); i++) {
		struct metric *m = metric_get(f_state, c->name,
		    child_state_text(states[i]));

		if (m)
			metric_set(m, c->state == states[i]);
	}
}

/* A client's loadgen also carries client="NAME": every client exports
 * the same metric names, told apart by this target label. */
static json_t *
target(const char *addr, const struct child *c)
{
	struct scrape_url u;
	char e[160], hp[ADDR_HOST_MAX + 16];
	json_t *t;

	/* An external client's URL: its host:port, and its path as
	 * Prometheus's __metrics_path__. */
	if (scrape_url_parse(addr, &u, e, sizeof(e)) != 0)
		return NULL;
	hostport_format(u.hp.host, u.hp.port, hp, sizeof(hp));
	t = json_pack("{s:[s], s:{s:s, s:s}}", "targets", hp,
	    "labels", "job", "reliabd", "worker", c ? c->name : "reliabd");
	if (t != NULL && c != NULL && c->kind == KIND_LOADGEN)
		json_object_set_new(json_object_get(t, "labels"), "client",
		    json_string(c->client));
	if (t != NULL && strcmp(u.path, "/metrics") != 0)
		json_object_set_new(json_object_get(t, "labels"),
		    "__metrics_path__", json_string(u.path));
	return t;
}

/* A configured port 0 is a port the worker has not told yet: nothing
 * to scrape there. */
static int
addr_known(const char *addr)
{
	struct scrape_url u;
	char e[160];

	return scrape_url_parse(addr, &u, e, sizeof(e)) == 0 &&
	    u.hp.port != 0;
}

/* Written whole to a temporary file and renamed, so Prometheus never
 * reads half of it. */
int
filesd_write(struct reliabd *d)
{
	char path[CONFIG_VALUE_MAX + 32], tmp[CONFIG_VALUE_MAX + 48];
	json_t *arr = json_array();
	struct child *c;
	char *s = NULL;
	int fd = -1, rc = -1;
	size_t len;

	if (arr == NULL)
		return -1;
	if (d->cfg.file_sd[0])
		strlcpy_r(path, d->cfg.file_sd, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s/targets.json",
		    d->cfg.state_dir);
	json_array_append_new(arr, target(d->metrics_live[0] ? d->metrics_live
							      : d->cfg.metrics,
					NULL));
	TAILQ_FOREACH(c, &d->children, entry) {
		const char *addr = c->metrics_live[0] ? c->metrics_live
						      : c->metrics_addr;

		if (addr_known(addr) && c->state != CHILD_STOPPED &&
		    c->state != CHILD_FATAL)
			json_array_append_new(arr, target(addr, c));
	}
	s = json_dumps(arr, JSON_INDENT(2));
	json_decref(arr);
	if (s == NULL)
		return -1;
	len = strlen(s);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    close(fd) < 0) {
		log_warn("%s: %s", tmp, strerror(errno));
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		log_warn("rename %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(s);
	return rc;
}
