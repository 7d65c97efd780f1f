/* Pokes reliabd's control socket the way a bad client would.
 *   ctlpoke SOCK send          stdin to the socket; prints reply lines
 *                              until one a line sent, EOF or 1.5 s
 *                              of silence
 *   ctlpoke SOCK big BYTES     one line of BYTES bytes; prints the reply
 *   ctlpoke SOCK idle SECS     connects, writes nothing; exit 0 if the
 *                              daemon drops it within SECS
 *   ctlpoke SOCK flood N       N clients at once, each sends hello;
 *                              prints how many got an answer
 *   ctlpoke SOCK half          sends half a request, then shuts down
 *                              writing; prints what comes back
 *   ctlpoke SOCK noread N      sends up to N copies of the request on
 *                              stdin, never reading a reply, until the
 *                              daemon stops taking them for 2 s; prints
 *                              how many went
 * Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int
conn(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		exit(3);
	}
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* the daemon may cut us off: fine */
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Prints what arrives until EOF, `ms` of silence, or `lines` whole
 * lines (0: no such end). */
static size_t
drain_lines(int fd, int ms, size_t lines)
{
	char buf[65536];
	size_t total = 0, seen = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		total += (size_t)n;
		for (ssize_t i = 0; i < n; i++)
			seen += buf[i] == '\n';
		if (lines > 0 && seen >= lines)
			break;
	}
	fflush(stdout);
	return total;
}

static size_t
drain(int fd, int ms)
{
	return drain_lines(fd, ms, 0);
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: ctlpoke SOCK send|big|idle|flood|half [N]\n");
		return 2;
	}
	if (strcmp(argv[2], "send") == 0) {
		char buf[65536];
		size_t n, lines = 0;

		fd = conn(argv[1]);
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
			send_all(fd, buf, n);
			for (size_t i = 0; i < n; i++)
				lines += buf[i] == '\n';
		}
		/* One reply a request line: no need to wait out the
		 * silence once they are all in. */
		drain_lines(fd, 1500, lines);
		return 0;
	}
	if (strcmp(argv[2], "big") == 0 && argc > 3) {
		size_t n = strtoul(argv[3], NULL, 10);
		char *b = malloc(n + 1);

		if (b == NULL)
			return 1;
		memset(b, 'x', n);
		b[0] = '{';
		b[n] = '\n';
		fd = conn(argv[1]);
		send_all(fd, b, n + 1);
		free(b);
		drain(fd, 2000);
		return 0;
	}
	if (strcmp(argv[2], "idle") == 0 && argc > 3) {
		int secs = atoi(argv[3]);
		struct pollfd p;
		char c;

		fd = conn(argv[1]);
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, secs * 1000) > 0 && read(fd, &c, 1) == 0) {
			printf("dropped\n");
			return 0;
		}
		printf("still open\n");
		return 1;
	}
	if (strcmp(argv[2], "flood") == 0 && argc > 3) {
		int n = atoi(argv[3]), ok = 0;
		int *fds = calloc((size_t)n, sizeof(int));
		static const char hello[] = "{\"id\":1,\"cmd\":\"hello\"}\n";

		if (fds == NULL)
			return 1;
		for (int i = 0; i < n; i++)
			fds[i] = conn(argv[1]);
		for (int i = 0; i < n; i++)
			send_all(fds[i], hello, sizeof(hello) - 1);
		for (int i = 0; i < n; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };
			char buf[4096];
			ssize_t r;

			if (poll(&p, 1, 5000) > 0 &&
			    (r = read(fds[i], buf, sizeof(buf) - 1)) > 0) {
				buf[r] = '\0';
				if (strstr(buf, "\"ok\":true"))
					ok++;
			}
			close(fds[i]);
		}
		printf("%d\n", ok);
		free(fds);
		return 0;
	}
	if (strcmp(argv[2], "half") == 0) {
		static const char part[] = "{\"id\":3,\"cmd\":\"hel";

		fd = conn(argv[1]);
		send_all(fd, part, sizeof(part) - 1);
		shutdown(fd, SHUT_WR);
		drain(fd, 1500);
		return 0;
	}
	if (strcmp(argv[2], "noread") == 0 && argc > 3) {
		long n = atol(argv[3]), sent = 0;
		char req[4096];
		size_t rlen = fread(req, 1, sizeof(req), stdin);

		fd = conn(argv[1]);
		if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
			return 1;
		for (; sent < n; sent++) {
			size_t off = 0;

			while (off < rlen) {
				ssize_t w = send(fd, req + off, rlen - off,
				    MSG_NOSIGNAL);
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				if (w > 0) {
					off += (size_t)w;
					continue;
				}
				if (w < 0 && errno != EAGAIN && errno != EINTR)
					goto done;
				if (poll(&p, 1, 2000) <= 0)
					goto done;
			}
		}
done:
		printf("%ld\n", sent);
		fflush(stdout);
		sleep(1);
		return 0;
	}
	fprintf(stderr, "ctlpoke: unknown mode %s\n", argv[2]);
	return 2;
}
