/* A proxy's toxics: found and listed from the API's thread, changed on
 * the proxy's own loop (pxloop_call), which owns its connections
 * (proxy.c says why reads need no call). */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "proxy_int.h"
#include "pxloop.h"

/* A request's work on one proxy's toxics, run on its loop. */
struct tx_job {
	struct proxy *px;
	const struct toxic_spec *tspec; /* toxic_add, toxic_update */
	struct toxic *t;                /* toxic_update, toxic_remove; added */
	struct api_error *err;
};

void
proxy_metrics_update(struct proxy *px)
{
	metric_set(px->m_toxics, (double)px->ntx);
	metric_set(px->m_enabled, px->spec.enabled ? 1 : 0);
}

struct toxic *
toxic_find(struct proxy *px, const char *name)
{
	for (size_t i = 0; i < px->ntx; i++)
		if (strcmp(px->tx[i]->spec.name, name) == 0)
			return px->tx[i];
	return NULL;
}

const struct toxic_spec *
toxic_spec(const struct toxic *t)
{
	return &t->spec;
}

/* On px's loop: toxic_add. */
static struct toxic *
toxic_add_on_loop(struct proxy *px, const struct toxic_spec *spec,
    struct api_error *err)
{
	struct toxic *t;

	if (toxic_find(px, spec->name)) {
		api_error_set(err, 409, "toxic already exists");
		return NULL;
	}
	if (px->ntx >= PROXY_TOXICS_MAX) {
		api_error_set(err, 400, "too many toxics (max %d)",
		    PROXY_TOXICS_MAX);
		return NULL;
	}
	t = malloc(sizeof(*t));
	if (t == NULL) {
		api_error_set(err, 500, "out of memory");
		return NULL;
	}
	t->spec = *spec;
	px->tx[px->ntx++] = t;
	conns_toxic_add(px, &t->spec);
	proxy_metrics_update(px);
	return t;
}

static void
toxic_add_job(void *arg)
{
	struct tx_job *j = arg;

	j->t = toxic_add_on_loop(j->px, j->tspec, j->err);
}

struct toxic *
toxic_add(struct proxy *px, const struct toxic_spec *spec,
    struct api_error *err)
{
	struct tx_job j = { .px = px, .tspec = spec, .err = err };

	pxloop_call(px->loop, toxic_add_job, &j);
	return j.t;
}

static void
toxic_update_job(void *arg)
{
	struct tx_job *j = arg;

	j->t->spec.toxicity = j->tspec->toxicity;
	j->t->spec.a = j->tspec->a;
	conns_toxic_update(j->px, &j->t->spec);
}

void
toxic_update(struct proxy *px, struct toxic *t, const struct toxic_spec *spec)
{
	struct tx_job j = { .px = px, .t = t, .tspec = spec };

	pxloop_call(px->loop, toxic_update_job, &j);
}

static void
toxic_remove_job(void *arg)
{
	struct tx_job *j = arg;
	struct proxy *px = j->px;
	struct toxic *t = j->t;
	size_t i;

	conns_toxic_remove(px, &t->spec);
	for (i = 0; i < px->ntx && px->tx[i] != t; i++)
		;
	if (i < px->ntx) {
		memmove(&px->tx[i], &px->tx[i + 1],
		    (px->ntx - i - 1) * sizeof(px->tx[0]));
		px->ntx--;
	}
	free(t);
	proxy_metrics_update(px);
}

void
toxic_remove(struct proxy *px, struct toxic *t)
{
	struct tx_job j = { .px = px, .t = t };

	pxloop_call(px->loop, toxic_remove_job, &j);
}

json_t *
proxy_toxics_json(const struct proxy *px)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	/* Toxiproxy lists the upstream chain, then the downstream one. */
	for (int s = 0; s < STREAM_COUNT; s++) {
		for (size_t i = 0; i < px->ntx; i++) {
			if ((int)px->tx[i]->spec.stream != s)
				continue;
			if (json_array_append_new(a,
				toxic_to_json(&px->tx[i]->spec)) < 0) {
				json_decref(a);
				return NULL;
			}
		}
	}
	return a;
}

