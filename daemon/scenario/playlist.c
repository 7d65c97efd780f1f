/* The playlist (see playlist.h). */
#include "playlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Whether every server and node `s` names is in the lab. */
static int
fits_lab(const struct scenario_spec *s, const struct playlist_lab *lab,
    char *msg, size_t msglen)
{
	for (size_t f = 0; f < s->nfaults; f++) {
		const struct fault_spec *fs = &s->faults[f];
		int node = fs->type == FAULT_NODE_RESTART;
		const char *const *l = node ? lab->nodes : lab->servers;
		size_t ln = node ? lab->nnodes : lab->nservers;

		for (size_t k = 0; k < fs->nservers; k++) {
			int ok = ln == 0 && !node;

			for (size_t j = 0; j < ln; j++)
				if (strcmp(l[j], fs->servers[k]) == 0)
					ok = 1;
			if (!ok) {
				snprintf(msg, msglen, "%s: %s \"%s\" is not "
				    "configured", s->name, node ? "node" :
				    "server", fs->servers[k]);
				return 0;
			}
		}
	}
	return 1;
}

static int
resolve_all(struct playlist *pl, const struct catalogue *cat,
    const struct playlist_lab *lab, enum proto_err *code, char *msg,
    size_t msglen)
{
	for (size_t i = 0; i < cat->n; i++) {
		/* Node restarts need managed nodes and reliabd. */
		if (spec_needs_nodes(&cat->specs[i]) &&
		    (!lab->nnodes || !lab->have_channel))
			continue;
		pl->specs[pl->n++] = cat->specs[i];
	}
	if (pl->n == 0) {
		*code = PROTO_E_UNKNOWN_SCENARIO;
		snprintf(msg, msglen, "no scenario to run");
		return -1;
	}
	return 0;
}

static int
resolve_names(struct playlist *pl, const struct run_args *a,
    const struct catalogue *cat, const struct playlist_lab *lab,
    enum proto_err *code, char *msg, size_t msglen)
{
	for (size_t i = 0; i < a->nnames; i++) {
		const struct scenario_spec *s = catalogue_find(cat,
		    a->names[i]);
		char near[512];

		if (!s) {
			*code = PROTO_E_UNKNOWN_SCENARIO;
			if (catalogue_suggest(cat, a->names[i], near,
			    sizeof near, 5))
				snprintf(msg, msglen, "unknown scenario \"%s\"; "
				    "close matches: %s", a->names[i], near);
			else
				snprintf(msg, msglen, "unknown scenario \"%s\" "
				    "(no close match; `list` shows them all)",
				    a->names[i]);
			return -1;
		}
		if (spec_needs_nodes(s) && !lab->have_channel) {
			*code = PROTO_E_BAD_ARGUMENTS;
			snprintf(msg, msglen, "%s restarts managed nodes: it "
			    "runs under reliabd only", s->name);
			return -1;
		}
		if (!fits_lab(s, lab, msg, msglen)) {
			*code = PROTO_E_BAD_ARGUMENTS;
			return -1;
		}
		pl->specs[pl->n++] = *s;
	}
	return 0;
}

int
playlist_resolve(struct playlist *pl, const struct run_args *a,
    const struct catalogue *cat, const struct playlist_lab *lab,
    enum proto_err *code, char *msg, size_t msglen)
{
	int all;
	char stamp[32];
	struct tm tm;
	time_t t;

	playlist_free(pl);
	if (a->nnames == 0 || (!a->forever && a->loop < 1)) {
		*code = PROTO_E_BAD_ARGUMENTS;
		snprintf(msg, msglen, "no scenario named, or loop < 1");
		return -1;
	}
	all = a->nnames == 1 && strcmp(a->names[0], "all") == 0;
	pl->specs = calloc(all ? (cat->n ? cat->n : 1) : a->nnames,
	    sizeof *pl->specs);
	if (!pl->specs) {
		*code = PROTO_E_INTERNAL;
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	if ((all ? resolve_all(pl, cat, lab, code, msg, msglen) :
	    resolve_names(pl, a, cat, lab, code, msg, msglen)) != 0) {
		playlist_free(pl);
		return -1;
	}
	pl->args = *a;
	if (pl->args.loop < 1)
		pl->args.loop = 1;
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(pl->batch, sizeof pl->batch, "%s-%04x", stamp,
	    (unsigned)((now_mono_ns() / 1000) ^ (unsigned)getpid()) & 0xffff);
	return 0;
}

void
playlist_free(struct playlist *pl)
{
	free(pl->specs);
	memset(pl, 0, sizeof *pl);
}

const struct scenario_spec *
playlist_current(const struct playlist *pl)
{
	return pl->idx < pl->n ? &pl->specs[pl->idx] : NULL;
}

int
playlist_advance(struct playlist *pl)
{
	pl->idx++;
	if (pl->idx >= pl->n) {
		pl->idx = 0;
		pl->iteration++;
		if (!pl->args.forever && pl->iteration >= pl->args.loop)
			return 0;
	}
	return 1;
}

void
playlist_count(struct playlist *pl, int success)
{
	pl->runs++;
	if (!success) {
		pl->failed = 1;
		pl->bad++;
	}
}

