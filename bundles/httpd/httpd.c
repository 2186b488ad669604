/* httpd: the demo service of zrun. A small HTTP/1.1 server (one thread, one
 * epoll loop) that takes its listeners by socket activation or binds one
 * itself, and shuts down without losing a request: the behaviour every swap
 * test and `make demo` rely on. Flags make it misbehave on purpose. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "misbehave.h"

#define MAX_LISTENERS 16
#define MAX_CONNS 4096
#define REQUEST_MAX_BYTES 8192 /* request line + headers */
#define OUT_MAX_BYTES 4096
#define RESPONSE_MAX_BYTES 512 /* room kept free in out[] per response */
#define SLEEP_MAX_MS 600000
/* FACTS.md: closing idle keep-alive connections at once races with the
 * client's next request on them; a short delay lets those requests arrive
 * and be answered with "Connection: close" instead. 500 ms, not FACTS'
 * 200: a load generator stalled by a busy 2-core host (CI) stays "idle"
 * longer than 200 ms now and then, and its next request then met a close. */
#define DRAIN_IDLE_CLOSE_MS 500
#define DRAIN_GIVE_UP_MS 30000
#define LINGER_MS 2000

enum kind { KIND_LISTENER, KIND_SIGNAL, KIND_CONN };

struct listener {
	enum kind kind;
	int fd;
	char name[64];
};

struct conn {
	enum kind kind;
	int fd;
	int index;         /* in conns[] */
	uint32_t events;   /* what epoll watches now */
	size_t in_len;
	size_t body_left;  /* request body bytes still to discard */
	size_t out_len, out_off;
	bool close_after_write; /* last response queued: shut down once written */
	bool lingering;    /* shut down for writing, reading until EOF */
	bool sleeping;     /* a /sleep request waits for sleep_until_ms */
	bool sleep_head, sleep_keep_alive;
	bool read_eof;
	uint64_t sleep_until_ms, last_active_ms, linger_until_ms;
	/* the buffers last: accept_all() zeroes what comes before them */
	char in[REQUEST_MAX_BYTES];
	char out[OUT_MAX_BYTES];
};

static struct {
	const char *version_name;
	const char *listen_addr;
	long start_delay_ms, crash_after, exit_after_ms, shutdown_after_ms, health_delay_ms;
	bool never_ready, fail_health, fail_all, ignore_sigterm, notify;
	const char *bind_abstract[8];
	int n_bind_abstract;
	const char *sabotage[16];
	int n_sabotage;
} opt = { .version_name = "v1", .listen_addr = "0.0.0.0:8080" };

static struct listener listeners[MAX_LISTENERS];
static int n_listeners;
static bool listeners_armed;
static struct { enum kind kind; int fd; } signal_src = { KIND_SIGNAL, -1 };
static struct conn *conns[MAX_CONNS];
static int n_conns;
static int n_timed;        /* connections sleeping or lingering */
static int epfd = -1;
static bool accepting;     /* start delay over: listeners belong in epoll */
static bool draining;
static uint64_t start_ms, drain_start_ms;
static unsigned long requests_served;
static unsigned long n_health_early; /* /healthz answered 503 in --health-delay-ms */
static char pid_str[16];

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "httpd %s: ", opt.version_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		die("fd %d: %s", fd, strerror(errno));
}

static void epoll_set(int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };
	if (epoll_ctl(epfd, op, fd, &ev) < 0)
		die("epoll_ctl(%d, fd %d): %s", op, fd, strerror(errno));
}

/* ---- listeners ---- */

/* sd_listen_fds(3): LISTEN_PID, when set, must name us; the variables are
 * unset afterwards so that nothing we might start inherits them. */
static bool take_activated_listeners(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	const char *names = getenv("LISTEN_FDNAMES");
	bool ours = fds && *fds && (!pid || !*pid || atol(pid) == (long)getpid());
	long n = ours ? atol(fds) : 0;

	if (ours && (n < 1 || n > MAX_LISTENERS))
		die("LISTEN_FDS=%s: expected 1 to %d", fds, MAX_LISTENERS);
	for (int i = 0; i < n; i++) {
		struct listener *l = &listeners[n_listeners++];
		int acc = 0;
		socklen_t len = sizeof(acc);
		l->kind = KIND_LISTENER;
		l->fd = 3 + i;
		if (getsockopt(l->fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc)
			die("LISTEN_FDS: fd %d is not a listening socket", l->fd);
		/* O_NONBLOCK is on the open file description, which the supervisor
		 * and the other versions share: needed here anyway, since any
		 * of them may take the connection epoll woke us for. */
		set_nonblock_cloexec(l->fd);
		snprintf(l->name, sizeof(l->name), "fd%d", l->fd);
		if (names && *names) {  /* colon-separated, informational */
			size_t len_name = strcspn(names, ":");
			snprintf(l->name, sizeof(l->name), "%.*s", (int)len_name, names);
			names += len_name + (names[len_name] == ':');
		}
	}
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	return n > 0;
}

/* "HOST:PORT" or "[V6]:PORT", numeric only: no resolver in a static binary. */
static socklen_t parse_listen_addr(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon == s)
		die("--listen %s: expected HOST:PORT or [V6]:PORT", s);
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		die("--listen %s: bad port", s);
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		if (colon[-1] != ']' || (size_t)(colon - s - 2) >= sizeof(host))
			die("--listen %s: bad IPv6 address", s);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			die("--listen %s: bad IPv6 address", s);
		return sizeof(*a6);
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	if ((size_t)(colon - s) >= sizeof(host))
		die("--listen %s: bad address", s);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		die("--listen %s: bad IPv4 address (numeric only)", s);
	return sizeof(*a4);
}

/* Plain socket/setsockopt/bind/listen: zrun's seccomp interception of
 * bind() relies on a program doing exactly this. */
static void bind_listener(void)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_listen_addr(opt.listen_addr, &ss);
	int one = 1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind %s: %s", opt.listen_addr, strerror(errno));
	if (listen(fd, SOMAXCONN) < 0)
		die("listen %s: %s", opt.listen_addr, strerror(errno));
	listeners[0] = (struct listener){ .kind = KIND_LISTENER, .fd = fd };
	snprintf(listeners[0].name, sizeof(listeners[0].name), "%s", opt.listen_addr);
	n_listeners = 1;
}

/* The listeners are in the epoll set exactly while we accept: zrun's
 * "accepting" probe looks for them as tfd: entries in our epoll fdinfo. */
static void arm_listeners(bool on)
{
	if (on == listeners_armed)
		return;
	for (int i = 0; i < n_listeners; i++)
		if (listeners[i].fd >= 0)
			epoll_set(on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listeners[i].fd,
				  EPOLLIN, &listeners[i]);
	listeners_armed = on;
}

static void sd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!opt.notify || !path || !*path)
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		die("NOTIFY_SOCKET too long");
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')  /* abstract namespace */
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		fprintf(stderr, "httpd %s: NOTIFY_SOCKET %s: %s\n", opt.version_name,
			path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void start_accepting(void)
{
	accepting = true;
	arm_listeners(true);
	sd_notify_ready();
}

/* ---- connections ---- */

static void conn_watch(struct conn *c, uint32_t events)
{
	if (events != c->events)
		epoll_set(EPOLL_CTL_MOD, c->fd, events, c);
	c->events = events;
}

static void conn_close(struct conn *c)
{
	if (c->sleeping || c->lingering)
		n_timed--;
	close(c->fd);
	conns[c->index] = conns[--n_conns];
	conns[c->index]->index = c->index;
	free(c);
	/* a slot is free again (or the fd limit eased): accept once more */
	if (accepting && !draining)
		arm_listeners(true);
}

/* Nothing in flight and nothing half-received. */
static bool conn_idle(const struct conn *c)
{
	return !c->in_len && !c->body_left && !c->sleeping && !c->lingering &&
	       c->out_off == c->out_len && !c->close_after_write;
}

static void accept_all(struct listener *l)
{
	for (;;) {
		if (n_conns == MAX_CONNS) {
			arm_listeners(false);  /* re-armed by conn_close() */
			return;
		}
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EAGAIN)
				return;
			if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS &&
			    errno != ENOMEM)
				die("accept on %s: %s", l->name, strerror(errno));
			/* out of fds or memory: leave the queue to the other
			 * versions until one of our connections closes */
			if (n_conns)
				arm_listeners(false);
			return;
		}
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->kind = KIND_CONN;
		c->fd = fd;
		c->index = n_conns;
		c->events = EPOLLIN;
		c->last_active_ms = now_ms();
		conns[n_conns++] = c;
		epoll_set(EPOLL_CTL_ADD, fd, EPOLLIN, c);
	}
}

/* ---- HTTP ---- */

static void respond(struct conn *c, int status, const char *body, bool head,
		    bool keep_alive)
{
	const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" :
			     status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" :
			     status == 501 ? "Not Implemented" : "Service Unavailable";
	size_t body_len = strlen(body);
	/* while draining, every response is the last on its connection */
	bool last = !keep_alive || draining;
	int n = snprintf(c->out + c->out_len, sizeof(c->out) - c->out_len,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nX-Version: %s\r\nX-Pid: %s\r\n"
			 "Connection: %s\r\n\r\n%s",
			 status, reason, body_len, opt.version_name, pid_str,
			 last ? "close" : "keep-alive", head ? "" : body);
	if (n < 0 || (size_t)n >= sizeof(c->out) - c->out_len)
		die("response does not fit the output buffer");
	c->out_len += (size_t)n;
	c->close_after_write = last;
	requests_served++;
}

static void handle_request(struct conn *c, const struct request *r)
{
	char body[96];

	if (opt.fail_all) {
		respond(c, 503, "unavailable\n", r->head, r->keep_alive);
	} else if (path_is(r, "/")) {
		snprintf(body, sizeof(body), "%s\n", opt.version_name);
		respond(c, 200, body, r->head, r->keep_alive);
	} else if (path_is(r, "/healthz")) {
		static bool said;
		bool early = now_ms() - start_ms < (uint64_t)opt.health_delay_ms;
		bool ok = !opt.fail_health && !draining && !early;
		/* what a readiness gate is measured by: the requests this
		 * version answered before it could first pass its probe */
		if (ok && opt.health_delay_ms && !said) {
			said = true;
			fprintf(stderr, "httpd %s: /healthz ready; %lu requests answered before\n", opt.version_name,
				requests_served - n_health_early);
		}
		if (!ok && early)
			n_health_early++;
		respond(c, ok ? 200 : 503, ok ? "ok\n" : "unhealthy\n", r->head, r->keep_alive);
	} else if (path_is(r, "/sleep")) {
		long ms = query_long(r, "ms");
		if (ms < 0 || ms > SLEEP_MAX_MS) {
			respond(c, 400, "usage: /sleep?ms=N (N <= 600000)\n", r->head,
				r->keep_alive);
			return;
		}
		c->sleeping = true;
		n_timed++;
		c->sleep_head = r->head;
		c->sleep_keep_alive = r->keep_alive;
		c->sleep_until_ms = now_ms() + (uint64_t)ms;
	} else {
		respond(c, 404, "not found\n", r->head, r->keep_alive);
	}
}

/* Answers the complete requests in c->in, in order, while there is room in
 * c->out and no /sleep holds the connection. Returns how many it answered. */
static int process_input(struct conn *c)
{
	int answered = 0;
	while (!c->sleeping && !c->close_after_write &&
	       c->out_len + RESPONSE_MAX_BYTES <= sizeof(c->out)) {
		if (c->body_left) {
			size_t n = c->body_left < c->in_len ? c->body_left : c->in_len;
			memmove(c->in, c->in + n, c->in_len - n);
			c->in_len -= n;
			c->body_left -= n;
			if (c->body_left)
				break;
		}
		char *head_end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
		if (!head_end) {
			if (c->in_len == sizeof(c->in)) {
				respond(c, 400, "request head too large\n", false, false);
				answered++;
			}
			break;
		}
		size_t head_len = (size_t)(head_end - c->in) + 4;
		struct request r;
		int status = parse_request(c->in, head_len, &r);
		c->body_left = r.body_len;
		if (status == 400 || status == 501)
			respond(c, status, "bad request\n", false, false);
		else if (status)
			respond(c, status, "only GET and HEAD\n", r.head, r.keep_alive);
		else
			handle_request(c, &r);
		answered++;
		memmove(c->in, c->in + head_len, c->in_len - head_len);
		c->in_len -= head_len;
	}
	return answered;
}

static void maybe_crash(void)
{
	if (opt.crash_after && requests_served >= (unsigned long)opt.crash_after) {
		fprintf(stderr, "httpd %s: crashing after %lu requests (--crash-after)\n",
			opt.version_name, requests_served);
		_exit(2);
	}
}

/* Sends what is queued. Returns -1 on a dead connection, else the bytes
 * still queued. */
static ssize_t send_out(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return (ssize_t)(c->out_len - c->out_off);
}

/* Answers and sends all it can, then decides what to wait for. After the
 * last response it shuts the connection down for writing and reads until
 * EOF before closing, so that bytes the client already sent cannot turn our
 * close into a reset that destroys the response (Apache's "lingering
 * close"). Returns false if c is gone. */
static bool conn_progress(struct conn *c)
{
	ssize_t queued;
	int answered;

	do {
		answered = process_input(c);
		queued = send_out(c);
		maybe_crash();
		if (queued < 0) {
			conn_close(c);
			return false;
		}
		if (queued > 0) {
			conn_watch(c, EPOLLOUT);
			return true;
		}
	} while (answered);
	if (c->close_after_write && !c->lingering) {
		if (c->read_eof || shutdown(c->fd, SHUT_WR) < 0) {
			conn_close(c);
			return false;
		}
		c->lingering = true;
		n_timed++;
		c->linger_until_ms = now_ms() + LINGER_MS;
	}
	/* the client went away: finish a /sleep in flight, then close */
	if (c->read_eof && !c->sleeping) {
		conn_close(c);
		return false;
	}
	/* a sleeping connection reads nothing more until its answer is out */
	conn_watch(c, c->sleeping || c->read_eof ? 0 : EPOLLIN);
	return true;
}

static void conn_readable(struct conn *c)
{
	char discard[4096];
	char *buf = c->lingering ? discard : c->in + c->in_len;
	size_t room = c->lingering ? sizeof(discard) : sizeof(c->in) - c->in_len;
	ssize_t n = room ? recv(c->fd, buf, room, 0) : 1;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && c->lingering)) {
		conn_close(c);
		return;
	}
	if (c->lingering)
		return;
	c->last_active_ms = now_ms();
	if (n == 0)
		c->read_eof = true;
	else if (room)
		c->in_len += (size_t)n;
	conn_progress(c);
}

/* ---- timers ---- */

/* --shutdown-listeners-after-ms: shut the shared sockets down, then stop
 * accepting (our fds closed) and serve on what is already open. */
static void shut_down_listeners(void)
{
	int fds[MAX_LISTENERS];
	arm_listeners(false);
	for (int i = 0; i < n_listeners; i++)
		fds[i] = listeners[i].fd;
	misbehave_shutdown_listeners(opt.version_name, fds, n_listeners);
	for (int i = 0; i < n_listeners; i++) {
		if (listeners[i].fd >= 0)
			close(listeners[i].fd);
		listeners[i].fd = -1;
	}
	opt.shutdown_after_ms = 0;
}

/* Fires what is due (sleep answers, lingering and drain closes) and returns
 * the epoll_wait timeout until the next deadline. */
static int run_timers(void)
{
	uint64_t now = now_ms(), next = UINT64_MAX;

	if (opt.exit_after_ms) {
		if (now - start_ms >= (uint64_t)opt.exit_after_ms) {
			fprintf(stderr, "httpd %s: exiting after %ld ms (--exit-after-ms)\n",
				opt.version_name, opt.exit_after_ms);
			_exit(3);
		}
		next = start_ms + (uint64_t)opt.exit_after_ms;
	}
	if (!accepting && !draining && !opt.never_ready) {
		if (now - start_ms >= (uint64_t)opt.start_delay_ms)
			start_accepting();
		else if (start_ms + (uint64_t)opt.start_delay_ms < next)
			next = start_ms + (uint64_t)opt.start_delay_ms;
	}
	if (opt.shutdown_after_ms) {
		if (now - start_ms < (uint64_t)opt.shutdown_after_ms) {
			if (start_ms + (uint64_t)opt.shutdown_after_ms < next)
				next = start_ms + (uint64_t)opt.shutdown_after_ms;
		} else if (accepting) {
			shut_down_listeners();
		}
	}
	/* under load nothing sleeps or lingers: skip the scan */
	for (int i = 0; (n_timed || draining) && i < n_conns; i++) {
		struct conn *c = conns[i];
		uint64_t due = UINT64_MAX;
		if (c->sleeping && now >= c->sleep_until_ms) {
			c->sleeping = false;
			n_timed--;
			respond(c, 200, "slept\n", c->sleep_head, c->sleep_keep_alive);
			c->last_active_ms = now;
			if (!conn_progress(c)) {  /* and pipelined requests behind it */
				i--;  /* conns[i] now holds another connection */
				continue;
			}
		}
		if (c->sleeping)
			due = c->sleep_until_ms;
		else if (c->lingering)
			due = c->linger_until_ms;
		else if (draining && conn_idle(c))
			due = (c->last_active_ms > drain_start_ms ? c->last_active_ms :
			       drain_start_ms) + DRAIN_IDLE_CLOSE_MS;
		if (due <= now && (c->lingering || (draining && conn_idle(c)))) {
			conn_close(c);
			i--;
			continue;
		}
		if (due < next)
			next = due;
	}
	if (draining) {
		uint64_t give_up = drain_start_ms + DRAIN_GIVE_UP_MS;
		if (n_conns == 0) {
			fprintf(stderr, "httpd %s: drained, %lu requests served\n",
				opt.version_name, requests_served);
			exit(0);
		}
		if (now >= give_up) {
			fprintf(stderr, "httpd %s: gave up draining after %d ms, %d "
				"connections open, %lu requests served\n", opt.version_name,
				DRAIN_GIVE_UP_MS, n_conns, requests_served);
			exit(1);
		}
		if (give_up < next)
			next = give_up;
	}
	if (next == UINT64_MAX)
		return -1;
	return next - now > 3600000 ? 3600000 : (int)(next - now);
}

/* ---- shutdown ---- */

/* Stop accepting at once. Our listener fds are copies of sockets that zrun's
 * supervisor and the next version also hold: closing ours leaves the accept
 * queue to them and loses no pending connection. */
static void start_drain(int signo)
{
	if (draining)
		return;
	draining = true;
	drain_start_ms = now_ms();
	arm_listeners(false);
	for (int i = 0; i < n_listeners; i++) {
		close(listeners[i].fd);
		listeners[i].fd = -1;
	}
	fprintf(stderr, "httpd %s: %s, draining %d connections\n", opt.version_name,
		strsignal(signo), n_conns);
}

static void signal_readable(void)
{
	struct signalfd_siginfo si;
	while (read(signal_src.fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		start_drain((int)si.ssi_signo);
}

static void setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	if (opt.ignore_sigterm)
		signal(SIGTERM, SIG_IGN);
	else
		sigaddset(&set, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	signal_src.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_src.fd < 0)
		die("signalfd: %s", strerror(errno));
	epoll_set(EPOLL_CTL_ADD, signal_src.fd, EPOLLIN, &signal_src);
}

/* ---- main ---- */

static long parse_count(const char *flag, const char *s)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : -1;
	if (!s || *end || end == s || v < 0)
		die("%s: expected a non-negative number", flag);
	return v;
}

static void usage(void)
{
	fputs("usage: httpd [OPTIONS]  (GET / -> version, /healthz, /sleep?ms=N)\n"
	      "  --version-name S     the answer of / and X-Version (v1)\n"
	      "  --listen ADDR        HOST:PORT or [V6]:PORT when not socket-activated\n"
	      "                       (LISTEN_FDS); default 0.0.0.0:8080\n"
	      "  --start-delay-ms N   accept only after N ms\n"
	      "  --never-ready        never accept (nor send READY=1)\n"
	      "  --fail-health        /healthz answers 503\n"
	      "  --health-delay-ms N  /healthz answers 503 for N ms (/ at once); says how\n"
	      "                       many requests it answered before the first 200\n"
	      "  --fail-all           every request answers 503\n"
	      "  --crash-after N      exit 2 after N requests\n"
	      "  --exit-after-ms N    exit 3 after N ms\n"
	      "  --ignore-sigterm     SIGTERM does nothing (SIGINT still drains)\n"
	      "  --notify             READY=1 to NOTIFY_SOCKET once accepting\n"
	      "  --shutdown-listeners-after-ms N  shutdown(SHUT_RDWR) the listeners\n"
	      "  --bind-abstract NAME hold abstract unix name @NAME (up to 8)\n"
	      "  --sabotage WHAT      change the listeners at start (up to 16): backlog=N,\n"
	      "                       filter, locked-filter, linger, rcvtimeo, sndtimeo, rcvbuf,\n"
	      "                       sndbuf, rcvlowat, reuseport, reuseport-steal,\n"
	      "                       reuseport-prog,\n"
	      "                       defer-accept, fastopen,\n"
	      "                       maxseg, user-timeout\n",
	      stderr);
	exit(1);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--version-name") && v)
			opt.version_name = argv[++i];
		else if (!strcmp(a, "--listen") && v)
			opt.listen_addr = argv[++i];
		else if (!strcmp(a, "--start-delay-ms"))
			opt.start_delay_ms = parse_count(a, v), i++;
		else if (!strcmp(a, "--crash-after"))
			opt.crash_after = parse_count(a, v), i++;
		else if (!strcmp(a, "--exit-after-ms"))
			opt.exit_after_ms = parse_count(a, v), i++;
		else if (!strcmp(a, "--never-ready"))
			opt.never_ready = true;
		else if (!strcmp(a, "--health-delay-ms"))
			opt.health_delay_ms = parse_count(a, v), i++;
		else if (!strcmp(a, "--fail-health"))
			opt.fail_health = true;
		else if (!strcmp(a, "--fail-all"))
			opt.fail_all = true;
		else if (!strcmp(a, "--ignore-sigterm"))
			opt.ignore_sigterm = true;
		else if (!strcmp(a, "--notify"))
			opt.notify = true;
		else if (!strcmp(a, "--shutdown-listeners-after-ms"))
			opt.shutdown_after_ms = parse_count(a, v), i++;
		else if (!strcmp(a, "--bind-abstract") && v && opt.n_bind_abstract < 8)
			opt.bind_abstract[opt.n_bind_abstract++] = argv[++i];
		else if (!strcmp(a, "--sabotage") && v && opt.n_sabotage < 16)
			opt.sabotage[opt.n_sabotage++] = argv[++i];
		else
			usage();
	}
}

static void raise_nofile_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void announce(bool activated, const char *names)
{
	char fds[96] = "";
	size_t off = 0;
	if (!activated) {
		fprintf(stderr, "httpd %s: bound %s\n", opt.version_name, opt.listen_addr);
		return;
	}
	for (int i = 0; i < n_listeners && off < sizeof(fds); i++)
		off += (size_t)snprintf(fds + off, sizeof(fds) - off, "%s%d", i ? "," : "",
					listeners[i].fd);
	fprintf(stderr, "httpd %s: listening on fd%s %s (socket activation%s%.64s)\n",
		opt.version_name, n_listeners > 1 ? "s" : "", fds,
		names ? ", names " : "", names ? names : "");
}

int main(int argc, char **argv)
{
	struct epoll_event events[256];
	const char *names;
	bool activated;

	parse_args(argc, argv);
	start_ms = now_ms();
	snprintf(pid_str, sizeof(pid_str), "%ld", (long)getpid());
	raise_nofile_limit();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	setup_signals();
	names = getenv("LISTEN_FDNAMES");
	names = names && *names ? strdup(names) : NULL;
	activated = take_activated_listeners();
	if (!activated)
		bind_listener();
	announce(activated, names);
	for (int i = 0; i < opt.n_bind_abstract; i++)
		misbehave_bind_abstract(opt.version_name, opt.bind_abstract[i]);
	if (opt.n_sabotage) {
		int fds[MAX_LISTENERS];
		for (int i = 0; i < n_listeners; i++)
			fds[i] = listeners[i].fd;
		misbehave_sabotage(opt.version_name, fds, n_listeners, opt.sabotage, opt.n_sabotage);
	}
	for (;;) {
		int timeout = run_timers();
		int n = epoll_wait(epfd, events, 256, timeout);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			enum kind *k = events[i].data.ptr;
			if (*k == KIND_SIGNAL) {
				signal_readable();
			} else if (*k == KIND_LISTENER) {
				struct listener *l = (struct listener *)k;
				if (l->fd >= 0 && listeners_armed)
					accept_all(l);
			} else {
				struct conn *c = (struct conn *)k;
				/* HUP: both directions are down (a reset, or the
				 * client's FIN after our shutdown): nothing to save */
				if (events[i].events & (EPOLLHUP | EPOLLERR))
					conn_close(c);
				else if (events[i].events & EPOLLIN)
					conn_readable(c);
				else if (events[i].events & EPOLLOUT)
					conn_progress(c);
			}
		}
	}
}
