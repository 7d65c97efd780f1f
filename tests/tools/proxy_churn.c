/* Connection churn and abuse for the proxy tests.
 *
 *   proxy_churn churn PORT N CONC   N memcache connections, CONC at a time:
 *                                   connect, "get", read "END", close;
 *                                   prints ok=.. fail=..
 *   proxy_churn hold PORT N SECS    opens N connections at once, holds them
 *                                   SECS, closes; prints opened=..
 *   proxy_churn half PORT SECS REQ  sends REQ, half-closes, reads until EOF
 *                                   (at most SECS); prints bytes=.. end=..
 *   proxy_churn slow PORT SECS REQ  sends REQ one byte every 50 ms for at
 *                                   most SECS, then reads what comes back
 *
 * Loopback only; every wait is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int
dial(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until "END\r\n" ends the input, 5 s at most. */
static int
read_end(int fd)
{
	char buf[4096];
	size_t len = 0;

	for (int i = 0; i < 100; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		if (len >= 5 && memcmp(buf + len - 5, "END\r\n", 5) == 0)
			return 0;
		if (len + 1 >= sizeof(buf))
			len = 0;
	}
	return -1;
}

static int
cmd_churn(int port, int n, int conc)
{
	int ok = 0, fail = 0, *fds = calloc((size_t)conc, sizeof(int));

	if (fds == NULL || conc < 1)
		return 1;
	for (int done = 0; done < n;) {
		int k = n - done < conc ? n - done : conc;

		for (int i = 0; i < k; i++) {
			fds[i] = dial(port);
			if (fds[i] >= 0 &&
			    write(fds[i], "get churn\r\n", 11) != 11) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
		for (int i = 0; i < k; i++) {
			if (fds[i] >= 0 && read_end(fds[i]) == 0)
				ok++;
			else
				fail++;
			if (fds[i] >= 0)
				close(fds[i]);
		}
		done += k;
	}
	printf("ok=%d fail=%d\n", ok, fail);
	free(fds);
	return 0;
}

static int
cmd_hold(int port, int n, int secs)
{
	int opened = 0, *fds = calloc((size_t)n, sizeof(int));

	if (fds == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		fds[i] = dial(port);
		if (fds[i] >= 0)
			opened++;
	}
	printf("opened=%d\n", opened);
	fflush(stdout);
	sleep((unsigned)secs);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

static void
drain(int fd, int secs, const char *what)
{
	char buf[4096];
	long total = 0;
	const char *end = "timeout";

	for (int i = 0; i < secs * 10; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == 0) {
			end = "eof";
			break;
		}
		if (n < 0) {
			end = errno == ECONNRESET ? "reset" : "error";
			break;
		}
		if (total == 0)
			printf("%s first line: %.*s\n", what,
			    (int)(memchr(buf, '\r', (size_t)n)
				    ? (char *)memchr(buf, '\r', (size_t)n) - buf
				    : 0),
			    buf);
		total += n;
	}
	printf("bytes=%ld end=%s\n", total, end);
}

static int
cmd_half(int port, int secs, const char *req)
{
	int fd = dial(port);

	if (fd < 0) {
		perror("connect");
		return 1;
	}
	if (write(fd, req, strlen(req)) < 0)
		perror("write");
	shutdown(fd, SHUT_WR);
	drain(fd, secs, "half");
	close(fd);
	return 0;
}

static int
cmd_slow(int port, int secs, const char *req)
{
	int fd = dial(port);
	size_t len = strlen(req);

	if (fd < 0) {
		perror("connect");
		return 1;
	}
	for (size_t i = 0; i < len && i < (size_t)secs * 20; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (write(fd, req + i, 1) != 1)
			break;
		nanosleep(&ts, NULL);
	}
	drain(fd, secs, "slow");
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "churn") == 0)
		return cmd_churn(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "hold") == 0)
		return cmd_hold(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "half") == 0)
		return cmd_half(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (argc >= 5 && strcmp(argv[1], "slow") == 0)
		return cmd_slow(atoi(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: proxy_churn churn|hold|half|slow ...\n");
	return 2;
}
