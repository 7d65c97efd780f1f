/* Stands in for reliabd's end of a worker's channel in tests: runs
 * PROGRAM with RELIABD_CHANNEL_FD set to one end of a socketpair, sends
 * each line read on stdin to it, and prints each line it sends. When stdin
 * ends, the channel is closed (as when reliabd dies) and the worker's exit
 * status becomes ours.
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

int
main(int argc, char **argv)
{
	int sv[2], status;
	pid_t pid;
	char buf[65536];
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
	setvbuf(stdout, NULL, _IOLBF, 0);
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
			fwrite(buf, 1, (size_t)n, stdout);
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
	close(sv[0]);
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
