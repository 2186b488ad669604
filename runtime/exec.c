/* The caller's side of `exec`: find the container, build the process from
 * config.json (or --process) and the overrides, open the init's
 * namespaces, clone the setup process into the container's cgroup and
 * wait until the program runs or its setup fails. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capabilities.h"
#include "cgroup.h"
#include "cgroup_container.h"
#include "cgroup_driver.h"
#include "container.h"
#include "fault.h"
#include "exec_internal.h"
#include "fdmsg.h"
#include "json.h"
#include "lsm.h"
#include "state.h"
#include "terminal.h"
#include "zseccomp.h"

#define EXEC_SETUP_TIMEOUT_MS (120 * 1000)

static const struct {
	enum spec_ns_type type;
	const char *file;               /* in /proc/PID/ns */
} join_order[EXEC_NS_COUNT] = {
	{ SPEC_NS_USER, "user" }, { SPEC_NS_IPC, "ipc" }, { SPEC_NS_UTS, "uts" },
	{ SPEC_NS_NETWORK, "net" }, { SPEC_NS_PID, "pid" }, { SPEC_NS_CGROUP, "cgroup" },
	{ SPEC_NS_MOUNT, "mnt" }, { SPEC_NS_TIME, "time" },
};

/* Everything exec holds, released in one place. */
struct exec_ctx {
	const struct container_exec_opts *opts;
	struct container_state st;
	bool have_state;
	struct spec *spec;
	struct spec_process *process;
	struct spec view;               /* spec with process = the exec's */
	struct spec_linux view_linux;
	int notify_fd;                  /* seccomp notify fd waiting for the program's pid */
	struct cgroup *cg;
	int lock_fd, proc_fd, root_fd, cgroup_fd, console_fd, relay[2], sync[2];
	int ns_fds[EXEC_NS_COUNT];
	pid_t setup_pid, pid;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void ctx_release(struct exec_ctx *c, bool failed)
{
	if (failed && c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->setup_pid > 0) {
		kill(c->setup_pid, SIGKILL);
		waitpid(c->setup_pid, NULL, 0);
	}
	for (int i = 0; i < EXEC_NS_COUNT; i++)
		close_fd(&c->ns_fds[i]);
	close_fd(&c->lock_fd);
	close_fd(&c->proc_fd);
	close_fd(&c->root_fd);
	close_fd(&c->cgroup_fd);
	close_fd(&c->notify_fd);
	close_fd(&c->console_fd);
	close_fd(&c->relay[0]);
	close_fd(&c->relay[1]);
	close_fd(&c->sync[0]);
	close_fd(&c->sync[1]);
	cgroup_free(c->cg);
	spec_process_free(c->process);
	spec_free(c->spec);
	if (c->have_state)
		state_clear(&c->st);
}

/* ---- the process: config.json's, with the caller's overrides ---- */

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static int strv_add(char ***v, const char *s, struct zrun_error *err)
{
	size_t n = strv_len(*v);
	char **grown = realloc(*v, (n + 2) * sizeof(char *));

	if (grown == NULL)
		return zrun_error_set(err, ENOMEM, "exec");
	*v = grown;
	grown[n] = strdup(s);
	grown[n + 1] = NULL;
	return grown[n] ? 0 : zrun_error_set(err, ENOMEM, "exec");
}

static char **strv_dup(char *const *v, struct zrun_error *err)
{
	char **out = calloc(strv_len(v) + 1, sizeof(char *));

	if (out == NULL) {
		zrun_error_set(err, ENOMEM, "exec");
		return NULL;
	}
	for (size_t i = 0; v && v[i]; i++) {
		out[i] = strdup(v[i]);
		if (out[i] == NULL) {
			json_strv_free(out);
			zrun_error_set(err, ENOMEM, "exec");
			return NULL;
		}
	}
	return out;
}

/* --env K=V replaces K where config.json sets it, else is added. */
static int env_set(char ***env, const char *kv, struct zrun_error *err)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	if (eq == NULL || klen == 0)
		return zrun_error_set(err, 0, "--env %s: expected NAME=VALUE", kv);
	for (size_t i = 0; (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
			char *copy = strdup(kv);
			if (copy == NULL)
				return zrun_error_set(err, ENOMEM, "exec");
			free((*env)[i]);
			(*env)[i] = copy;
			return 0;
		}
	}
	return strv_add(env, kv, err);
}

/* runc exec --cap: bounding, effective and permitted; ambient too when the
 * process has inheritable capabilities (ambient needs inheritable). */
static int add_caps(struct spec_process *p, char *const *caps, struct zrun_error *err)
{
	if (caps == NULL || caps[0] == NULL)
		return 0;
	if (p->capabilities == NULL) {
		p->capabilities = calloc(1, sizeof(*p->capabilities));
		if (p->capabilities == NULL)
			return zrun_error_set(err, ENOMEM, "exec");
	}
	struct spec_capabilities *c = p->capabilities;
	for (size_t i = 0; caps[i]; i++) {
		if (caps_check_name(caps[i], err) < 0)
			return zrun_error_prefix(err, "--cap");
		if (strv_add(&c->bounding, caps[i], err) < 0 || strv_add(&c->effective, caps[i], err) < 0 ||
		    strv_add(&c->permitted, caps[i], err) < 0 ||
		    (c->inheritable && strv_add(&c->ambient, caps[i], err) < 0))
			return -1;
	}
	return 0;
}

static int replace_str(char **field, const char *value, struct zrun_error *err)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return zrun_error_set(err, ENOMEM, "exec");
	free(*field);
	*field = copy;
	return 0;
}

static int apply_overrides(struct exec_ctx *c, struct spec_process *p, struct zrun_error *err)
{
	const struct container_exec_opts *o = c->opts;

	json_strv_free(p->args);
	p->args = strv_dup(o->args, err);
	if (p->args == NULL)
		return -1;
	p->terminal = o->tty;
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return zrun_error_set(err, 0, "--cwd %s: must be an absolute path", o->cwd);
		if (replace_str(&p->cwd, o->cwd, err) < 0)
			return -1;
	}
	for (size_t i = 0; o->env && o->env[i]; i++)
		if (env_set(&p->env, o->env[i], err) < 0)
			return -1;
	if (o->has_uid)
		p->user.uid = o->uid;
	if (o->has_gid)
		p->user.gid = o->gid;
	if (o->additional_gids_len) {
		size_t n = p->user.additional_gids_len;
		gid_t *g = realloc(p->user.additional_gids, (n + o->additional_gids_len) * sizeof(gid_t));
		if (g == NULL)
			return zrun_error_set(err, ENOMEM, "exec");
		memcpy(g + n, o->additional_gids, o->additional_gids_len * sizeof(gid_t));
		p->user.additional_gids = g;
		p->user.additional_gids_len = n + o->additional_gids_len;
	}
	if (add_caps(p, o->caps, err) < 0)
		return -1;
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (o->apparmor && replace_str(&p->apparmor_profile, o->apparmor, err) < 0)
		return -1;
	if (o->process_label && replace_str(&p->selinux_label, o->process_label, err) < 0)
		return -1;
	return 0;
}

static int load_process(struct exec_ctx *c, struct zrun_error *err)
{
	const struct container_exec_opts *o = c->opts;

	c->spec = spec_load_bundle(c->st.bundle, err);
	if (c->spec == NULL)
		return -1;
	if (o->process_file) {
		char *buf;
		size_t len;
		if (json_read_file(o->process_file, SPEC_MAX_BYTES, &buf, &len, err) < 0)
			return zrun_error_prefix(err, "--process");
		c->process = spec_parse_process(buf, len, o->process_file, err);
		free(buf);
		if (c->process == NULL)
			return -1;
	} else {
		if (c->spec->process == NULL)
			return zrun_error_set(err, 0, "config.json has no process to take defaults from");
		c->process = c->spec->process;
		c->spec->process = NULL;
		if (apply_overrides(c, c->process, err) < 0)
			return -1;
	}
	/* What the process gets of config.json besides its process: seccomp,
	 * personality. */
	c->view = *c->spec;
	c->view.process = c->process;
	if (c->view.linux_) {
		c->view_linux = *c->view.linux_;
		c->view_linux.mount_label = NULL;  /* create's business, not ours */
		c->view.linux_ = &c->view_linux;
	}
	caps_warn_unknown(c->process->capabilities);
	if (lsm_validate(&c->view, err) < 0)
		return -1;
	return 0;
}

/* ---- the container: alive, its namespaces, its cgroup ---- */

static int find_container(struct exec_ctx *c, struct zrun_error *err)
{
	const struct container_exec_opts *o = c->opts;

	if (state_validate_id(o->id, err) < 0)
		return -1;
	c->lock_fd = state_lock(o->root, o->id, err);
	if (c->lock_fd < 0 || state_read(o->root, o->id, &c->st, err) < 0)
		return -1;
	c->have_state = true;
	switch (state_live_status(o->root, &c->st)) {
	case STATUS_RUNNING:
	case STATUS_CREATED:
		break;
	case STATUS_PAUSED:
		return zrun_error_set(err, 0, "cannot exec in a paused container");
	default:
		return zrun_error_set(err, 0, "container not running");
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", c->st.pid);
	c->proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Checked after the open: a pid reused since then is not the init,
	 * and a reused one before it fails the check (or openat: ESRCH). */
	if (c->proc_fd < 0 || state_pid_start_time(c->st.pid) != c->st.pid_start_time)
		return zrun_error_set(err, 0, "container not running");
	return 0;
}

static int open_namespaces(struct exec_ctx *c, struct zrun_error *err)
{
	for (int i = 0; i < EXEC_NS_COUNT; i++) {
		char rel[32], self[64];
		struct stat theirs, ours;
		snprintf(rel, sizeof(rel), "ns/%s", join_order[i].file);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", join_order[i].file);
		if (stat(self, &ours) < 0)
			continue;  /* a namespace type this kernel does not have */
		int fd = openat(c->proc_fd, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ESRCH ? zrun_error_set(err, 0, "container not running")
					      : zrun_error_set(err, errno, "open /proc/%d/%s", c->st.pid, rel);
		if (fstat(fd, &theirs) < 0) {
			int e = errno;
			close(fd);
			return zrun_error_set(err, e, "stat /proc/%d/%s", c->st.pid, rel);
		}
		/* Joining one's own namespace is pointless, and for a user
		 * namespace an error (EINVAL). */
		if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
			close(fd);
			continue;
		}
		c->ns_fds[i] = fd;
	}
	/* The process goes where the init is rooted: joining the mount
	 * namespace gives that namespace's root, which is not the container's
	 * when the init chrooted (no mount namespace, or a joined one). */
	c->root_fd = openat(c->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0)
		return zrun_error_set(err, errno, "open /proc/%d/root", c->st.pid);
	return 0;
}

static int open_cgroup(struct exec_ctx *c, struct zrun_error *err)
{
	c->cg = container_state_cgroup(&c->st, err);
	if (c->cg == NULL)
		return -1;
	if (cgroup_version(c->cg) == CGROUP_V2) {
		/* v2: born in the cgroup (clone3 CLONE_INTO_CGROUP), never outside. */
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s%s", cgroup_mount_root(), cgroup_path(c->cg));
		c->cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c->cgroup_fd < 0)
			return zrun_error_set(err, errno, "cgroup %s", dir);
	}
	return 0;
}

static int open_console(struct exec_ctx *c, struct zrun_error *err)
{
	const struct container_exec_opts *o = c->opts;

	if (!c->process->terminal)
		return 0;
	if (o->console_socket) {
		c->console_fd = terminal_connect(o->console_socket, err);
		return c->console_fd < 0 ? -1 : 0;
	}
	if (o->detach)
		return zrun_error_set(err, 0, "cannot allocate a tty without --console-socket when detached");
	/* Foreground: the master comes back to us and we relay it. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->relay) < 0)
		return zrun_error_set(err, errno, "socketpair");
	c->console_fd = c->relay[1];
	c->relay[1] = -1;
	return 0;
}

/* ---- start it ---- */

static int spawn(struct exec_ctx *c, struct zrun_error *err)
{
	struct exec_child a = {
		.spec = &c->view, .process = c->process,
		.seccomp = c->spec->linux_ ? c->spec->linux_->seccomp : NULL,
		.sync_fd = c->sync[1], .console_fd = c->console_fd, .lock_fd = c->lock_fd,
		.preserve_fds = c->opts->preserve_fds, .parent = getpid(), .root_fd = c->root_fd,
	};
	for (int i = 0; i < EXEC_NS_COUNT; i++) {
		a.ns_fds[i] = c->ns_fds[i];
		a.ns_types[i] = join_order[i].type;
	}
	struct clone_args ca = { .exit_signal = SIGCHLD };
	if (c->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)c->cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0)
		return zrun_error_set(err, errno, "clone the exec setup process");
	if (pid == 0)
		exec_child_main(&a);
	c->setup_pid = (pid_t)pid;
	fault_point("exec-after-clone");
	close_fd(&c->sync[1]);
	close_fd(&c->console_fd);
	if (c->cgroup_fd < 0 && cgroup_add_pid(c->cg, c->setup_pid, err) < 0)
		return -1;
	if (exec_msg_send(c->sync[0], EXEC_GO, 0, NULL) < 0)
		return zrun_error_set(err, errno, "exec setup process exited before it started");
	return 0;
}

static int recv_msg(int fd, struct exec_msg *m, int *passed, struct zrun_error *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	ssize_t n;

	do {
		r = poll(&p, 1, EXEC_SETUP_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return zrun_error_set(err, 0, "exec setup did not finish in %d s", EXEC_SETUP_TIMEOUT_MS / 1000);
	if (r < 0)
		return zrun_error_set(err, errno, "poll");
	size_t nfds;
	*passed = -1;
	n = fdmsg_recv(fd, m, sizeof(*m), passed, 1, &nfds, 0);
	if (n < 0 && errno == EBADMSG)
		errno = EPROTO;
	if (n >= 0 && n != (ssize_t)sizeof(*m) && *passed >= 0) {
		/* a short message: its fd is not handed on */
		close(*passed);
		*passed = -1;
	}
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*m))
		return zrun_error_set(err, n < 0 ? errno : EPROTO, "exec setup");
	m->msg[sizeof(m->msg) - 1] = '\0';
	return 1;
}

static int send_notify_fd(struct exec_ctx *c, struct zrun_error *err)
{
	char *state = state_to_oci_json(c->opts->root, &c->st, false);

	if (state == NULL)
		return zrun_error_set(err, ENOMEM, "linux.seccomp: state");
	int r = zseccomp_send_listener(c->view.linux_->seccomp, c->notify_fd, c->pid, state, err);
	free(state);
	close_fd(&c->notify_fd);
	return r;
}

/* Read until EOF: the setup process sends the program's pid and exits, the
 * program sends an error or execs, and its exec closes the socket. */
static int wait_started(struct exec_ctx *c, struct zrun_error *err)
{
	struct exec_msg m;
	bool failed = false;
	int r, status = 0;

	int passed = -1;

	while ((r = recv_msg(c->sync[0], &m, &passed, err)) > 0) {
		if (m.type == EXEC_PID) {
			c->pid = m.pid;
		} else if (m.type == EXEC_SECCOMP && passed >= 0) {
			c->notify_fd = passed;
			passed = -1;
		} else if (m.type == EXEC_ERROR && !failed) {
			zrun_error_clear(err);
			snprintf(err->msg, sizeof(err->msg), "%s", m.msg);
			err->errno_value = m.errno_value;
			failed = true;
		}
		if (passed >= 0)
			close(passed);
		/* The program may already wait on its listener: hand the fd on
		 * as soon as its pid is known, not at the end of setup. */
		if (c->notify_fd >= 0 && c->pid > 0 && !failed && send_notify_fd(c, err) < 0)
			return -1;
	}
	if (r < 0)
		return -1;
	while (waitpid(c->setup_pid, &status, 0) < 0 && errno == EINTR)
		;
	c->setup_pid = 0;
	if (failed)
		return -1;
	if (c->pid <= 0)
		return zrun_error_set(err, 0, "exec setup process exited before it started the program (%s %d)",
				      WIFSIGNALED(status) ? "signal" : "status",
				      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return 0;
}

static int exec_steps(struct exec_ctx *c, int *console_master, struct zrun_error *err)
{
	if (find_container(c, err) < 0 || load_process(c, err) < 0)
		return -1;
	if (open_namespaces(c, err) < 0 || open_cgroup(c, err) < 0 || open_console(c, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
		return zrun_error_set(err, errno, "socketpair");
	/* Signals meant for the program are queued from now on (the program
	 * unblocks them before exec) instead of killing us before the wait. */
	if (!c->opts->detach)
		container_wait_prepare();
	if (spawn(c, err) < 0 || wait_started(c, err) < 0)
		return -1;
	/* The program is running: the container's lock is not ours to hold
	 * while it runs. */
	close_fd(&c->lock_fd);
	if (c->relay[0] >= 0) {
		/* Sent before the exec that gave us EOF: already queued. */
		*console_master = terminal_recv_fd(c->relay[0], err);
		if (*console_master < 0)
			return -1;
	}
	if (c->opts->pid_file && state_write_pid_file(c->opts->pid_file, c->pid, err) < 0)
		return -1;
	return 0;
}

int container_exec(const struct container_exec_opts *opts, pid_t *pid, int *console_master,
		   struct zrun_error *err)
{
	struct exec_ctx c;

	memset(&c, 0, sizeof(c));
	c.opts = opts;
	c.lock_fd = c.proc_fd = c.root_fd = c.cgroup_fd = c.console_fd = c.notify_fd = -1;
	c.relay[0] = c.relay[1] = c.sync[0] = c.sync[1] = -1;
	for (int i = 0; i < EXEC_NS_COUNT; i++)
		c.ns_fds[i] = -1;
	*console_master = -1;
	int r = exec_steps(&c, console_master, err);
	if (r < 0 && *console_master >= 0)
		close_fd(console_master);
	if (r == 0)
		*pid = c.pid;
	ctx_release(&c, r < 0);
	return r;
}
