/* hooks.c: one hook is a fork + execve with a pipe on stdin (the state) and
 * one on stdout+stderr (kept, bounded, for the message), watched with a
 * pidfd in one poll loop until it exits or its timeout passes. The same
 * code runs in `zrun` (createRuntime, poststart, poststop) and in the
 * container's init (createContainer, startContainer). */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"

static void (*warn_fn)(const char *msg, void *data);
static void *warn_data;

void hooks_set_warn_handler(void (*fn)(const char *msg, void *data), void *data)
{
	warn_fn = fn;
	warn_data = data;
}

void hooks_warn(const char *msg)
{
	if (warn_fn)
		warn_fn(msg, warn_data);
}

char *hooks_state_json(const struct container_state *st, enum container_status status, pid_t pid)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "ociVersion");
	json_w_string(&w, "1.2.0");
	json_w_key(&w, "id");
	json_w_string(&w, st->id);
	json_w_key(&w, "status");
	json_w_string(&w, state_status_name(status));
	/* runtime-spec runtime.md "State": pid is required while the
	 * container's process exists (created, running). */
	if (status != STATUS_STOPPED && pid > 0) {
		json_w_key(&w, "pid");
		json_w_int(&w, pid);
	}
	json_w_key(&w, "bundle");
	json_w_string(&w, st->bundle ? st->bundle : "");
	if (st->annotations_len > 0) {
		json_w_key(&w, "annotations");
		json_w_object_begin(&w);
		for (size_t i = 0; i < st->annotations_len; i++) {
			json_w_key(&w, st->annotations[i].key);
			json_w_string(&w, st->annotations[i].value);
		}
		json_w_object_end(&w);
	}
	json_w_object_end(&w);
	return json_w_finish(&w);
}

__attribute__((noreturn)) static void exec_hook(const struct spec_hook *h, int in, int out)
{
	char *default_argv[] = { h->path, NULL };
	char *no_env[] = { NULL };
	sigset_t none;

	/* The caller may block signals (run forwards them) or ignore SIGPIPE;
	 * both would be inherited across execve. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	/* Nothing of ours (sync socket, fifo, locks) reaches the hook. */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execve(h->path, h->args && h->args[0] ? h->args : default_argv, h->env ? h->env : no_env);
	dprintf(2, "exec %s: %s", h->path, strerror(errno));
	_exit(127);
}

struct hook_run {
	int in, out, pidfd;
	const char *state;
	size_t state_len, written;
	char output[HOOK_OUTPUT_MAX];
	size_t output_len;
};

static void read_output(struct hook_run *r)
{
	char buf[1024];
	ssize_t n;

	while ((n = read(r->out, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(r->output) - 1 - r->output_len;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(r->output + r->output_len, buf, take);
		r->output_len += take;
	}
	if (n == 0) {
		close(r->out);
		r->out = -1;
	}
}

static void write_state(struct hook_run *r)
{
	ssize_t n = write(r->in, r->state + r->written, r->state_len - r->written);

	if (n > 0)
		r->written += (size_t)n;
	/* EPIPE: the hook does not read its stdin, which is its right. */
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || r->written == r->state_len) {
		close(r->in);
		r->in = -1;
	}
}

/* Poll until the hook exits (true) or the deadline passes (false). */
static bool watch(struct hook_run *r, long long deadline_ms)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = r->pidfd, .events = POLLIN },
			{ .fd = r->out, .events = POLLIN },
			{ .fd = r->in, .events = POLLOUT },
		};
		int timeout = -1;
		if (deadline_ms > 0) {
			long long left = deadline_ms - now_ms();
			if (left <= 0)
				return false;
			timeout = left > 60000 ? 60000 : (int)left;
		}
		int n = poll(p, 3, timeout);
		if (n < 0 && errno != EINTR)
			return true; /* cannot watch: fall back to a plain wait */
		if (n <= 0)
			continue;
		if (p[1].revents)
			read_output(r);
		if (p[2].revents)
			write_state(r);
		if (p[0].revents)
			return true;
	}
}

static void describe_output(struct hook_run *r, char *out, size_t len)
{
	r->output[r->output_len] = '\0';
	while (r->output_len > 0 && (r->output[r->output_len - 1] == '\n' || r->output[r->output_len - 1] == ' '))
		r->output[--r->output_len] = '\0';
	snprintf(out, len, "%s%s", r->output_len ? ": " : "", r->output);
}

static int run_one(const struct spec_hook *h, const char *what, const char *state,
		   struct zrun_error *err)
{
	struct hook_run r = { .in = -1, .out = -1, .pidfd = -1, .state = state,
			      .state_len = strlen(state) };
	int in[2], out[2], status = 0;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;

	if (pipe2(in, O_CLOEXEC) < 0)
		return zrun_error_set(err, errno, "%s: pipe", what);
	if (pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		return zrun_error_set(err, e, "%s: pipe", what);
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		return zrun_error_set(err, e, "%s: fork", what);
	}
	if (pid == 0)
		exec_hook(h, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	r.in = in[1];
	r.out = out[0];
	fcntl(r.in, F_SETFL, O_NONBLOCK);
	fcntl(r.out, F_SETFL, O_NONBLOCK);
	r.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	sigaction(SIGPIPE, &ign, &old_pipe);
	bool exited = r.pidfd < 0 || watch(&r, h->has_timeout ? now_ms() + h->timeout_s * 1000LL : 0);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (!exited)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* A background child of the hook may hold the pipe: read what is there, no more. */
	if (r.out >= 0)
		read_output(&r);
	if (r.in >= 0)
		close(r.in);
	if (r.out >= 0)
		close(r.out);
	if (r.pidfd >= 0)
		close(r.pidfd);
	char tail[HOOK_OUTPUT_MAX + 4];
	describe_output(&r, tail, sizeof(tail));
	if (!exited)
		return zrun_error_set(err, 0, "%s: killed after its timeout of %d s%s", what,
				      h->timeout_s, tail);
	if (WIFSIGNALED(status))
		return zrun_error_set(err, 0, "%s: killed by signal %d%s", what, WTERMSIG(status), tail);
	if (WEXITSTATUS(status) != 0)
		return zrun_error_set(err, 0, "%s: exited with status %d%s", what,
				      WEXITSTATUS(status), tail);
	return 0;
}

int hooks_run(const struct spec_hook_list *list, const char *kind, const char *state_json,
	      struct zrun_error *err)
{
	char what[512];

	for (size_t i = 0; list && i < list->len; i++) {
		snprintf(what, sizeof(what), "%s hook #%zu %s", kind, i, list->hooks[i].path);
		if (run_one(&list->hooks[i], what, state_json, err) < 0)
			return -1;
	}
	return 0;
}

void hooks_run_warn(const struct spec_hook_list *list, const char *kind, const char *state_json)
{
	struct zrun_error err;
	char what[512];

	for (size_t i = 0; list && i < list->len; i++) {
		snprintf(what, sizeof(what), "%s hook #%zu %s", kind, i, list->hooks[i].path);
		if (run_one(&list->hooks[i], what, state_json, &err) < 0)
			hooks_warn(err.msg);
	}
}

static void write_hook_list(struct json_writer *w, const char *key, const struct spec_hook_list *l)
{
	if (l->len == 0)
		return;
	json_w_key(w, key);
	json_w_array_begin(w);
	for (size_t i = 0; i < l->len; i++) {
		const struct spec_hook *h = &l->hooks[i];
		json_w_object_begin(w);
		json_w_key(w, "path");
		json_w_string(w, h->path);
		if (h->args) {
			json_w_key(w, "args");
			json_w_strv(w, (const char *const *)h->args);
		}
		if (h->env) {
			json_w_key(w, "env");
			json_w_strv(w, (const char *const *)h->env);
		}
		if (h->has_timeout) {
			json_w_key(w, "timeout");
			json_w_int(w, h->timeout_s);
		}
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

bool hooks_after_create(const struct spec_hooks *h)
{
	return h->start_container.len || h->poststart.len || h->poststop.len;
}

int hooks_save(const char *path, const struct spec_hooks *h, struct zrun_error *err)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "ociVersion");
	json_w_string(&w, "1.2.0");
	json_w_key(&w, "root");
	json_w_object_begin(&w);
	json_w_key(&w, "path");
	json_w_string(&w, "/");
	json_w_object_end(&w);
	json_w_key(&w, "hooks");
	json_w_object_begin(&w);
	write_hook_list(&w, "startContainer", &h->start_container);
	write_hook_list(&w, "poststart", &h->poststart);
	write_hook_list(&w, "poststop", &h->poststop);
	json_w_object_end(&w);
	json_w_object_end(&w);
	char *doc = json_w_finish(&w);
	if (doc == NULL)
		return zrun_error_set(err, ENOMEM, "hooks");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(doc);
	ssize_t n = fd < 0 ? -1 : write(fd, doc, len);
	int e = errno;
	free(doc);
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len ? 0 : zrun_error_set(err, e, "write %s", path);
}

struct spec *hooks_load(const char *path, struct zrun_error *err)
{
	char *buf;
	size_t len;

	zrun_error_clear(err);
	if (access(path, F_OK) < 0)
		return NULL;
	if (json_read_file(path, SPEC_MAX_BYTES, &buf, &len, err) < 0)
		return NULL;
	struct spec *s = spec_parse(buf, len, path, err);
	free(buf);
	return s;
}
