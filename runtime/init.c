/* The container's init between clone and exec. Order matters: namespaces,
 * hostname/sysctl, mounts, pivot, cwd and the executable check, rlimits,
 * keyring, fds, then "ready"; after `start` writes to the exec fifo, the
 * startContainer hooks and LSM labels, then the seccomp filter with only
 * the user switch and execve after it (docs/decisions.md says where the
 * switch goes). */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "executable.h"
#include "fdmsg.h"
#include "fds.h"
#include "hooks.h"
#include "lsm.h"
#include "mount.h"
#include "procattr.h"
#include "procfs.h"
#include "zseccomp.h"
#include "terminal.h"

int sync_send(int fd, int type, const struct zrun_error *err)
{
	struct sync_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = type;
	if (err) {
		msg.errno_value = err->errno_value;
		snprintf(msg.msg, sizeof(msg.msg), "%s", err->msg);
	}
	ssize_t n;
	do {
		n = send(fd, &msg, sizeof(msg), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(msg) ? 0 : -1;
}

int sync_recv(int fd, struct sync_msg *msg, int timeout_ms)
{
	return sync_recv_fd(fd, msg, timeout_ms, NULL);
}

int sync_send_fd(int fd, int type, int passed)
{
	struct sync_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = type;
	return fdmsg_send(fd, &msg, sizeof(msg), &passed, 1) == (ssize_t)sizeof(msg) ? 0 : -1;
}

int sync_recv_fd(int fd, struct sync_msg *msg, int timeout_ms, int *passed)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r, got;
	size_t nfds;

	if (passed)
		*passed = -1;
	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r < 0)
		return -1;
	/* at most one fd, and only where the caller takes one */
	ssize_t n = fdmsg_recv(fd, msg, sizeof(*msg), &got, passed ? 1 : 0, &nfds, 0);
	if (n < 0 && errno == EBADMSG)
		errno = EPROTO;
	if (n < 0)
		return -1;
	if (nfds == 1 && n != (ssize_t)sizeof(*msg))
		close(got);   /* a short message: its fd is not handed on */
	else if (nfds == 1 && passed)
		*passed = got;
	if (n == 0) {
		errno = EPIPE;  /* the other side is gone */
		return -1;
	}
	if (n != (ssize_t)sizeof(*msg)) {
		errno = EPROTO;
		return -1;
	}
	msg->msg[sizeof(msg->msg) - 1] = '\0';
	return 0;
}

__attribute__((noreturn)) static void init_fail(const struct init_args *a, struct zrun_error *err)
{
	sync_send(a->sync_fd, SYNC_ERROR, err);
	_exit(1);
}

static int join_namespaces(const struct init_args *a, struct zrun_error *err)
{
	/* The user namespace first: the others are owned by it. */
	static const enum spec_ns_type order[] = { SPEC_NS_USER, SPEC_NS_IPC, SPEC_NS_UTS,
		SPEC_NS_NETWORK, SPEC_NS_CGROUP, SPEC_NS_MOUNT };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int fd = a->ns_fds[order[i]];
		if (fd < 0)
			continue;
		if (setns(fd, spec_ns_clone_flag(order[i])) < 0)
			return zrun_error_set(err, errno, "join %s namespace", spec_ns_type_name(order[i]));
		close(fd);
		if (order[i] == SPEC_NS_USER && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			return zrun_error_set(err, errno, "become root in the joined user namespace");
	}
	return 0;
}

/* Through the host's /proc (procfs.h): the files under sys/ are those of
 * the namespaces we are in now. */
static int apply_sysctl(const struct spec_linux *lx, int proc_fd, struct zrun_error *err)
{
	for (size_t i = 0; lx && i < lx->sysctl_len; i++) {
		char path[512], what[600];
		const char *key = lx->sysctl[i].key;
		if (strstr(key, "..") || strchr(key, '/'))
			return zrun_error_set(err, 0, "linux.sysctl: invalid key \"%s\"", key);
		snprintf(path, sizeof(path), "sys/%s", key);
		for (char *p = path + 4; *p; p++)
			if (*p == '.')
				*p = '/';
		snprintf(what, sizeof(what), "linux.sysctl: %s", key);
		if (procfs_write(proc_fd, path, lx->sysctl[i].value, what, err) < 0)
			return -1;
	}
	return 0;
}

/* Put extra fds (listeners) at 3+preserve_fds.., and mark every other fd
 * above them close-on-exec: the program gets stdio, --preserve-fds and the
 * listeners, nothing of ours (the CVE-2024-21626 class). */
static int place_fds(const struct init_args *a, struct zrun_error *err)
{
	int first = 3 + a->preserve_fds;
	int high[64];

	if (a->extra_fds_len > 64)
		return zrun_error_set(err, EINVAL, "too many listener fds");
	for (int i = 0; i < a->extra_fds_len; i++) {
		high[i] = fcntl(a->extra_fds[i], F_DUPFD_CLOEXEC, first + a->extra_fds_len);
		if (high[i] < 0)
			return zrun_error_set(err, errno, "dup listener fd");
	}
	for (int i = 0; i < a->extra_fds_len; i++) {
		if (dup2(high[i], first + i) < 0)
			return zrun_error_set(err, errno, "place listener fd");
		close(high[i]);
	}
	unsigned int from = (unsigned)(first + a->extra_fds_len);
	if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return zrun_error_set(err, errno, "close_range");
	return 0;
}

static int wait_for_start(int fifo_fd)
{
	char c;
	ssize_t n;

	do {
		n = read(fifo_fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static bool has_create_hooks(const struct spec *spec)
{
	const struct spec_hooks *h = &spec->hooks;

	return h->prestart.len || h->create_runtime.len || h->create_container.len ||
	       h->start_container.len;
}

/* runtime-spec runtime.md, lifecycle steps 3-5: with the mounts made and
 * before pivot_root, create runs prestart and createRuntime in the runtime
 * namespace; then createContainer runs here, in the container's namespaces,
 * its path still resolved from the host's root. *state gets the state JSON
 * texts create sent ("creating" NUL "created"), kept for startContainer. */
static int run_create_hooks(const struct init_args *a, char **state, struct zrun_error *err)
{
	struct sync_msg msg;
	ssize_t n;

	if (!has_create_hooks(a->spec))
		return 0;
	if (sync_send(a->sync_fd, SYNC_HOOKS, NULL) < 0 || sync_recv(a->sync_fd, &msg, -1) < 0 ||
	    msg.type != SYNC_GO)
		return zrun_error_set(err, EPROTO, "hooks: no answer from zrun create");
	*state = malloc(HOOK_STATE_MAX);
	if (*state == NULL)
		return zrun_error_set(err, ENOMEM, "hooks");
	do {
		n = recv(a->sync_fd, *state, HOOK_STATE_MAX - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0 || memchr(*state, '\0', (size_t)n) == NULL)
		return zrun_error_set(err, EPROTO, "hooks: no state from zrun create");
	(*state)[n] = '\0';
	return hooks_run(&a->spec->hooks.create_container, "createContainer", *state, err);
}

/* The state for startContainer: the second text of run_create_hooks'. */
static const char *created_state(const char *state)
{
	return state + strlen(state) + 1;
}

static void setup(const struct init_args *a, char **hook_state, char *exe, size_t exe_len,
		  struct zrun_error *err)
{
	const struct spec *spec = a->spec;
	const struct spec_linux *lx = spec->linux_;
	/* A mount namespace, new or joined, gets the whole rootfs set-up in it
	 * (as runc and crun do), with chroot instead of pivot_root in a joined
	 * one (rootfs_pivot); without one the container only gets root.path as
	 * its root (create refused what would need mounts: rootfs_validate). */
	bool mnt_ns = spec_namespace_find(spec, SPEC_NS_MOUNT) != NULL;
	bool joined_mnt = a->ns_fds[SPEC_NS_MOUNT] >= 0;
	bool in_user_ns = spec_namespace_find(spec, SPEC_NS_USER) != NULL;

	if (join_namespaces(a, err) < 0)
		init_fail(a, err);
	/* Cloned into a new user namespace we still hold the host's ids, which
	 * that namespace cannot map: files we create on its mounts (a tmpfs
	 * /dev) fail with EOVERFLOW. The maps are written before SYNC_GO, so
	 * become the namespace's root now, as runc does. */
	if (in_user_ns && a->ns_fds[SPEC_NS_USER] < 0 &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		init_fail(a, (zrun_error_set(err, errno, "become root in the new user namespace"), err));
	if (a->new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0)
		init_fail(a, (zrun_error_set(err, errno, "new cgroup namespace"), err));
	if (setsid() < 0)
		init_fail(a, (zrun_error_set(err, errno, "setsid"), err));
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		init_fail(a, (zrun_error_set(err, errno, "hostname %s", spec->hostname), err));
	if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		init_fail(a, (zrun_error_set(err, errno, "domainname %s", spec->domainname), err));
	if (apply_sysctl(lx, a->proc_fd, err) < 0)
		init_fail(a, err);
	if (mnt_ns) {
		struct rootfs_config cfg = {
			.spec = spec, .rootfs = a->rootfs, .rootfs_fd = a->rootfs_fd,
			.joined_ns = joined_mnt, .bundle = a->bundle,
			.cgroup_path = a->cgroup_path, .cgroup = a->cgroup, .in_user_ns = in_user_ns,
			.new_cgroup_ns = a->new_cgroup_ns, .no_pivot = a->no_pivot,
		};
		if (rootfs_prepare(&cfg, err) < 0 || run_create_hooks(a, hook_state, err) < 0 ||
		    rootfs_pivot(&cfg, err) < 0)
			init_fail(a, err);
		if (spec->process->terminal && terminal_setup(a->console_socket_fd, spec->process, err) < 0)
			init_fail(a, err);
		if (rootfs_finish(&cfg, err) < 0)
			init_fail(a, err);
	} else if (rootfs_make_cwd(spec, a->rootfs_fd, err) < 0 || run_create_hooks(a, hook_state, err) < 0 ||
		   (spec->process->terminal && terminal_setup(a->console_socket_fd, spec->process, err) < 0) ||
		   rootfs_chroot(a->rootfs_fd, err) < 0) {
		init_fail(a, err);
	}
	/* The rootfs is our root now; its fd (of create's namespace, perhaps)
	 * must not reach the program. */
	close(a->rootfs_fd);
	if (chdir(spec->process->cwd) < 0)
		init_fail(a, (zrun_error_set(err, errno, "process.cwd %s", spec->process->cwd), err));
	/* A cwd reached through a leaked fd would be outside the root: the
	 * kernel reports such a cwd as "(unreachable)..." (CVE-2024-21626). */
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/')
		init_fail(a, (zrun_error_set(err, 0, "process.cwd %s is outside the container", spec->process->cwd), err));
	if (executable_resolve(spec->process->args[0], a->env, exe, exe_len, err) < 0)
		init_fail(a, err);
	if (!a->no_new_keyring && syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 &&
	    errno != ENOSYS && errno != EPERM)
		init_fail(a, (zrun_error_set(err, errno, "new session keyring"), err));
}

/* Load the prepared filter; a notify fd goes to create, which hands it to
 * the listener (runc's order: the agent is reached from the runtime
 * namespace). */
static int load_seccomp_filter(const struct init_args *a, const struct zseccomp_program *prog,
			       struct zrun_error *err)
{
	int notify_fd;

	if (zseccomp_install(prog, &notify_fd, err) < 0)
		return -1;
	if (notify_fd < 0)
		return 0;
	int r = sync_send_fd(a->sync_fd, SYNC_SECCOMP, notify_fd);
	int e = errno;
	close(notify_fd);
	return r < 0 ? zrun_error_set(err, e, "linux.seccomp: passing the notify fd to zrun create") : 0;
}

/* The init is a fork of `zrun create` and would otherwise hold every fd of
 * that process (the caller's pipes, locks) until it execs at `start`, long
 * after create returned: keep only what the init and the program need. */
static void close_unneeded_fds(const struct init_args *a)
{
	int keep[SPEC_NS_COUNT + 64 + 8];
	size_t n = 0;

	keep[n++] = a->sync_fd;
	keep[n++] = a->fifo_fd;
	if (a->rootfs_fd >= 0)
		keep[n++] = a->rootfs_fd;
	if (a->console_socket_fd >= 0)
		keep[n++] = a->console_socket_fd;
	for (int i = 0; i < SPEC_NS_COUNT; i++)
		if (a->ns_fds[i] >= 0)
			keep[n++] = a->ns_fds[i];
	for (int i = 0; i < a->extra_fds_len && i < 64; i++)
		keep[n++] = a->extra_fds[i];
	fds_close_except((unsigned)(3 + a->preserve_fds), keep, n);
}

/* When the filter goes in (runtime-spec config.md, "seccomp", and
 * runc's order): FILTER_FIRST when noNewPrivileges is unset, since then
 * loading needs CAP_SYS_ADMIN, which the user switch drops; else after
 * the switch and PR_SET_NO_NEW_PRIVS. NOTIFY: its fd must reach create. */
struct seccomp_order {
	bool filter, filter_first, notify;
};

static struct seccomp_order seccomp_order_of(const struct spec *spec)
{
	struct seccomp_order o = { 0 };

	o.filter = spec->linux_ && spec->linux_->seccomp;
	o.filter_first = o.filter && !spec->process->no_new_privileges;
	o.notify = o.filter && spec->linux_->seccomp->listener_path;
	return o;
}

/* The user switch, then no_new_privs: both before "ready" unless the
 * filter has to come first. */
static int switch_user(const struct caps_switch *sw, bool in_user_ns, const struct spec_process *p,
		       struct zrun_error *err)
{
	if (caps_switch_finish(sw, in_user_ns, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return zrun_error_set(err, errno, "no_new_privs");
	return 0;
}

/* After `start`: create is gone, so the error goes to the exec fifo, where
 * `start` may read it, and to the program's stderr. */
__attribute__((noreturn)) static void start_fail(const struct init_args *a, struct zrun_error *err)
{
	dprintf(a->fifo_fd, "F%s", err->msg);
	dprintf(2, "zrun: %s\n", err->msg);
	_exit(127);
}

/* Our own fds go above the numbers the program's fds will take (not "far
 * above": RLIMIT_NOFILE may be as low as 1024); stdio becomes the
 * container's; everything else of create's is closed. Returns the base. */
static int move_own_fds(const struct init_args *args, struct init_args *moved)
{
	if (args->lock_fd >= 0)
		close(args->lock_fd);
	/* Only the container gets these (log pipes): create keeps its own
	 * stderr for its error messages. */
	for (int i = 0; args->stdio_fds && i < 3; i++)
		if (args->stdio_fds[i] >= 0 && args->stdio_fds[i] != i && dup2(args->stdio_fds[i], i) < 0)
			_exit(1);
	int base = 3 + args->preserve_fds + args->extra_fds_len;
	moved->sync_fd = fcntl(args->sync_fd, F_DUPFD_CLOEXEC, base);
	moved->fifo_fd = fcntl(args->fifo_fd, F_DUPFD_CLOEXEC, base);
	if (moved->sync_fd < 0 || moved->fifo_fd < 0)
		_exit(1);
	close(args->sync_fd);
	close(args->fifo_fd);
	if (args->console_socket_fd >= 0) {
		moved->console_socket_fd = fcntl(args->console_socket_fd, F_DUPFD_CLOEXEC, base);
		close(args->console_socket_fd);
	}
	close_unneeded_fds(moved);
	return base;
}

/* From "ready" to execve: wait for create's word and for `start`, run the
 * startContainer hooks, then the filter with only the user switch after
 * it (see init_main). */
__attribute__((noreturn)) static void run_program(const struct init_args *a, char *hook_state,
						  const struct zseccomp_program *filter,
						  const struct caps_switch *sw, struct seccomp_order order,
						  const char *exe)
{
	const struct spec *spec = a->spec;
	const struct spec_process *p = spec->process;
	bool in_user_ns = spec_namespace_find(spec, SPEC_NS_USER) != NULL;
	struct zrun_error err = { 0 };
	struct sync_msg msg;

	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(a->sync_fd, SYNC_READY, NULL) < 0)
		_exit(1);
	/* create answers SYNC_GO once "created" is recorded; EOF means it died
	 * before: nobody knows of us, so no init is left waiting on the fifo. */
	if (sync_recv(a->sync_fd, &msg, -1) < 0 || msg.type != SYNC_GO)
		_exit(1);
	close(a->sync_fd);
	if (wait_for_start(a->fifo_fd) < 0)
		_exit(1);
	/* runtime-spec: startContainer runs in the container, after start and
	 * before the program; a failure stops the container, and `start`
	 * (waiting on the fifo) reports it. */
	if (hook_state && hooks_run(&spec->hooks.start_container, "startContainer",
				    created_state(hook_state), &err) < 0) {
		dprintf(a->fifo_fd, "F%s", err.msg);
		dprintf(2, "zrun: %s\n", err.msg);
		_exit(127);
	}
	free(hook_state);
	if (lsm_apply_exec_labels(p, a->proc_fd, &err) < 0)
		start_fail(a, &err);
	if (a->proc_fd >= 0)
		close(a->proc_fd);
	/* The exec fifo stays open (close-on-exec) until execve: `start`
	 * waiting on it sees EOF then, or our "F" and the error before. */
	if (!order.notify && order.filter_first &&
	    (zseccomp_install(filter, NULL, &err) < 0 || caps_switch_finish(sw, in_user_ns, &err) < 0))
		start_fail(a, &err);
	if (!order.notify && order.filter && !order.filter_first && zseccomp_install(filter, NULL, &err) < 0)
		start_fail(a, &err);
	execve(exe, p->args, a->env);
	dprintf(2, "zrun: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

void init_main(const struct init_args *args)
{
	struct init_args moved = *args;
	const struct init_args *a = &moved;
	const struct spec *spec = a->spec;
	const struct spec_process *p = spec->process;
	struct zrun_error err = { 0 };
	struct sync_msg msg;
	char exe[4096];

	/* Until exec, nothing in the container may open /proc/<us>/exe (the
	 * host zrun binary) or ptrace us: CVE-2019-5736. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* If create dies before we are ready, so do we. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int base = move_own_fds(args, &moved);
	if (sync_recv(a->sync_fd, &msg, -1) < 0 || msg.type != SYNC_GO)
		_exit(1);
	/* Before any namespace is joined or mount made: the /proc whose files
	 * nothing of the container can cover. Above the program's fds; only
	 * when something is to be written there. */
	moved.proc_fd = -1;
	if (procattr_needs_procfs(spec->linux_, p) && (moved.proc_fd = procfs_open(base, &err)) < 0)
		init_fail(a, &err);
	char *hook_state = NULL;
	setup(a, &hook_state, exe, sizeof(exe), &err);
	if (procattr_apply(spec, &err) < 0 || procattr_apply_rlimits(p, &err) < 0)
		init_fail(a, &err);
	/* runtime-spec: once the filter is loaded, nothing but what execve
	 * needs may follow, or a profile written for the program (one without
	 * close_range, openat2, ...) breaks the runtime. So every fd, procfs
	 * and cgroup step is done first, and after the filter come only the
	 * user switch (when noNewPrivileges is unset the filter needs
	 * CAP_SYS_ADMIN, which the switch drops) and execve. */
	struct seccomp_order order = seccomp_order_of(spec);
	struct caps_switch sw;
	bool in_user_ns = spec_namespace_find(spec, SPEC_NS_USER) != NULL;
	struct zseccomp_program filter = { 0 };
	if (caps_switch_prepare(p, &sw, &err) < 0 ||
	    (order.filter && zseccomp_prepare(spec->linux_->seccomp, &filter, &err) < 0))
		init_fail(a, &err);
	/* A notify listener must have its fd before create returns (runc does
	 * the same): then the filter is loaded before "ready", and the sync
	 * and fifo wait pass through it. */
	if (order.notify && order.filter_first && load_seccomp_filter(a, &filter, &err) < 0)
		init_fail(a, &err);
	if (!order.filter_first && switch_user(&sw, in_user_ns, p, &err) < 0)
		init_fail(a, &err);
	if (order.notify && !order.filter_first && load_seccomp_filter(a, &filter, &err) < 0)
		init_fail(a, &err);
	if (order.notify && order.filter_first && switch_user(&sw, in_user_ns, p, &err) < 0)
		init_fail(a, &err);
	if (place_fds(a, &err) < 0)
		init_fail(a, &err);
	/* socket activation: LISTEN_PID is our pid as the program will see it */
	static char listen_pid[32];
	if (a->listen_pid_slot >= 0) {
		snprintf(listen_pid, sizeof(listen_pid), "LISTEN_PID=%d", getpid());
		a->env[a->listen_pid_slot] = listen_pid;
	}
	run_program(a, hook_state, &filter, &sw, order, exe);
}
