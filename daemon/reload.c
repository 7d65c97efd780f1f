/* A reload: the new config's children (workers_build) against the
 * running ones. What is unchanged keeps running, what changed restarts,
 * what went is stopped and freed once down (reload_sweep), what is new
 * starts. A bad config changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

/* Same name, kind and command line: the running child can stay. */
static int
child_same(const struct child *a, const struct child *b)
{
	size_t i;

	if (a->kind != b->kind || strcmp(a->name, b->name) != 0)
		return 0;
	for (i = 0; a->argv[i] && b->argv[i]; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	return a->argv[i] == NULL && b->argv[i] == NULL;
}

int
daemon_reload(struct reliabd *d, char *err, size_t errlen)
{
	struct config *ncfg;
	struct child_list fresh;
	struct child *c, *n, *tmp;
	int rc = -1;

	if (d->state == DAEMON_STOPPING) {
		snprintf(err, errlen, "reliabd is stopping");
		return -1;
	}
	ncfg = malloc(sizeof(*ncfg));
	if (ncfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	notify_reloading(d);
	daemon_set_state(d, DAEMON_RELOADING);
	log_info("reloading %s", d->config_path);
	if (config_load(d->config_path, ncfg, err, errlen) < 0)
		goto out;
	if (strcmp(ncfg->control_socket, d->cfg.control_socket) != 0 ||
	    strcmp(ncfg->metrics, d->cfg.metrics) != 0 ||
	    strcmp(ncfg->state_dir, d->cfg.state_dir) != 0)
		log_warn("control_socket, metrics and state_dir changes take "
			 "effect at the next start");
	strlcpy_r(ncfg->control_socket, d->cfg.control_socket,
	    sizeof(ncfg->control_socket));
	strlcpy_r(ncfg->metrics, d->cfg.metrics, sizeof(ncfg->metrics));
	strlcpy_r(ncfg->state_dir, d->cfg.state_dir, sizeof(ncfg->state_dir));
	if (workers_build(d, ncfg, &fresh, err, errlen) < 0)
		goto out;
	/* Keep what is unchanged, restart what changed, stop what went. */
	TAILQ_FOREACH_SAFE(c, &d->children, entry, tmp) {
		TAILQ_FOREACH(n, &fresh, entry)
			if (strcmp(n->name, c->name) == 0)
				break;
		if (n && child_same(c, n)) {
			TAILQ_REMOVE(&fresh, n, entry);
			child_free(n);
			/* Dropped by an earlier reload and back again. */
			if (c->removed || !c->want_up) {
				c->removed = 0;
				c->want_up = 1;
				c->failures = 0;
				if (c->pid <= 0)
					child_start(c);
			}
			continue;
		}
		if (n && n->kind == c->kind) {
			/* Same child, new options: swap them in, restart. */
			char **argv = c->argv;

			c->argv = n->argv;
			n->argv = argv;
			strlcpy_r(c->metrics_addr, n->metrics_addr,
			    sizeof(c->metrics_addr));
			c->external = n->external;
			c->scraped = n->scraped;
			TAILQ_REMOVE(&fresh, n, entry);
			child_free(n);
			log_info("%s: options changed; restarting", c->name);
			c->removed = 0;
			c->failures = 0;
			child_restart(c);
			continue;
		}
		log_info("%s: no longer configured; stopping", c->name);
		child_stop(c);
		c->removed = 1;
	}
	while ((n = TAILQ_FIRST(&fresh)) != NULL) {
		TAILQ_REMOVE(&fresh, n, entry);
		TAILQ_INSERT_TAIL(&d->children, n, entry);
		log_info("%s: newly configured; starting", n->name);
		child_start(n);
	}
	d->cfg = *ncfg;
	{
		enum log_level lvl;

		if (log_level_parse(d->cfg.log_level, &lvl) == 0)
			log_set_level(lvl);
	}
	/* The scenario worker re-reads its scenario files. */
	c = child_find_kind(d, KIND_SCENARIO);
	if (c && c->state == CHILD_RUNNING) {
		json_t *req = proto_request_new(0, "reload", NULL);

		if (req) {
			chan_send(c, req);
			json_decref(req);
		}
	}
	rc = 0;
	log_info("reloaded");
out:
	free(ncfg);
	daemon_set_state(d, DAEMON_RUNNING);
	/* READY=1 again closes the reload for systemd, success or not. */
	d->ready_sent = 0;
	notify_ready(d);
	filesd_write(d);
	return rc;
}

/* Children stopped because the config dropped them are freed once they
 * are gone. */
void
reload_sweep(struct reliabd *d)
{
	struct child *c, *tmp;

	TAILQ_FOREACH_SAFE(c, &d->children, entry, tmp)
		if (c->removed && c->pid <= 0) {
			TAILQ_REMOVE(&d->children, c, entry);
			child_free(c);
		}
}
