/* http, tcp and exec probes, and the dispatch of one probe attempt. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "service.h"
#include "state.h"

/* Where a probe connects: the listener's address, with the wildcard
 * replaced by loopback. */
static void probe_address(const struct listener *l, struct sockaddr_storage *a, socklen_t *len)
{
	memcpy(a, &l->addr, sizeof(*a));
	*len = l->addr_len;
	if (a->ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)a;
		if (in->sin_addr.s_addr == htonl(INADDR_ANY))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (a->ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
	}
}

/* A steered service: the probe's own port first, and the group's program
 * told to send that port's connection to the version under test. */
static int route_probe(int s, const struct sockaddr_storage *a, const struct probe_target *t)
{
	struct sockaddr_storage me;
	socklen_t len = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct zrun_error ignored;
	uint16_t port_be;

	if (t->steer == NULL)
		return 0;
	memset(&me, 0, sizeof(me));
	me.ss_family = a->ss_family;
	if (bind(s, (struct sockaddr *)&me, len) < 0 || getsockname(s, (struct sockaddr *)&me, &len) < 0)
		return -1;
	/* the port the kernel chose, copied out by offset (no cast of the
	 * storage to another struct type) */
	memcpy(&port_be, (const char *)&me + (me.ss_family == AF_INET6 ? offsetof(struct sockaddr_in6, sin6_port)
									: offsetof(struct sockaddr_in, sin_port)),
	       sizeof(port_be));
	uint16_t port = ntohs(port_be);
	return steer_probe_route(t->steer, port, t->steer_index, &ignored);
}

static int connect_with_timeout(const struct sockaddr_storage *a, socklen_t len, long deadline,
				const struct probe_target *t)
{
	struct zrun_error ignored;
	int s = socket(a->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	if (route_probe(s, a, t) < 0 || (connect(s, (const struct sockaddr *)a, len) < 0 && errno != EINPROGRESS)) {
		close(s);
		return -1;
	}
	struct pollfd p = { .fd = s, .events = POLLOUT };
	long left = deadline - now_ms();
	int err = 0;
	socklen_t el = sizeof(err);
	int r = left <= 0 || poll(&p, 1, (int)left) <= 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
		err != 0 ? -1 : 0;
	/* connected (or given up): the SYN was steered, the route can go */
	if (t->steer)
		steer_probe_route(t->steer, 0, 0, &ignored);
	if (r < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* The inode of the server side of our connection s (0 while not yet
 * accepted): an exact sock_diag lookup of the reversed 4-tuple. */
static unsigned long server_side_inode(int s)
{
	/* zeroed: a family the kernel did not fill reads as AF_UNSPEC */
	struct sockaddr_storage local = { 0 }, peer = { 0 };
	socklen_t ll = sizeof(local), pl = sizeof(peer);

	if (getsockname(s, (struct sockaddr *)&local, &ll) < 0 || getpeername(s, (struct sockaddr *)&peer, &pl) < 0)
		return 0;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)local.ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (local.ss_family == AF_INET) {
		struct sockaddr_in *l = (struct sockaddr_in *)&local, *p = (struct sockaddr_in *)&peer;
		req.r.id.idiag_sport = p->sin_port;
		req.r.id.idiag_dport = l->sin_port;
		memcpy(req.r.id.idiag_src, &p->sin_addr, 4);
		memcpy(req.r.id.idiag_dst, &l->sin_addr, 4);
	} else if (local.ss_family == AF_INET6) {
		struct sockaddr_in6 *l = (struct sockaddr_in6 *)&local, *p = (struct sockaddr_in6 *)&peer;
		req.r.id.idiag_sport = p->sin6_port;
		req.r.id.idiag_dport = l->sin6_port;
		memcpy(req.r.id.idiag_src, &p->sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &l->sin6_addr, 16);
	} else {
		return 0;
	}
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return 0;
	char buf[8192];
	unsigned long ino = 0;
	if (send(nl, &req, sizeof(req), 0) == sizeof(req)) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (n > 0 && NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			ino = m->idiag_inode;
		}
	}
	close(nl);
	return ino;
}

int probe_parse_http_status(const char *buf, size_t len, int *status, bool *complete)
{
	static const char head_end[] = "\r\n\r\n", cl_name[] = "\r\ncontent-length:";
	const char *end = memmem(buf, len, head_end, 4);
	size_t i = 0, code = 0, digits = 0;

	*complete = false;
	if (end != NULL) {
		size_t head = (size_t)(end - buf) + 4, body = 0;
		/* Content-Length in the head only; a value too big for the buffer
		 * (or garbage) just means "read until full or closed". */
		for (size_t j = 0; j + sizeof(cl_name) - 1 <= head; j++) {
			if (strncasecmp(buf + j, cl_name, sizeof(cl_name) - 1) != 0)
				continue;
			size_t k = j + sizeof(cl_name) - 1;
			while (k < head && (buf[k] == ' ' || buf[k] == '\t'))
				k++;
			for (; k < head && buf[k] >= '0' && buf[k] <= '9'; k++)
				body = body > PROBE_RESPONSE_MAX ? body : body * 10 + (size_t)(buf[k] - '0');
			break;
		}
		*complete = len >= head + body;
	}
	/* "HTTP/<digits>.<digits> <3 digits>" */
	if (len < 5 || memcmp(buf, "HTTP/", 5) != 0)
		return -1;
	for (i = 5; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
		digits++;
	if (digits == 0 || i >= len || buf[i++] != '.')
		return -1;
	for (digits = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
		digits++;
	if (digits == 0 || i >= len || buf[i] != ' ')
		return -1;
	while (i < len && buf[i] == ' ')
		i++;
	for (digits = 0; i < len && digits < 4 && buf[i] >= '0' && buf[i] <= '9'; i++, digits++)
		code = code * 10 + (size_t)(buf[i] - '0');
	if (digits != 3 || (i < len && buf[i] >= '0' && buf[i] <= '9'))
		return -1;
	*status = (int)code;
	return 0;
}

/* Read an HTTP response (headers and a Content-Length body) without
 * closing: the server side must still exist for attribution. */
static int read_status(int s, long deadline, int *status)
{
	char buf[PROBE_RESPONSE_MAX];
	size_t got = 0;
	bool complete = false;

	while (got < PROBE_RESPONSE_MAX && !complete) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		ssize_t n = recv(s, buf + got, PROBE_RESPONSE_MAX - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		probe_parse_http_status(buf, got, status, &complete);
	}
	return probe_parse_http_status(buf, got, status, &complete);
}

/* Connect (http: and ask) until a connection is served by the version
 * under test, within the probe's timeout. Answers from other versions do
 * not count either way. */
static enum probe_result probe_connection(const struct probe_spec *p, const struct probe_target *t,
					  char *reason, size_t len)
{
	const struct listener *l = &t->svc->listeners[0];
	struct sockaddr_storage a;
	socklen_t alen;
	long deadline = now_ms() + p->timeout_ms;
	int others = 0;

	probe_address(l, &a, &alen);
	if (l->kind == LISTENER_UNIX) {
		snprintf(reason, len, "http/tcp probes need a tcp listener");
		return PROBE_FAIL;
	}
	while (now_ms() < deadline) {
		int s = connect_with_timeout(&a, alen, deadline, t);
		if (s < 0) {
			snprintf(reason, len, "connect %s: %s", l->url, strerror(errno ? errno : ETIMEDOUT));
			return PROBE_FAIL;
		}
		int status = 0;
		unsigned long ino = 0;
		if (p->kind == PROBE_HTTP) {
			char req[700];
			int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: zrun-probe\r\n\r\n",
					 p->target);
			if (send(s, req, (size_t)n, MSG_NOSIGNAL) != n || read_status(s, deadline, &status) < 0) {
				close(s);
				snprintf(reason, len, "GET %s: no HTTP response in time", p->target);
				return PROBE_FAIL;
			}
			ino = server_side_inode(s);
		} else {
			/* tcp: the connection counts once a process accepted it */
			while (now_ms() < deadline && (ino = server_side_inode(s)) == 0) {
				struct timespec ts = { 0, 2 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
		}
		bool mine = probe_version_holds(t, ino);
		close(s);
		if (!mine) {
			others++;
			continue;
		}
		if (p->kind == PROBE_TCP || (status >= 200 && status < 400))
			return PROBE_PASS;
		snprintf(reason, len, "GET %s answered %d", p->target, status);
		return PROBE_FAIL;
	}
	snprintf(reason, len, "no probe connection reached %s in %ld ms (%d answered by other versions)",
		 t->id, p->timeout_ms, others);
	return PROBE_FAIL;
}

/* The pid `zrun exec --pid-file` wrote, or 0. */
static pid_t read_pid_file(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
	return pid > 1 ? (pid_t)pid : 0;
}

/* exec: `zrun exec` of the command in the version, exit 0 = ready. As
 * Kubernetes runs exec probes through the runtime, the command gets the
 * version's own process settings (user, capabilities, seccomp, LSM label,
 * no_new_privs, rlimits) besides its namespaces and cgroup: the program
 * it runs comes from the image, and must not run with the prober's
 * privileges. On timeout the command is killed by the pid zrun exec wrote. */
static enum probe_result probe_exec(const struct probe_spec *p, const struct probe_target *t,
				    char *reason, size_t len)
{
	char pid_file[PATH_MAX], name[STATE_ID_MAX + 16];

	snprintf(name, sizeof(name), "probe-%s.pid", t->id);
	if (service_path(pid_file, sizeof(pid_file), t->root, t->svc->name, name) < 0) {
		snprintf(reason, len, "exec %s: no place for the probe's pid file", p->target);
		return PROBE_FAIL;
	}
	unlink(pid_file);
	pid_t child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		syscall(SYS_close_range, 3, ~0U, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/proc/self/exe", "zrun", "--root", t->root, "exec", "--pid-file", pid_file, t->id,
		      "/bin/sh", "-c", p->target, (char *)NULL);
		_exit(126);
	}
	if (child < 0) {
		snprintf(reason, len, "fork: %s", strerror(errno));
		return PROBE_FAIL;
	}
	long deadline = now_ms() + p->timeout_ms;
	int st = 0;
	bool timed_out = false;
	while (waitpid(child, &st, WNOHANG) == 0) {
		if (now_ms() >= deadline) {
			pid_t cmd = read_pid_file(pid_file);
			if (cmd > 0)
				kill(cmd, SIGKILL);
			kill(child, SIGKILL);
			waitpid(child, &st, 0);
			timed_out = true;
			break;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	unlink(pid_file);
	if (timed_out) {
		snprintf(reason, len, "exec %s: timed out after %ld ms", p->target, p->timeout_ms);
		return PROBE_FAIL;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return PROBE_PASS;
	snprintf(reason, len, "exec %s: exit %d", p->target, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return PROBE_FAIL;
}

long probe_first_delay_ms(const struct probe_spec *p)
{
	return p->initial_delay_ms > 0 ? p->initial_delay_ms : PROBE_FIRST_MS;
}

long probe_next_delay_ms(const struct probe_spec *p, bool passed, long since_first_ms)
{
	long fast = since_first_ms < PROBE_STARTUP_FAST_FOR_MS ? PROBE_STARTUP_FAST_MS : PROBE_STARTUP_SLOW_MS;

	if (p->kind == PROBE_EXEC && fast < PROBE_STARTUP_EXEC_MS)
		fast = PROBE_STARTUP_EXEC_MS;

	if (passed || p->period_ms < fast)
		return p->period_ms;
	return fast;
}

bool probe_startup_over(const struct probe_spec *p, long since_first_ms)
{
	return since_first_ms >= (long)p->failure_threshold * p->period_ms;
}

enum probe_result probe_once(const struct probe_spec *p, struct probe_target *t,
			     char *reason, size_t reason_len)
{
	switch (p->kind) {
	case PROBE_ACCEPTING:
		if (probe_accepting(t))
			return PROBE_PASS;
		snprintf(reason, reason_len, "not accepting on the service listeners yet");
		return PROBE_FAIL;
	case PROBE_HTTP:
	case PROBE_TCP: {
		/* the connection and its sock_diag look from the listeners'
		 * namespace: a pod's port is not the host's */
		struct zrun_error err;
		int back = t->netns_fd >= 0 ? listener_netns_enter(NULL, t->netns_fd, &err) : -1;
		if (t->netns_fd >= 0 && back < 0) {
			snprintf(reason, reason_len, "%s", err.msg);
			return PROBE_FAIL;
		}
		enum probe_result r = probe_connection(p, t, reason, reason_len);
		listener_netns_leave(back);
		return r;
	}
	case PROBE_EXEC:
		return probe_exec(p, t, reason, reason_len);
	case PROBE_NOTIFY:
		return probe_notify(t, reason, reason_len);
	}
	return PROBE_FAIL;
}
