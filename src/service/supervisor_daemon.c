#include "supervisor_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdmsg.h"
#include "fdstore.h"
#include "intercept.h"
#include "listener_watch.h"
#include "protocol.h"
#include "service.h"
#include "supervise.h"

struct daemon {
	const char *root;          /* absolute */
	struct service svc;
	int fds[LISTENER_MAX];     /* the listeners, DAEMON_FD_LISTENERS up */
	struct supervisor *sup;
	struct interceptor *ic;
	struct fdstore g;          /* the line to the fdstore (g.sock); kept is unused here */
	struct listener_watch lw;
};

/* The interceptor is made with the first --intercept version: its table
 * (~400 KB, each entry written at once) is memory most services never use. */
static struct interceptor *interceptor(struct daemon *d)
{
	if (d->ic == NULL)
		d->ic = intercept_new(d->fds, d->svc.n_listeners);
	return d->ic;
}

/* A version's fd the supervisor took: the fdstore keeps a copy. A full
 * table is answered PROTO_REFUSED, never "taken" with the fd closed. */
static enum proto_op take(struct daemon *d, const struct proto_msg *m)
{
	int fd = m->fds[0];

	if (m->op == PROTO_LOG) {
		if (d->sup == NULL || supervise_add_log(d->sup, m->id, fd) < 0)
			return d->sup ? PROTO_REFUSED : (close(fd), PROTO_REFUSED);
		fdstore_keep(&d->g, PROTO_KEEP_LOG, m->id, fd);
		return PROTO_LOG_TAKEN;
	}
	if (interceptor(d) == NULL || intercept_add(d->ic, m->id, fd) < 0)
		return d->ic ? PROTO_REFUSED : (close(fd), PROTO_REFUSED);
	fdstore_keep(&d->g, PROTO_KEEP_NOTIFY, m->id, fd);
	return PROTO_NOTIFY_TAKEN;
}

/* Serve one client: one request of protocol.h, one reply (none to quit).
 * A malformed request is refused, its fds closed. Returns 1 to quit. */
static __attribute__((noinline)) int serve_client(struct daemon *d, int client)
{
	struct pollfd p = { .fd = client, .events = POLLIN };
	struct proto_msg m;

	if (poll(&p, 1, PROTO_REPLY_TIMEOUT_MS) <= 0)
		return 0;
	if (proto_recv(client, PROTO_REQUEST, d->svc.n_listeners, &m, MSG_DONTWAIT) < 0) {
		if (errno == EBADMSG)
			proto_send_op(client, PROTO_REFUSED);
		return 0;
	}
	switch (m.op) {
	case PROTO_FETCH: {
		if (d->sup)
			supervise_fetched(d->sup);
		struct proto_msg r = { .op = PROTO_LISTENERS, .nfds = d->svc.n_listeners };
		memcpy(r.fds, d->fds, sizeof(int) * d->svc.n_listeners);
		proto_send(client, &r, d->svc.n_listeners);
		return 0;
	}
	case PROTO_LOG:
	case PROTO_NOTIFY:
		proto_send_op(client, take(d, &m));
		return 0;
	case PROTO_RESCAN:
		if (d->sup)
			supervise_rescan_all(d->sup);
		/* fall through */
	case PROTO_PING:
		proto_send_op(client, proto_types[m.op].reply);
		return 0;
	default:
		return m.op == PROTO_QUIT;
	}
}

/* The fdstore is gone (killed on its own): this supervisor is the service's
 * supervisor of record now, so that `service status` and the next command see
 * it alive, not a dead pid to recover from. */
static __attribute__((noinline)) void become_supervisor_of_record(const struct daemon *d)
{
	struct zrun_error ignored;
	struct service svc;
	int lock = service_lock(d->root, d->svc.name, "service.lock", false, &ignored);

	if (lock < 0)
		return;
	if (service_load(d->root, d->svc.name, &svc, &ignored) == 0) {
		svc.supervisor_pid = getpid();
		svc.supervisor_start_time = state_pid_start_time(svc.supervisor_pid);
		service_save(d->root, &svc, &ignored);
	}
	close(lock);
}

static __attribute__((noreturn)) void quit(struct daemon *d)
{
	if (d->sup)
		supervise_shutdown(d->sup);
	_exit(0);
}

static __attribute__((noreturn)) void supervisor_loop(struct daemon *d)
{
	int sfd = fdstore_daemon_signals(DAEMON_SUPERVISOR);
	int fdstore = (int)syscall(SYS_pidfd_open, getppid(), 0);
	struct listener_watch *lw = &d->lw;
	listener_watch_init(lw, d->root, &d->svc, d->fds);
	/* a listener shut down while no supervisor ran (it died) is seen at once */
	listener_watch_handle(lw, NULL, 0, &d->g);
	for (;;) {
		struct pollfd p[3 + SUPERVISE_POLL_MAX + INTERCEPT_POLL_MAX + LISTENER_MAX] = {
			{ .fd = DAEMON_FD_SOCK, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		size_t ns = d->sup ? supervise_pollfds(d->sup, p + 2, SUPERVISE_POLL_MAX) : 0;
		size_t ni = d->ic ? intercept_pollfds(d->ic, p + 2 + ns, INTERCEPT_POLL_MAX) : 0;
		p[2 + ns + ni] = (struct pollfd){ .fd = fdstore, .events = POLLIN };
		struct pollfd *pl = p + 3 + ns + ni;
		size_t nl = listener_watch_pollfds(lw, pl, LISTENER_MAX);
		int timeout = d->sup ? supervise_timeout_ms(d->sup) : -1, lt = listener_watch_timeout_ms(lw);
		if (lt >= 0 && (timeout < 0 || lt < timeout))
			timeout = lt;
		if (poll(p, 3 + ns + ni + nl, timeout) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		/* a version shut a listener down: put it back before anything */
		listener_watch_handle(lw, pl, nl, &d->g);
		if (p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP)
				quit(d);
		}
		/* a program waits in bind/listen: answer it first */
		if (d->ic)
			intercept_handle(d->ic, p + 2 + ns, ni);
		if (d->sup)
			supervise_handle(d->sup, p + 2, ns);
		/* the rescans parse state files every second: give back the
		 * heap they used between them (a page fault or ten a second,
		 * against ~40 KB held per service for good) */
		malloc_trim(0);
		if (fdstore >= 0 && p[2 + ns + ni].revents) {
			close(fdstore);
			fdstore = -1;
			become_supervisor_of_record(d);
		}
		if (p[0].revents & POLLIN) {
			int client = accept4(DAEMON_FD_SOCK, NULL, NULL, SOCK_CLOEXEC);
			if (client < 0)
				continue;
			int r = serve_client(d, client);
			close(client);
			if (r)
				quit(d);
		}
		/* no version left to serve: refuse clients until one may */
		listener_watch_park(lw, d->sup && supervise_down(d->sup));
	}
}

/* The memory of a supervisor is paid per service: the big tables are
 * static (struct daemon), its loop's frame small, so that the calls below it
 * reuse the same few pages of stack. */

/* The log pipes and notify fds the fdstore kept for this supervisor (one
 * that died left them there), queued on the line before it ran. */
static void take_kept(struct daemon *d)
{
	struct proto_msg m;

	for (;;) {
		if (proto_recv(DAEMON_FD_PARENT, PROTO_KEEP, d->svc.n_listeners, &m, MSG_DONTWAIT) < 0) {
			if (errno == EBADMSG)
				continue;
			return;
		}
		if (m.op == PROTO_KEEP_END)
			return;
		if (m.op == PROTO_KEEP_LOG && d->sup)
			supervise_add_log(d->sup, m.id, m.fds[0]);
		else if (m.op == PROTO_KEEP_NOTIFY && interceptor(d))
			intercept_add(d->ic, m.id, m.fds[0]);
		else
			fdmsg_close(m.fds, m.nfds);
	}
}

/* The parts of the service record the supervisor uses, copied into d.svc:
 * service_load writes all of a struct service (~25 KB, tables sized for
 * LISTENER_MAX); loaded on the heap, which is given back, only the pages
 * of what is copied stay written for the service's life. */
static int load_service(struct daemon *d, const char *name)
{
	struct zrun_error err;
	struct service *svc = malloc(sizeof(*svc));

	if (svc == NULL || service_load(d->root, name, svc, &err) < 0) {
		free(svc);
		return -1;
	}
	memcpy(d->svc.name, svc->name, sizeof(svc->name));
	memcpy(d->svc.listeners, svc->listeners, svc->n_listeners * sizeof(svc->listeners[0]));
	d->svc.n_listeners = svc->n_listeners;
	snprintf(d->svc.zrun_path, sizeof(d->svc.zrun_path), "%s", svc->zrun_path);
	/* a steered service's maps, by id: the listener watch holds them (the
	 * kernel frees a map no process holds) and attaches the program */
	d->svc.steered = svc->steered;
	memcpy(d->svc.steer_maps, svc->steer_maps, svc->n_listeners * sizeof(svc->steer_maps[0]));
	free(svc);
	return 0;
}

void supervisor_daemon_run(const char *root, const char *name)
{
	static struct daemon d;   /* static: out of the stack, untouched parts cost nothing */

	d.root = root;
	/* a service gone is no failure to be restarted for */
	if (!service_exists(root, name))
		_exit(0);
	const char *count = getenv(DAEMON_LISTENERS_ENV);
	if (load_service(&d, name) < 0 || count == NULL || strtoul(count, NULL, 10) != d.svc.n_listeners)
		_exit(1);
	for (size_t i = 0; i < d.svc.n_listeners; i++) {
		d.fds[i] = DAEMON_FD_LISTENERS + (int)i;
		if (fcntl(d.fds[i], F_GETFD) < 0)
			_exit(1);
	}
	/* from here on no fd is passed across an exec: the restart children
	 * close all but stdio (supervise.c) */
	for (size_t i = 0; i < d.svc.n_listeners; i++)
		fcntl(d.fds[i], F_SETFD, FD_CLOEXEC);
	fcntl(DAEMON_FD_SOCK, F_SETFD, FD_CLOEXEC);
	fcntl(DAEMON_FD_PARENT, F_SETFD, FD_CLOEXEC);
	d.g.sock = DAEMON_FD_PARENT;
	d.g.listeners = d.fds;
	d.g.n_listeners = d.svc.n_listeners;
	d.sup = supervise_new(root, name, d.svc.zrun_path);
	if (d.sup)
		supervise_rescan(d.sup);
	take_kept(&d);
	supervisor_loop(&d);
}
