/* Stands in for reliabd's end of a worker's channel in tests: runs
 * PROGRAM with RELIABD_CHANNEL_FD set to one end of a socketpair, sends
 * each line read on stdin to it, and prints each line it sends. When stdin
 * ends, the channel is closed (as when reliabd dies) and the worker's exit
 * status becomes ours.
 *
 * Tests send the worker's stderr to the same file, so each line goes out
 * whole in one write(2): a line split across two writes (a run record is
 * longer than stdio's buffer) could have a log line land in its middle.
 *
 * usage: scenario_chan PROGRAM [ARG...] <requests >events */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Room for any line a worker may send (proto.h: PROTO_LINE_MAX, 64 KiB)
 * and more. */
#define LINE_MAX_BYTES (1024 * 1024)

static int
write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends n bytes to the pending line buffer and writes out every line
 * completed; a line over the limit goes out as it is, so nothing is lost. */
static int
put_lines(char *line, size_t *have, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		line[(*have)++] = buf[i];
		if (buf[i] == '\n' || *have == LINE_MAX_BYTES) {
			if (write_all(line, *have) < 0)
				return -1;
			*have = 0;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int sv[2], status;
	pid_t pid;
	char buf[65536];
	static char line[LINE_MAX_BYTES];
	size_t have = 0;
	int in_open = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: scenario_chan PROGRAM [ARG...]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("socketpair");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		char num[16];
		/* dup2 clears close-on-exec on the copy. */
		if (dup2(sv[1], 3) < 0)
			_exit(127);
		snprintf(num, sizeof num, "%d", 3);
		setenv("RELIABD_CHANNEL_FD", num, 1);
		execv(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	close(sv[1]);
	for (;;) {
		struct pollfd p[2] = {{sv[0], POLLIN, 0}, {0, POLLIN, 0}};
		ssize_t n;

		if (poll(p, in_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			break;
		}
		if (p[0].revents) {
			n = read(sv[0], buf, sizeof buf);
			if (n <= 0)
				break;
			if (put_lines(line, &have, buf, (size_t)n) < 0) {
				perror("write");
				break;
			}
		}
		if (in_open && p[1].revents) {
			n = read(0, buf, sizeof buf);
			if (n <= 0) {
				/* reliabd "dies": the worker sees EOF. */
				shutdown(sv[0], SHUT_WR);
				in_open = 0;
			} else if (write(sv[0], buf, (size_t)n) != n) {
				perror("write");
				break;
			}
		}
	}
	/* A last line the worker left without its newline. */
	if (have > 0)
		(void)write_all(line, have);
	close(sv[0]);
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
