/* The catalogue: every scenario file of the built-in and the user
 * directories, parsed (spec.c), sorted by name, found by name or by a
 * close match. Declared in spec.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spec.h"
#include "util.h"

static int
cmp_spec(const void *a, const void *b)
{
	return strcmp(((const struct scenario_spec *)a)->name,
	    ((const struct scenario_spec *)b)->name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Counts, keeps and tells one bad file; `err` is "path: field: why". */
static void
bad_file(struct catalogue *cat, const char *path, const char *err,
    spec_error_fn report, void *arg)
{
	size_t pl = strlen(path);

	if (report)
		report(err, arg);
	else
		log_warn("skipped: %s", err);
	cat->errors++;
	if (cat->nbad == CATALOGUE_BAD_MAX)
		return;
	strlcpy_r(cat->bad[cat->nbad].path, path,
	    sizeof cat->bad[cat->nbad].path);
	if (strncmp(err, path, pl) == 0 && strncmp(err + pl, ": ", 2) == 0)
		err += pl + 2;
	strlcpy_r(cat->bad[cat->nbad].reason, err,
	    sizeof cat->bad[cat->nbad].reason);
	cat->nbad++;
}

json_t *
catalogue_bad_json(const struct catalogue *cat)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < cat->nbad; i++) {
		json_t *o = json_pack("{s:s,s:s}", "file", cat->bad[i].path,
		    "error", cat->bad[i].reason);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int
load_dir(struct catalogue *cat, const char *dir, enum spec_source source,
    const struct spec_names *names, spec_error_fn report, void *arg)
{
	DIR *d;
	struct dirent *de;
	char *files[SPEC_MAX_FILES];
	size_t nfiles = 0, i;
	int rc = 0;

	if (!dir || !*dir)
		return 0;
	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			log_warn("%s: %s", dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (nfiles == SPEC_MAX_FILES) {
			log_warn("%s: more than %d scenario files; the rest "
			    "are ignored", dir, SPEC_MAX_FILES);
			break;
		}
		files[nfiles] = strdup(de->d_name);
		if (!files[nfiles]) {
			rc = -1;
			break;
		}
		nfiles++;
	}
	closedir(d);
	/* A stable order, so errors and overrides are reproducible. */
	qsort(files, nfiles, sizeof files[0], cmp_str);
	for (i = 0; i < nfiles && rc == 0; i++) {
		char path[1024], err[2048];
		struct scenario_spec spec;
		struct scenario_spec *slot = NULL;

		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (spec_load_file(path, names, &spec, err, sizeof err) != 0) {
			bad_file(cat, path, err, report, arg);
			continue;
		}
		spec.source = source;
		for (size_t j = 0; j < cat->n; j++) {
			if (strcmp(cat->specs[j].name, spec.name) != 0)
				continue;
			if (cat->specs[j].source == source) {
				snprintf(err, sizeof err,
				    "%s: name: \"%s\" already defined in %s",
				    path, spec.name, cat->specs[j].path);
				bad_file(cat, path, err, report, arg);
				goto next;
			}
			log_info("%s: replaces the built-in scenario %s", path,
			    spec.name);
			slot = &cat->specs[j];
		}
		if (!slot) {
			struct scenario_spec *n = realloc(cat->specs,
			    (cat->n + 1) * sizeof *n);
			if (!n) {
				log_error("out of memory");
				rc = -1;
				break;
			}
			cat->specs = n;
			slot = &cat->specs[cat->n++];
		}
		*slot = spec;
next:;
	}
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	return rc;
}

int
catalogue_load(struct catalogue *cat, const char *builtin_dir,
    const char *user_dir, const struct spec_names *names,
    spec_error_fn report, void *arg)
{
	memset(cat, 0, sizeof *cat);
	if (load_dir(cat, builtin_dir, SOURCE_BUILTIN, names, report, arg) !=
	    0 ||
	    load_dir(cat, user_dir, SOURCE_USER, names, report, arg) != 0) {
		catalogue_free(cat);
		return -1;
	}
	if (cat->n > 1)
		qsort(cat->specs, cat->n, sizeof cat->specs[0], cmp_spec);
	return 0;
}

void
catalogue_free(struct catalogue *cat)
{
	free(cat->specs);
	cat->specs = NULL;
	cat->n = 0;
	cat->errors = 0;
	cat->nbad = 0;
}

const struct scenario_spec *
catalogue_find(const struct catalogue *cat, const char *name)
{
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->specs[i].name, name) == 0)
			return &cat->specs[i];
	return NULL;
}

size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 128), lb = strnlen(b, 128);
	size_t row[129];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

size_t
catalogue_suggest(const struct catalogue *cat, const char *name, char *buf,
    size_t len, size_t max)
{
	size_t count = 0, used = 0, nl = strlen(name);
	size_t limit = nl / 3 > 2 ? nl / 3 : 2;

	if (len)
		buf[0] = '\0';
	/* Closest first: distance 0..limit, then substrings. */
	for (size_t dist = 0; dist <= limit + 1 && count < max; dist++) {
		for (size_t i = 0; i < cat->n && count < max; i++) {
			const char *c = cat->specs[i].name;
			size_t d = edit_distance(name, c);
			int sub = nl >= 3 && strstr(c, name) != NULL;
			int n;

			if (dist <= limit ? d != dist : !(sub && d > limit))
				continue;
			n = snprintf(buf + used, len > used ? len - used : 0,
			    "%s%s", count ? ", " : "", c);
			if (n > 0 && used + (size_t)n < len)
				used += (size_t)n;
			count++;
		}
	}
	return count;
}
