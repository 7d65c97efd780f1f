/* Fault application with the write-ahead ledger (see faults.h). */
#include "faults.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultmap.h"
#include "log.h"
#include "util.h"

/* The notice quotes a parser's error about the lost file's bytes, and goes
 * into JSON (status, events): printable ASCII only. */
static void
printable_only(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* ledger.notice: "pending\n" or "done\n" (the reset), then the notice.
 * Written whole through a temp file; a crash leaves the old or the new. */
static void
notice_save(const struct faults *f)
{
	char tmp[1200];
	FILE *fp;

	snprintf(tmp, sizeof tmp, "%s.tmp", f->notice_path);
	fp = fopen(tmp, "we");
	if (!fp) {
		log_warn("%s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(fp, "%s\n%s\n", f->reset_pending ? "pending" : "done",
	    f->notice);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		log_warn("%s: %s", tmp, strerror(errno));
		fclose(fp);
		unlink(tmp);
		return;
	}
	fclose(fp);
	if (rename(tmp, f->notice_path) != 0)
		log_warn("%s: %s", f->notice_path, strerror(errno));
}

/* Reads what an earlier process left (bounded; a file it cannot make
 * sense of is dropped: it only ever says what happened). */
static void
notice_load(struct faults *f)
{
	char buf[FAULTS_NOTICE_MAX + 16];
	ssize_t n;
	int fd = open_regular(f->notice_path, O_RDONLY, 0);
	char *nl;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (!nl || (strncmp(buf, "pending\n", 8) != 0 &&
	    strncmp(buf, "done\n", 5) != 0)) {
		log_warn("%s: not a notice; removed", f->notice_path);
		unlink(f->notice_path);
		return;
	}
	f->reset_pending = buf[0] == 'p' && f->be.reset != NULL;
	strlcpy_r(f->notice, nl + 1, sizeof f->notice);
	f->notice[strcspn(f->notice, "\r\n")] = '\0';
	printable_only(f->notice);
}

void
faults_clear_notice(struct faults *f)
{
	/* A reset still pending is not forgotten: it still keeps the
	 * machine cleaning, and a job cannot start before it is done. */
	if (!f->notice[0] || f->reset_pending)
		return;
	f->notice[0] = '\0';
	if (unlink(f->notice_path) != 0 && errno != ENOENT)
		log_warn("%s: %s", f->notice_path, strerror(errno));
	if (f->obs.noticed)
		f->obs.noticed(f->obs.arg, f->notice);
}

int
faults_open(struct faults *f, const char *state_dir,
    const struct fault_backend *be, const struct fault_observer *obs,
    char *err, size_t errlen)
{
	int rc;

	memset(f, 0, sizeof *f);
	f->be = *be;
	if (obs)
		f->obs = *obs;
	snprintf(f->notice_path, sizeof f->notice_path, "%s/ledger.notice",
	    state_dir);
	rc = ledger_recover(&f->ledger, state_dir, f->notice,
	    sizeof f->notice);
	if (rc < 0) {
		snprintf(err, errlen, "%s", f->notice);
		f->notice[0] = '\0';
		return -1;
	}
	if (rc == 0) {
		notice_load(f);
		return 0;
	}
	printable_only(f->notice);
	/* Whatever the lost ledger listed may still be on the proxy. */
	f->reset_pending = f->be.reset != NULL;
	notice_save(f);
	return 0;
}

size_t
faults_pending(const struct faults *f)
{
	return f->ledger.n + (f->reset_pending ? 1 : 0);
}

/* The wholesale reset after a lost ledger; the notice says how it went. */
static void
reset_proxy(struct faults *f)
{
	char err[512];
	size_t used = strlen(f->notice);
	enum toxi_result r = f->be.reset(f->be.arg, err, sizeof err);

	if (r == TOXI_ERROR) {
		log_warn("cannot reset the proxy API after a lost ledger "
		    "(retrying): %s", err);
		return;
	}
	f->reset_pending = 0;
	snprintf(f->notice + used, sizeof f->notice - used, "; %s",
	    r == TOXI_OK ? "toxics reset on every proxy (POST /reset on "
	    "every proxy API)" : "proxy API not running: no toxics to reset");
	log_warn("%s", f->notice);
	notice_save(f);
	if (f->obs.noticed)
		f->obs.noticed(f->obs.arg, f->notice);
}

static void
notify(struct faults *f, const struct fault_set *s,
    const struct fault_unit *u, const char *action, const char *error)
{
	if (f->obs.changed)
		f->obs.changed(f->obs.arg, s, u, action, error);
}

int
faults_cleanup(struct faults *f)
{
	size_t i = 0;
	int dropped = 0;

	if (f->reset_pending)
		reset_proxy(f);
	while (i < f->ledger.n) {
		struct ledger_entry le = f->ledger.e[i];
		char err[512];
		enum toxi_result r = f->be.undo(f->be.arg, &le, err,
		    sizeof err);

		if (r == TOXI_ERROR) {
			log_warn("cannot remove %s %s on %s (API %s): %s",
			    ledger_kind_text(le.kind), le.toxic, le.server,
			    le.api[0] ? le.api : "default", err);
			i++;
			continue;
		}
		log_info("removed left-over %s %s on %s (API %s)%s",
		    ledger_kind_text(le.kind), le.toxic, le.server,
		    le.api[0] ? le.api : "default",
		    r == TOXI_UNREACHABLE ? " (proxy not running)" : "");
		dropped |= ledger_drop(&f->ledger, &le);
	}
	/* One write for the pass: a crash before it leaves entries for
	 * toxics already gone, which the next pass finds gone. */
	if (dropped && ledger_write(&f->ledger) != 0) {
		log_error("cannot write the ledger");
		return -1;
	}
	return faults_pending(f) == 0 ? 0 : -1;
}

/* ---- units ---- */

static int
make_unit(const struct scenario_spec *spec, size_t fi, const char *server,
    const char *stream, uint64_t testing_ms, int builtin,
    struct fault_unit *u, int *approximated)
{
	const struct fault_spec *f = &spec->faults[fi];

	memset(u, 0, sizeof *u);
	u->fault = fi;
	u->type = f->type;
	u->toxicity = f->toxicity;
	strlcpy_r(u->stream, stream, sizeof u->stream);
	strlcpy_r(u->le.server, server, sizeof u->le.server);
	if (f->type == FAULT_NODE_RESTART) {
		u->is_node = 1;
		u->down_ms = (uint64_t)fault_attr(f, "down_ms",
		    (double)testing_ms);
		if (u->down_ms > testing_ms)
			u->down_ms = testing_ms;
		u->attrs = json_pack("{s:I}", "down_ms",
		    (json_int_t)u->down_ms);
		return u->attrs ? 0 : -1;
	}
	if (f->type == FAULT_DOWN) {
		u->le.kind = LEDGER_DOWN;
		strlcpy_r(u->le.toxic, "down", sizeof u->le.toxic);
		strlcpy_r(u->le.type, "down", sizeof u->le.type);
		u->attrs = json_object();
		return u->attrs ? 0 : -1;
	}
	u->le.kind = LEDGER_TOXIC;
	if (fault_to_toxic(f, builtin, u->le.type, sizeof u->le.type,
	    &u->attrs, approximated) != 0)
		return -1;
	snprintf(u->le.toxic, sizeof u->le.toxic, "reliabd-%zu-%s-%s", fi,
	    u->le.type, stream);
	return 0;
}

int
fault_set_build(struct fault_set *s, const struct scenario_spec *spec,
    const char *run_id, uint64_t testing_ms, int builtin)
{
	size_t n = 0;

	memset(s, 0, sizeof *s);
	s->run_id = run_id;
	s->scenario = spec->name;
	for (size_t i = 0; i < spec->nfaults; i++)
		n += spec->faults[i].nservers *
		    (spec->faults[i].stream == STREAM_BOTH ? 2 : 1);
	s->units = calloc(n ? n : 1, sizeof *s->units);
	if (!s->units)
		return -1;
	for (size_t i = 0; i < spec->nfaults; i++) {
		const struct fault_spec *f = &spec->faults[i];
		for (size_t k = 0; k < f->nservers; k++) {
			const char *streams[2] = { fault_stream_text(f->stream),
				NULL };

			if (f->stream == STREAM_BOTH) {
				streams[0] = "downstream";
				streams[1] = "upstream";
			}
			for (int j = 0; j < 2 && streams[j]; j++)
				if (make_unit(spec, i, f->servers[k],
				    streams[j], testing_ms, builtin,
				    &s->units[s->n++],
				    &s->loss_approximated) != 0) {
					fault_set_free(s);
					return -1;
				}
		}
	}
	return 0;
}

void
fault_set_free(struct fault_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->units[i].attrs);
	free(s->units);
	s->units = NULL;
	s->n = 0;
}

/* ---- apply and remove ---- */

/* Every proxy fault of a batch is written down before the proxy
 * changes, so a crash in between leaves at worst entries for nothing; in
 * one write (two fsyncs), however many faults. -1 if it could not be
 * written: then the ledger is as it was. */
static int
ledger_note_all(struct faults *f, struct fault_set *s, double wall)
{
	size_t i;
	int added = 0;

	for (i = 0; i < s->n; i++) {
		struct fault_unit *u = &s->units[i];
		int k;

		u->ledger_new = 0;
		if (u->active || u->is_node)
			continue;
		u->le.applied = wall;
		if (f->be.api_of)
			f->be.api_of(f->be.arg, u->le.server, u->le.api,
			    sizeof u->le.api);
		if ((k = ledger_put(&f->ledger, &u->le)) < 0)
			goto undo;
		u->ledger_new = k;
		added |= k;
	}
	if (!added || ledger_write(&f->ledger) == 0)
		return 0;
undo:
	for (size_t j = 0; j < s->n && j <= i; j++)
		if (s->units[j].ledger_new)
			ledger_drop(&f->ledger, &s->units[j].le);
	return -1;
}

/* `noted`: the batch's ledger write succeeded. A fault undone here is
 * dropped from the ledger in memory; *dirty says the caller must write. */
static int
apply_unit(struct faults *f, struct fault_set *s, struct fault_unit *u,
    double wall, int noted, int *dirty)
{
	char err[512] = "";

	if (u->active)
		return 0;
	if (u->is_node) {
		if (f->be.node_restart(f->be.arg, u->le.server, u->down_ms,
		    err, sizeof err) != 0)
			goto failed;
		goto applied;
	}
	if (!noted) {
		snprintf(err, sizeof err, "cannot write the ledger %.400s",
		    f->ledger.path);
		goto failed;
	}
	if (f->be.apply(f->be.arg, u, err, sizeof err) != TOXI_OK) {
		char err2[256];

		if (f->be.undo(f->be.arg, &u->le, err2, sizeof err2) !=
		    TOXI_ERROR)
			*dirty |= ledger_drop(&f->ledger, &u->le);
		goto failed;
	}
applied:
	u->active = 1;
	u->napplied++;
	if (u->napplied == 1)
		u->applied_wall = wall;
	notify(f, s, u, "apply", NULL);
	log_info("applied %s on %s", fault_type_text(u->type), u->le.server);
	return 0;
failed:
	log_warn("%s: %s", s->run_id, err);
	notify(f, s, u, "apply", err);
	if (!s->apply_error[0])
		snprintf(s->apply_error, sizeof s->apply_error,
		    "cannot apply %s on %s: %s", fault_type_text(u->type),
		    u->le.server, err);
	return -1;
}

/* A fault removed is dropped from the ledger in memory; *dirty says the
 * caller must write it. */
static void
remove_unit(struct faults *f, struct fault_set *s, struct fault_unit *u,
    double wall, int *dirty)
{
	char err[512] = "";

	if (!u->active)
		return;
	u->active = 0;
	u->removed_wall = wall;
	if (!u->is_node) {
		if (f->be.undo(f->be.arg, &u->le, err, sizeof err) ==
		    TOXI_ERROR) {
			/* Stays in the ledger; retried while idle. */
			log_warn("%s: cannot remove %s on %s: %s", s->run_id,
			    fault_type_text(u->type), u->le.server, err);
		} else {
			*dirty |= ledger_drop(&f->ledger, &u->le);
		}
	}
	notify(f, s, u, "remove", err[0] ? err : NULL);
	log_info("removed %s on %s", fault_type_text(u->type), u->le.server);
}

static void
ledger_flush(struct faults *f, int dirty)
{
	/* A crash before this write leaves entries for faults already gone:
	 * the next cleanup finds them gone. */
	if (dirty && ledger_write(&f->ledger) != 0)
		log_error("cannot write the ledger %s", f->ledger.path);
}

int
faults_apply(struct faults *f, struct fault_set *s, double wall)
{
	int rc = 0, dirty = 0;
	int noted = ledger_note_all(f, s, wall) == 0;

	for (size_t i = 0; i < s->n; i++)
		if (apply_unit(f, s, &s->units[i], wall, noted, &dirty) != 0)
			rc = -1;
	ledger_flush(f, dirty);
	return rc;
}

void
faults_remove(struct faults *f, struct fault_set *s, double wall)
{
	int dirty = 0;

	for (size_t i = 0; i < s->n; i++)
		remove_unit(f, s, &s->units[i], wall, &dirty);
	ledger_flush(f, dirty);
}
