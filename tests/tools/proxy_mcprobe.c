/* A memcache probe for the proxy tests: measures what a client sees.
 *
 *   proxy_mcprobe rtt PORT N [PAUSE]  N sequential "get" round trips on one
 *                                     connection, PAUSE ms apart; prints
 *                                     each in ms
 *   proxy_mcprobe set PORT KEY BYTES  stores a value of BYTES bytes
 *   proxy_mcprobe watch PORT SECS REQ sends REQ ("\r\n" added, "|" splits
 *                                     lines), reads until the end or SECS;
 *                                     prints first_ms bytes reads end
 *                                     end_ms (end: eof|reset|timeout)
 *   proxy_mcprobe connect PORT        prints ok or refused (or error)
 *
 * Loopback only; every wait is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
dial(int port, int *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		*err = errno;
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
dial_or_die(int port)
{
	int err, fd = dial(port, &err);

	if (fd < 0) {
		fprintf(stderr, "connect %d: %s\n", port, strerror(err));
		exit(1);
	}
	return fd;
}

static void
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0) {
			perror("write");
			exit(1);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Reads until `end` appears at the end of what was read, within the
 * deadline. 0, or -1 on EOF, error or timeout. */
static int
read_until(int fd, const char *end, double deadline, char *buf, size_t cap)
{
	size_t len = 0, el = strlen(end);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0)
			return -1;
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= el && memcmp(buf + len - el, end, el) == 0)
			return 0;
		if (len + 1 >= cap)
			len = 0; /* only the tail matters */
	}
}

static int
cmd_rtt(int port, int n, int pause_ms)
{
	int fd = dial_or_die(port);
	char buf[65536];

	send_all(fd, "set probe 0 0 1\r\nx\r\n", 20);
	if (read_until(fd, "STORED\r\n", now_ms() + 10000, buf,
		sizeof(buf)) < 0) {
		fprintf(stderr, "set failed\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();

		send_all(fd, "get probe\r\n", 11);
		if (read_until(fd, "END\r\n", t0 + 120000, buf, sizeof(buf)) <
		    0) {
			fprintf(stderr, "get %d failed\n", i);
			return 1;
		}
		printf("%.3f\n", now_ms() - t0);
		fflush(stdout);
		if (pause_ms > 0) {
			struct timespec ts = { pause_ms / 1000,
				(long)(pause_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	return 0;
}

static int
cmd_set(int port, const char *key, long bytes)
{
	int fd = dial_or_die(port);
	char hdr[300], buf[256];
	char *val = malloc((size_t)bytes + 2);

	if (val == NULL || bytes < 0 || strlen(key) > 200)
		return 1;
	memset(val, 'v', (size_t)bytes);
	memcpy(val + bytes, "\r\n", 2);
	snprintf(hdr, sizeof(hdr), "set %s 0 0 %ld\r\n", key, bytes);
	send_all(fd, hdr, strlen(hdr));
	send_all(fd, val, (size_t)bytes + 2);
	free(val);
	if (read_until(fd, "STORED\r\n", now_ms() + 30000, buf, sizeof(buf)) <
	    0) {
		fprintf(stderr, "set failed\n");
		return 1;
	}
	close(fd);
	return 0;
}

static int
cmd_watch(int port, double secs, const char *req)
{
	int fd = dial_or_die(port);
	char line[4096], buf[65536];
	double t0, first = -1, deadline;
	long total = 0, reads = 0;
	const char *end = "timeout";
	size_t k = 0;

	/* "|" separates request lines; each gets its "\r\n". */
	for (const char *p = req; *p && k + 3 < sizeof(line); p++) {
		if (*p == '|') {
			line[k++] = '\r';
			line[k++] = '\n';
		} else
			line[k++] = *p;
	}
	line[k++] = '\r';
	line[k++] = '\n';
	t0 = now_ms();
	deadline = t0 + secs * 1000;
	send_all(fd, line, k);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n == 0) {
			end = "eof";
			break;
		}
		if (n < 0) {
			end = errno == ECONNRESET ? "reset" : "error";
			break;
		}
		if (first < 0)
			first = now_ms() - t0;
		total += n;
		reads++;
	}
	printf("first_ms=%.1f bytes=%ld reads=%ld end=%s end_ms=%.1f\n", first,
	    total, reads, end, now_ms() - t0);
	close(fd);
	return 0;
}

static int
cmd_connect(int port)
{
	int err, fd = dial(port, &err);

	if (fd >= 0) {
		puts("ok");
		close(fd);
	} else
		puts(err == ECONNREFUSED ? "refused" : strerror(err));
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "rtt") == 0)
		return cmd_rtt(atoi(argv[2]), atoi(argv[3]),
		    argc >= 5 ? atoi(argv[4]) : 0);
	if (argc >= 5 && strcmp(argv[1], "set") == 0)
		return cmd_set(atoi(argv[2]), argv[3], atol(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "watch") == 0)
		return cmd_watch(atoi(argv[2]), atof(argv[3]), argv[4]);
	if (argc >= 3 && strcmp(argv[1], "connect") == 0)
		return cmd_connect(atoi(argv[2]));
	fprintf(stderr, "usage: proxy_mcprobe rtt|set|watch|connect ...\n");
	return 2;
}
