/* The standard process_* metrics, read from /proc at each render, with
 * the names and help texts of the Prometheus client libraries. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

struct process_metrics {
	struct metric *cpu, *rss, *vsize, *fds, *max_fds, *start;
	double boot_time; /* btime from /proc/stat */
};

/* Reads a small /proc file whole; its length, or -1. */
static ssize_t
read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off + 1 < size) {
		ssize_t n = read(fd, buf + off, size - 1 - off);

		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return (ssize_t)off;
}

static double
read_boot_time(void)
{
	char buf[16384];
	const char *p;

	if (read_small_file("/proc/stat", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\nbtime ");
	if (p == NULL)
		return 0;
	return strtod(p + 7, NULL);
}

static void
process_collect(void *arg)
{
	struct process_metrics *pm = arg;
	unsigned long long utime, stime, start, vsize;
	long long rss;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	char buf[2048];
	const char *p;
	int fds;

	if (tck <= 0)
		tck = 100;
	if (page <= 0)
		page = 4096;
	/* Fields after the command name, which may hold spaces and ')':
	 * state(3) ... utime(14) stime(15) ... starttime(22) vsize(23)
	 * rss(24). */
	if (read_small_file("/proc/self/stat", buf, sizeof(buf)) > 0 &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 1,
		" %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		"%*d %*d %*d %*d %*d %*d %llu %llu %lld",
		&utime, &stime, &start, &vsize, &rss) == 5) {
		metric_set(pm->cpu, (double)(utime + stime) / (double)tck);
		metric_set(pm->vsize, (double)vsize);
		metric_set(pm->rss, (double)rss * (double)page);
		metric_set(pm->start, pm->boot_time + (double)start /
		    (double)tck);
	}
	fds = count_open_fds();
	if (fds >= 0)
		metric_set(pm->fds, fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metric_set(pm->max_fds, rl.rlim_cur == RLIM_INFINITY ? -1 :
		    (double)rl.rlim_cur);
}

int
metrics_register_process(struct metrics_registry *reg)
{
	struct process_metrics *pm = calloc(1, sizeof(*pm));
	struct metric_family *f;

	if (pm == NULL) {
		log_error("out of memory");
		return -1;
	}
#define GET(field, decl)                                                       \
	do {                                                                   \
		if ((f = (decl)) == NULL || (pm->field = metric_get(f)) == NULL) { \
			free(pm);                                              \
			return -1;                                             \
		}                                                      \
	} while (0)
	GET(cpu, metrics_counter(reg, "process_cpu_seconds_total",
	    "Total user and system CPU time spent in seconds.", NULL));
	GET(fds, metrics_gauge(reg, "process_open_fds",
	    "Number of open file descriptors.", NULL));
	GET(max_fds, metrics_gauge(reg, "process_max_fds",
	    "Maximum number of open file descriptors.", NULL));
	GET(vsize, metrics_gauge(reg, "process_virtual_memory_bytes",
	    "Virtual memory size in bytes.", NULL));
	GET(rss, metrics_gauge(reg, "process_resident_memory_bytes",
	    "Resident memory size in bytes.", NULL));
	GET(start, metrics_gauge(reg, "process_start_time_seconds",
	    "Start time of the process since unix epoch in seconds.", NULL));
#undef GET
	pm->boot_time = read_boot_time();
	if (metrics_on_collect_free(reg, process_collect, pm, free) < 0) {
		free(pm);
		return -1;
	}
	return 0;
}
