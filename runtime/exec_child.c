/* The container side of `exec`: join the init's namespaces, fork into its
 * pid namespace, then set the process up in the order the init uses
 * (terminal, cwd and the executable check, rlimits, LSM label, fds; then
 * seccomp before the user switch unless no_new_privs, user and
 * capabilities, no_new_privs, seccomp with no_new_privs) and exec. */
#include "exec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "executable.h"
#include "fdmsg.h"
#include "lsm.h"
#include "procattr.h"
#include "procfs.h"
#include "rootless.h"
#include "terminal.h"
#include "zseccomp.h"

static int msg_send(int fd, const struct exec_msg *m, int passed)
{
	ssize_t n = fdmsg_send(fd, m, sizeof(*m), &passed, passed >= 0 ? 1 : 0);

	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int exec_msg_send(int fd, int type, pid_t pid, const struct zrun_error *err)
{
	struct exec_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.pid = pid;
	if (err) {
		m.errno_value = err->errno_value;
		snprintf(m.msg, sizeof(m.msg), "%s", err->msg);
	}
	return msg_send(fd, &m, -1);
}

int exec_msg_send_fd(int fd, int type, int passed)
{
	struct exec_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	return msg_send(fd, &m, passed);
}

__attribute__((noreturn)) static void child_fail(const struct exec_child *a, struct zrun_error *err)
{
	exec_msg_send(a->sync_fd, EXEC_ERROR, 0, err);
	_exit(1);
}

static int join_namespaces(const struct exec_child *a, struct zrun_error *err)
{
	for (int i = 0; i < EXEC_NS_COUNT; i++) {
		int fd = a->ns_fds[i];
		if (fd < 0)
			continue;
		enum spec_ns_type type = (enum spec_ns_type)a->ns_types[i];
		if (setns(fd, spec_ns_clone_flag(type)) < 0)
			return zrun_error_set(err, errno, "join the container's %s namespace",
					      spec_ns_type_name(type));
		close(fd);
		/* Joined as the host's root, we hold ids this namespace may not
		 * map: become its root, as the init did. */
		if (type == SPEC_NS_USER && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			return zrun_error_set(err, errno, "become root in the container's user namespace");
	}
	return 0;
}

/* A notify fd (SCMP_ACT_NOTIFY) goes to the caller, which hands it to the
 * listener from the runtime's namespaces, as it does for the init. */
static int load_seccomp(const struct exec_child *a, const struct zseccomp_program *prog,
			struct zrun_error *err)
{
	int notify_fd;

	if (zseccomp_install(prog, &notify_fd, err) < 0)
		return -1;
	if (notify_fd < 0)
		return 0;
	int r = exec_msg_send_fd(a->sync_fd, EXEC_SECCOMP, notify_fd);
	int e = errno;
	close(notify_fd);
	return r < 0 ? zrun_error_set(err, e, "linux.seccomp: passing the notify fd to zrun exec") : 0;
}

/* The program gets stdio and --preserve-fds, nothing of ours (the
 * CVE-2024-21626 class): everything above is close-on-exec. */
static int place_fds(const struct exec_child *a, struct zrun_error *err)
{
	for (int fd = 3; fd < 3 + a->preserve_fds; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags >= 0 && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
			return zrun_error_set(err, errno, "--preserve-fds: fd %d", fd);
	}
	if (syscall(SYS_close_range, 3 + a->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return zrun_error_set(err, errno, "close_range");
	return 0;
}

__attribute__((noreturn)) static void program_main(const struct exec_child *a)
{
	const struct spec_process *p = a->process;
	bool seccomp = a->seccomp != NULL;
	struct zrun_error err = { 0 };
	char exe[4096], cwd[4096];

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (a->console_fd >= 0) {
		if (setsid() < 0)
			child_fail(a, (zrun_error_set(&err, errno, "setsid"), &err));
		/* /dev/ptmx now resolves in the container: the pty is in its devpts. */
		if (terminal_setup(a->console_fd, p, &err) < 0)
			child_fail(a, &err);
	}
	if (chdir(p->cwd) < 0)
		child_fail(a, (zrun_error_set(&err, errno, "cwd %s", p->cwd), &err));
	/* A cwd reached through a leaked fd would be outside the root: the
	 * kernel reports such a cwd as "(unreachable)..." (CVE-2024-21626). */
	if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/')
		child_fail(a, (zrun_error_set(&err, 0, "cwd %s is outside the container", p->cwd), &err));
	if (executable_resolve(p->args[0], p->env, exe, sizeof(exe), &err) < 0)
		child_fail(a, &err);
	if (procattr_apply_rlimits(p, &err) < 0 || procattr_apply(a->spec, &err) < 0 ||
	    lsm_apply_exec_labels(p, a->proc_fd, &err) < 0)
		child_fail(a, &err);
	/* As in the init (runtime/init.c): every step of ours before the
	 * filter, and after it only the user switch (noNewPrivileges unset:
	 * loading needs CAP_SYS_ADMIN, which the switch drops) and execve. */
	struct caps_switch sw;
	struct zseccomp_program filter = { 0 };
	bool in_user_ns = rootless_in_user_ns(a->spec);
	bool filter_first = seccomp && !p->no_new_privileges;
	if (caps_switch_prepare(p, &sw, &err) < 0 || (seccomp && zseccomp_prepare(a->seccomp, &filter, &err) < 0))
		child_fail(a, &err);
	if (place_fds(a, &err) < 0)
		child_fail(a, &err);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (filter_first && load_seccomp(a, &filter, &err) < 0)
		child_fail(a, &err);
	if (caps_switch_finish(&sw, in_user_ns, &err) < 0)
		child_fail(a, &err);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(a, (zrun_error_set(&err, errno, "no_new_privs"), &err));
	if (seccomp && !filter_first && load_seccomp(a, &filter, &err) < 0)
		child_fail(a, &err);
	execve(exe, p->args, p->env);
	child_fail(a, (zrun_error_set(&err, errno, "exec %s", exe), &err));
}

void exec_child_main(const struct exec_child *args)
{
	struct exec_child moved = *args;
	struct zrun_error err = { 0 };
	struct exec_msg m;

	/* Until the program is exec'd we are the host zrun binary inside the
	 * container's pid namespace: nothing there may open /proc/<us>/exe or
	 * ptrace us (CVE-2019-5736). The fork below inherits this. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* zrun exec died before PDEATHSIG was set: nobody waits for us. */
	if (getppid() != args->parent)
		_exit(1);
	if (args->lock_fd >= 0)
		close(args->lock_fd);
	/* Our fds go above the numbers --preserve-fds passes on. */
	int base = 3 + args->preserve_fds;
	moved.sync_fd = fcntl(args->sync_fd, F_DUPFD_CLOEXEC, base);
	if (moved.sync_fd < 0)
		_exit(1);
	close(args->sync_fd);
	moved.root_fd = fcntl(args->root_fd, F_DUPFD_CLOEXEC, base);
	if (moved.root_fd < 0)
		child_fail(&moved, (zrun_error_set(&err, errno, "the container's root"), &err));
	close(args->root_fd);
	if (args->console_fd >= 0) {
		moved.console_fd = fcntl(args->console_fd, F_DUPFD_CLOEXEC, base);
		close(args->console_fd);
		if (moved.console_fd < 0)
			child_fail(&moved, (zrun_error_set(&err, errno, "console socket"), &err));
	}
	ssize_t n;
	do {
		n = recv(moved.sync_fd, &m, sizeof(m), 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(m) || m.type != EXEC_GO)
		_exit(1);
	/* Before the container's mount namespace: the /proc whose files
	 * nothing of the container can cover (procfs.h), when needed. */
	moved.proc_fd = -1;
	if ((procattr_needs_procfs(NULL, moved.process) || moved.process->has_oom_score_adj) &&
	    (moved.proc_fd = procfs_open(base, &err)) < 0)
		child_fail(&moved, &err);
	/* Still outside the container's user namespace (procattr.h); the
	 * program forked below inherits the score. */
	if (procattr_apply_oom_score_adj(moved.process, moved.proc_fd, 0, &err) < 0 ||
	    join_namespaces(&moved, &err) < 0)
		child_fail(&moved, &err);
	if (fchdir(moved.root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		child_fail(&moved, (zrun_error_set(&err, errno, "enter the container's root"), &err));
	close(moved.root_fd);
	/* The pid (and time) namespace applies to children: fork into it.
	 * CLONE_PARENT makes the program the caller's child, so `zrun exec`
	 * can wait for it (exit_signal must be 0: the parent's is used). */
	struct clone_args ca = { .flags = CLONE_PARENT };
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0)
		child_fail(&moved, (zrun_error_set(&err, errno, "fork into the container's pid namespace"), &err));
	if (pid == 0)
		program_main(&moved);
	exec_msg_send(moved.sync_fd, EXEC_PID, (pid_t)pid, NULL);
	_exit(0);
}
