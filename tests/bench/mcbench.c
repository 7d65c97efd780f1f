/* A small memcache load generator for the proxy benchmark: CONNS
 * connections (one thread each), one "get" in flight per connection, for
 * SECS seconds; prints throughput and latency percentiles.
 *
 *   mcbench PORT CONNS SECS
 *   -> ops=N ops_per_sec=X p50_us=X p99_us=X errors=N */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 2000000

struct worker {
	pthread_t th;
	int port;
	double secs;
	double *lat; /* us */
	size_t n, cap;
	long errors;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One request/reply; 0 or -1. */
static int
roundtrip(int fd, const char *req, size_t len)
{
	char buf[4096];
	size_t got = 0;

	if (write(fd, req, len) != (ssize_t)len)
		return -1;
	for (int i = 0; i < 1000; i++) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got - 1);

		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got >= 5 && memcmp(buf + got - 5, "END\r\n", 5) == 0)
			return 0;
		if (got + 1 >= sizeof(buf))
			got = 0;
	}
	return -1;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	int fd = dial(w->port);
	double end;
	struct timeval tv = { 5, 0 };

	if (fd < 0) {
		w->errors++;
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	end = now_s() + w->secs;
	for (;;) {
		double t0 = now_s();

		if (t0 >= end)
			break;
		if (roundtrip(fd, "get bench\r\n", 11) < 0) {
			w->errors++;
			break;
		}
		if (w->n < w->cap)
			w->lat[w->n++] = (now_s() - t0) * 1e6;
	}
	close(fd);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int port, conns;
	double secs, *all;
	size_t total = 0;
	long errors = 0;
	struct worker *w;
	int fd;
	char buf[256];

	if (argc < 4) {
		fprintf(stderr, "usage: mcbench PORT CONNS SECS\n");
		return 2;
	}
	port = atoi(argv[1]);
	conns = atoi(argv[2]);
	secs = atof(argv[3]);
	if (conns < 1 || conns > 256 || secs <= 0)
		return 2;
	/* The key every get reads: 100 bytes. */
	fd = dial(port);
	if (fd < 0) {
		perror("connect");
		return 1;
	}
	memset(buf, 'b', sizeof(buf));
	if (write(fd, "set bench 0 0 100\r\n", 19) != 19 ||
	    write(fd, buf, 100) != 100 || write(fd, "\r\n", 2) != 2 ||
	    read(fd, buf, sizeof(buf)) <= 0) {
		perror("set");
		return 1;
	}
	close(fd);
	w = calloc((size_t)conns, sizeof(*w));
	if (w == NULL)
		return 1;
	for (int i = 0; i < conns; i++) {
		w[i].port = port;
		w[i].secs = secs;
		w[i].cap = MAX_SAMPLES / (size_t)conns;
		w[i].lat = malloc(w[i].cap * sizeof(double));
		if (w[i].lat == NULL ||
		    pthread_create(&w[i].th, NULL, run, &w[i]) != 0)
			return 1;
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].n;
		errors += w[i].errors;
	}
	all = malloc((total ? total : 1) * sizeof(double));
	if (all == NULL)
		return 1;
	total = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + total, w[i].lat, w[i].n * sizeof(double));
		total += w[i].n;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(double), cmp);
	printf("ops=%zu ops_per_sec=%.0f p50_us=%.1f p99_us=%.1f errors=%ld\n",
	    total, (double)total / secs, total ? all[total / 2] : 0.0,
	    total ? all[total * 99 / 100] : 0.0, errors);
	free(all);
	free(w);
	return errors ? 1 : 0;
}
