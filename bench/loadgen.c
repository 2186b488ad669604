/* bench/loadgen.c: a wrk-like HTTP/1.1 load generator that logs every request,
 * so bench/swap can cut latency percentiles and failures to the window of
 * one redeploy and plot requests/s over time (wrk reports only whole-run
 * figures and gives its Lua scripts no per-request latency).
 *
 *   loadgen -c CONNS -d SECONDS [-C] [-o LOG] HOST PORT [PATH]
 *
 * One epoll loop, CONNS connections, each sending GET PATH and waiting for
 * the whole response before the next request, like wrk. -C adds
 * `Connection: close` and opens a new connection per request (wrk -H
 * 'Connection: close'). A failed request is retried at once on a new
 * connection, as wrk does; each failure is logged.
 *
 * LOG: one line per request: `START_US LATENCY_US RESULT VERSION`, START_US
 * in CLOCK_REALTIME microseconds (the bench scripts mark events with
 * `date +%s%6N`), RESULT the HTTP status or a failure: -1 connect refused or
 * failed, -2 reset or write error, -3 closed before the whole response, -4
 * no response within 5 s. VERSION is the body's "version" value, or "-".
 * stdout: a one-line summary. SIGINT or SIGTERM ends the run early, with the
 * log and the summary written.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF_BYTES 16384
#define TIMEOUT_US 5000000LL

enum { R_CONNECT = -1, R_RESET = -2, R_EOF = -3, R_TIMEOUT = -4 };

struct conn {
	int fd;
	int connecting;
	size_t sent;
	size_t got;
	long long start_us;
	char buf[BUF_BYTES];
};

static struct sockaddr_in addr;
static char request[512];
static size_t request_len;
static int close_mode;
static int epfd;
static FILE *logf;
static long long n_ok, n_non2xx, n_fail[5];
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void record(struct conn *c, int result, const char *version)
{
	long long t = now_us();
	if (logf)
		fprintf(logf, "%lld %lld %d %s\n", c->start_us, t - c->start_us, result, version);
	if (result < 0)
		n_fail[-result]++;
	else if (result >= 200 && result < 300)
		n_ok++;
	else
		n_non2xx++;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Opens a connection (if none) and queues the request; start_us is kept when
 * the connection is reused so latency includes the connect, as in wrk. */
static void conn_begin(struct conn *c)
{
	c->start_us = now_us();
	c->sent = c->got = 0;
	if (c->fd >= 0) {
		struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		perror("loadgen: socket");
		exit(1);
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->connecting = 1;
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
		record(c, R_CONNECT, "-");
		conn_close(c);
		/* refused at once: retry from the loop, not recursively */
		c->start_us = 0;
		return;
	}
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void fail(struct conn *c, int result)
{
	record(c, result, "-");
	conn_close(c);
	conn_begin(c);
}

/* Returns 1 when buf holds a whole response, filling status, version and
 * whether the server closes the connection after it. */
static int parse(struct conn *c, int *status, char *version, size_t version_len, int *closes)
{
	c->buf[c->got] = 0;
	char *end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->buf) + 4;
	*status = atoi(c->buf + 9);
	*closes = strcasestr(c->buf, "\r\nconnection: close") != NULL &&
		  strcasestr(c->buf, "\r\nconnection: close") < end;
	char *cl = strcasestr(c->buf, "\r\ncontent-length:");
	size_t body_len = 0;
	char *body = c->buf + head;
	if (cl && cl < end) {
		body_len = strtoul(cl + 17, NULL, 10);
		if (c->got < head + body_len)
			return 0;
	} else {
		char *te = strcasestr(c->buf, "\r\ntransfer-encoding: chunked");
		if (te && te < end) {
			char *term = strstr(body, "0\r\n\r\n");
			if (!term)
				return 0;
			body_len = (size_t)(term - body);
		} else {
			*closes = 1; /* body up to EOF: not sent by the servers here */
		}
	}
	snprintf(version, version_len, "-");
	char saved = body[body_len];
	body[body_len] = 0;
	char *v = strstr(body, "\"version\":\"");
	if (v) {
		v += 11;
		size_t n = strcspn(v, "\"");
		if (n >= version_len)
			n = version_len - 1;
		memcpy(version, v, n);
		version[n] = 0;
	}
	body[body_len] = saved;
	return 1;
}

static void on_event(struct conn *c, uint32_t events)
{
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			fail(c, R_CONNECT);
			return;
		}
		c->connecting = 0;
	}
	if ((events & EPOLLOUT) && c->sent < request_len) {
		ssize_t n = send(c->fd, request + c->sent, request_len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			fail(c, R_RESET);
			return;
		}
		if (n > 0)
			c->sent += (size_t)n;
		if (c->sent == request_len) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
			epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		for (;;) {
			if (c->got >= BUF_BYTES - 1) {
				fail(c, R_RESET);
				return;
			}
			ssize_t n = recv(c->fd, c->buf + c->got, BUF_BYTES - 1 - c->got, 0);
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				fail(c, R_RESET);
				return;
			}
			if (n == 0) {
				fail(c, R_EOF);
				return;
			}
			c->got += (size_t)n;
			int status, closes;
			char version[32];
			if (parse(c, &status, version, sizeof(version), &closes)) {
				record(c, status, version);
				if (closes || close_mode)
					conn_close(c);
				conn_begin(c);
				return;
			}
		}
	}
}

int main(int argc, char **argv)
{
	int conns = 16, seconds = 10, opt;
	const char *log_path = NULL;
	while ((opt = getopt(argc, argv, "c:d:Co:")) != -1) {
		switch (opt) {
		case 'c': conns = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'C': close_mode = 1; break;
		case 'o': log_path = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind < 2 || conns < 1 || conns > MAX_CONNS || seconds < 1)
		goto usage;
	const char *host = argv[optind], *path = argc - optind > 2 ? argv[optind + 2] : "/";
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		goto usage;
	request_len = (size_t)snprintf(request, sizeof(request),
				       "GET %s HTTP/1.1\r\nHost: %s:%s\r\n%s\r\n", path, host,
				       argv[optind + 1], close_mode ? "Connection: close\r\n" : "");
	if (log_path) {
		logf = fopen(log_path, "we");
		if (!logf) {
			perror(log_path);
			return 1;
		}
		setvbuf(logf, NULL, _IOFBF, 1 << 20);
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	static struct conn pool[MAX_CONNS];
	for (int i = 0; i < conns; i++) {
		pool[i].fd = -1;
		conn_begin(&pool[i]);
	}
	long long t0 = now_us(), t_end = t0 + seconds * 1000000LL;
	struct epoll_event events[MAX_CONNS];
	for (;;) {
		long long t = now_us();
		if (t >= t_end || stop)
			break;
		for (int i = 0; i < conns; i++) {
			struct conn *c = &pool[i];
			if (c->fd < 0)
				conn_begin(c); /* after a refused connect */
			else if (t - c->start_us > TIMEOUT_US)
				fail(c, R_TIMEOUT);
		}
		int n = epoll_wait(epfd, events, MAX_CONNS, 10);
		for (int i = 0; i < n; i++)
			on_event(events[i].data.ptr, events[i].events);
	}
	double elapsed = (double)(now_us() - t0) / 1e6;
	long long failed = n_fail[1] + n_fail[2] + n_fail[3] + n_fail[4];
	printf("requests %lld ok %lld non2xx %lld failed %lld (connect %lld, reset %lld, eof %lld, timeout %lld) rps %.0f\n",
	       n_ok + n_non2xx + failed, n_ok, n_non2xx, failed, n_fail[1], n_fail[2], n_fail[3],
	       n_fail[4], (double)(n_ok + n_non2xx) / elapsed);
	if (logf && fclose(logf) != 0) {
		perror(log_path);
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: loadgen -c CONNS -d SECONDS [-C] [-o LOG] HOST PORT [PATH]\n");
	return 2;
}
