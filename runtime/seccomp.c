#include "zseccomp.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdmsg.h"
#include "json.h"

#define SECCOMP_JSON_PATH_MAX 96     /* "linux.seccomp.syscalls[N].args[M].index" fits */
#define SYSCALL_ARGS_MAX 6  /* the kernel passes six syscall arguments */
#define ERRNO_RET_MAX 0xffff /* SECCOMP_RET_DATA is 16 bits; larger would be truncated */

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HAVE_SCMP_WAITKILL 1
#endif

struct action_name {
	const char *name;
	uint32_t action;    /* for ERRNO and TRACE, the return data is or-ed in */
	bool takes_errno;   /* runtime-spec: errnoRet on any other action MUST fail */
	unsigned api_level; /* seccomp_api_get() needed, see seccomp_api_get(3) */
};

static const struct action_name actions[] = {
	/* runc and crun both map SCMP_ACT_KILL to killing the thread only
	 * (libseccomp's SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD). */
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false, 1 },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, 1 },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, 3 },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, 1 },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true, 1 },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true, 1 },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, 1 },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false, 3 },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, 5 },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

#define ATTR_UNSUPPORTED (-1)

struct flag_name {
	const char *name;
	int attr;           /* enum scmp_filter_attr, or ATTR_UNSUPPORTED by this libseccomp */
	unsigned api_level;
};

static const struct flag_name flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, 2 },
	{ "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, 3 },
	/* SPEC_ALLOW disables the speculative store bypass mitigation. */
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, 4 },
#ifdef HAVE_SCMP_WAITKILL
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, 7 },
#else
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", ATTR_UNSUPPORTED, 0 },
#endif
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What the running kernel and libseccomp support; the name is known. */
static int check_api_level(unsigned need, const char *path, const char *name,
			   struct zrun_error *err)
{
	unsigned have = seccomp_api_get();

	if (have >= need)
		return 0;
	return zrun_error_set(err, 0, "%s: %s needs libseccomp API level %u, this kernel and "
			      "libseccomp %d.%d.%d give %u", path, name, need, SCMP_VER_MAJOR,
			      SCMP_VER_MINOR, SCMP_VER_MICRO, have);
}

/* Resolve an action name plus its optional errnoRet. The runtime-spec and
 * runc both default errnoRet to EPERM, for SCMP_ACT_TRACE too (where it is
 * the message the tracer sees). check_api also asks whether the kernel has it. */
static int resolve_action(const char *name, bool has_errno_ret, unsigned errno_ret,
			  const char *action_path, const char *errno_path, bool check_api,
			  uint32_t *out, struct zrun_error *err)
{
	const struct action_name *a = NULL;

	for (size_t i = 0; i < ARRAY_LEN(actions); i++) {
		if (name != NULL && strcmp(name, actions[i].name) == 0) {
			a = &actions[i];
			break;
		}
	}
	if (a == NULL)
		return zrun_error_set(err, 0, "%s: unknown action \"%s\"", action_path,
				      name != NULL ? name : "");
	if (has_errno_ret && !a->takes_errno)
		return zrun_error_set(err, 0, "%s: not allowed with %s (only with "
				      "SCMP_ACT_ERRNO or SCMP_ACT_TRACE)", errno_path, a->name);
	if (has_errno_ret && errno_ret > ERRNO_RET_MAX)
		return zrun_error_set(err, 0, "%s: %u is more than %u", errno_path, errno_ret,
				      ERRNO_RET_MAX);
	if (check_api && check_api_level(a->api_level, action_path, a->name, err) < 0)
		return -1;
	*out = a->action;
	if (a->takes_errno)
		*out |= has_errno_ret ? errno_ret : EPERM;
	return 0;
}

static int lookup_flag(const char *name, size_t i, const struct flag_name **out,
		       struct zrun_error *err)
{
	for (size_t f = 0; f < ARRAY_LEN(flags); f++) {
		if (strcmp(name, flags[f].name) != 0)
			continue;
		if (flags[f].attr == ATTR_UNSUPPORTED)
			return zrun_error_set(err, 0, "linux.seccomp.flags[%zu]: %s needs libseccomp "
					      ">= 2.6, zrun was built with %d.%d.%d", i, name,
					      SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
		*out = &flags[f];
		return 0;
	}
	return zrun_error_set(err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, name);
}

/* OCI names are "SCMP_ARCH_" + libseccomp's name in upper case. */
static int resolve_arch(const char *name, const char *path, uint32_t *out,
			struct zrun_error *err)
{
	static const char prefix[] = "SCMP_ARCH_";
	char lower[32];
	size_t len;

	*out = 0;
	if (strncmp(name, prefix, sizeof(prefix) - 1) == 0) {
		const char *suffix = name + sizeof(prefix) - 1;

		len = strlen(suffix);
		if (len > 0 && len < sizeof(lower)) {
			for (size_t i = 0; i <= len; i++)
				lower[i] = (char)tolower((unsigned char)suffix[i]);
			*out = seccomp_arch_resolve_name(lower);
		}
	}
	if (*out == 0)
		return zrun_error_set(err, 0, "%s: unknown architecture \"%s\" (libseccomp %d.%d.%d)",
				      path, name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
	return 0;
}

static int resolve_arg(const struct spec_seccomp_arg *arg, size_t sc_i, size_t arg_i,
		       struct scmp_arg_cmp *out, struct zrun_error *err)
{
	for (size_t i = 0; i < ARRAY_LEN(operators); i++) {
		if (arg->op == NULL || strcmp(arg->op, operators[i].name) != 0)
			continue;
		if (arg->index >= SYSCALL_ARGS_MAX)
			return zrun_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: "
					      "%u is not less than %d", sc_i, arg_i, arg->index,
					      SYSCALL_ARGS_MAX);
		/* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the
		 * datum: (arg & value) == valueTwo, as in runc. */
		*out = (struct scmp_arg_cmp){
			.arg = arg->index, .op = operators[i].op,
			.datum_a = arg->value, .datum_b = arg->value_two,
		};
		return 0;
	}
	return zrun_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator "
			      "\"%s\"", sc_i, arg_i, arg->op != NULL ? arg->op : "");
}

static int add_architectures(scmp_filter_ctx ctx, const struct spec_seccomp *s,
			     struct zrun_error *err)
{
	char path[SECCOMP_JSON_PATH_MAX];
	uint32_t arch;
	int rc;

	for (size_t i = 0; s->architectures != NULL && s->architectures[i] != NULL; i++) {
		snprintf(path, sizeof(path), "linux.seccomp.architectures[%zu]", i);
		if (resolve_arch(s->architectures[i], path, &arch, err) < 0)
			return -1;
		/* The native architecture is already in a new context. */
		rc = seccomp_arch_add(ctx, arch);
		if (rc == -EDOM) /* libseccomp: one filter, one byte order */
			return zrun_error_set(err, 0, "%s: \"%s\" cannot be mixed with the native "
					      "architecture (other byte order)", path,
					      s->architectures[i]);
		if (rc < 0 && rc != -EEXIST)
			return zrun_error_set(err, -rc, "%s: adding \"%s\"", path, s->architectures[i]);
	}
	return 0;
}

static int apply_flags(scmp_filter_ctx ctx, const struct spec_seccomp *s, struct zrun_error *err)
{
	char path[SECCOMP_JSON_PATH_MAX];

	for (size_t i = 0; s->flags != NULL && s->flags[i] != NULL; i++) {
		const struct flag_name *flag;
		int rc;

		snprintf(path, sizeof(path), "linux.seccomp.flags[%zu]", i);
		if (lookup_flag(s->flags[i], i, &flag, err) < 0 ||
		    check_api_level(flag->api_level, path, flag->name, err) < 0)
			return -1;
		rc = seccomp_attr_set(ctx, (enum scmp_filter_attr)flag->attr, 1);
		if (rc < 0)
			return zrun_error_set(err, -rc, "%s: %s", path, flag->name);
	}
	return 0;
}

/* Add the rule of syscalls[sc_i] for every name this libseccomp knows. */
static int add_syscall_rule(scmp_filter_ctx ctx, const struct spec_seccomp_syscall *sc,
			    size_t sc_i, uint32_t default_action, bool *added_notify,
			    struct zrun_error *err)
{
	char action_path[SECCOMP_JSON_PATH_MAX], errno_path[SECCOMP_JSON_PATH_MAX];
	struct scmp_arg_cmp conds[SYSCALL_ARGS_MAX], one;
	unsigned per_index[SYSCALL_ARGS_MAX] = { 0 };
	bool one_rule_per_arg = false;
	uint32_t action;

	snprintf(action_path, sizeof(action_path), "linux.seccomp.syscalls[%zu].action", sc_i);
	snprintf(errno_path, sizeof(errno_path), "linux.seccomp.syscalls[%zu].errnoRet", sc_i);
	if (resolve_action(sc->action, sc->has_errno_ret, sc->errno_ret, action_path, errno_path,
			   true, &action, err) < 0)
		return -1;
	for (size_t a = 0; a < sc->args_len; a++) {
		if (resolve_arg(&sc->args[a], sc_i, a, &one, err) < 0)
			return -1;
		if (++per_index[one.arg] > 1)
			one_rule_per_arg = true;
		else if (a < SYSCALL_ARGS_MAX)
			conds[a] = one;
	}
	/* libseccomp refuses a rule whose action is the default one (-EACCES);
	 * such a rule changes nothing, so runc and crun skip it. */
	if (action == default_action)
		return 0;

	for (size_t n = 0; sc->names != NULL && sc->names[n] != NULL; n++) {
		int nr = seccomp_syscall_resolve_name(sc->names[n]);
		int rc = 0;

		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown here; may exist on another arch or kernel */
		if (!one_rule_per_arg) {
			rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)sc->args_len, conds);
		} else {
			/* libseccomp refuses two comparisons of the same argument in
			 * one rule; like runc, add one rule per comparison (so they
			 * combine with OR, not AND). */
			for (size_t a = 0; a < sc->args_len && rc == 0; a++) {
				(void)resolve_arg(&sc->args[a], sc_i, a, &one, err); /* checked above */
				rc = seccomp_rule_add_array(ctx, action, nr, 1, &one);
			}
		}
		if (rc < 0)
			return zrun_error_set(err, -rc, "linux.seccomp.syscalls[%zu]: adding rule for "
					      "\"%s\"", sc_i, sc->names[n]);
		if (action == SCMP_ACT_NOTIFY)
			*added_notify = true;
	}
	return 0;
}

/* Every name in the profile, before libseccomp sees any, so that a typo is
 * reported as such wherever it is and whatever this kernel supports. */
static int check_names(const struct spec_seccomp *s, struct zrun_error *err)
{
	char action_path[SECCOMP_JSON_PATH_MAX], errno_path[SECCOMP_JSON_PATH_MAX];
	const struct flag_name *flag;
	struct scmp_arg_cmp cmp;
	uint32_t value;

	if (resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
			   "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet",
			   false, &value, err) < 0)
		return -1;
	for (size_t i = 0; s->architectures != NULL && s->architectures[i] != NULL; i++) {
		snprintf(action_path, sizeof(action_path), "linux.seccomp.architectures[%zu]", i);
		if (resolve_arch(s->architectures[i], action_path, &value, err) < 0)
			return -1;
	}
	for (size_t i = 0; s->flags != NULL && s->flags[i] != NULL; i++) {
		if (lookup_flag(s->flags[i], i, &flag, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < s->syscalls_len; i++) {
		const struct spec_seccomp_syscall *sc = &s->syscalls[i];

		snprintf(action_path, sizeof(action_path), "linux.seccomp.syscalls[%zu].action", i);
		snprintf(errno_path, sizeof(errno_path), "linux.seccomp.syscalls[%zu].errnoRet", i);
		if (resolve_action(sc->action, sc->has_errno_ret, sc->errno_ret, action_path,
				   errno_path, false, &value, err) < 0)
			return -1;
		for (size_t a = 0; a < sc->args_len; a++) {
			if (resolve_arg(&sc->args[a], i, a, &cmp, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Checks that need the whole profile rather than one name. */
static int check_notify(const struct spec_seccomp *s, struct zrun_error *err)
{
	bool uses_notify = false;

	if (s->default_action != NULL && strcmp(s->default_action, "SCMP_ACT_NOTIFY") == 0)
		/* Every syscall of the init, exec included, would wait on an
		 * agent that is not connected yet (runc refuses it too). */
		return zrun_error_set(err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot "
				      "be the default action");
	for (size_t i = 0; i < s->syscalls_len; i++) {
		if (s->syscalls[i].action != NULL &&
		    strcmp(s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
			uses_notify = true;
	}
	if (uses_notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
		return zrun_error_set(err, 0, "linux.seccomp: SCMP_ACT_NOTIFY requires listenerPath");
	return 0;
}

static int build(const struct spec_seccomp *s, scmp_filter_ctx *out, bool *added_notify,
		 struct zrun_error *err)
{
	uint32_t default_action;
	scmp_filter_ctx ctx;
	int rc;

	*out = NULL;
	*added_notify = false;
	if (check_names(s, err) < 0 || check_notify(s, err) < 0)
		return -1;
	if (resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
			   "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet",
			   true, &default_action, err) < 0)
		return -1;
	ctx = seccomp_init(default_action);
	if (ctx == NULL)
		return zrun_error_set(err, 0, "linux.seccomp.defaultAction: libseccomp refused %s",
				      s->default_action);
	/* Loading must not set no_new_privs by itself: process.noNewPrivileges
	 * decides, and the caller sets it (or holds CAP_SYS_ADMIN). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0) {
		zrun_error_set(err, -rc, "linux.seccomp: clearing the no_new_privs attribute");
		goto fail;
	}
	if (add_architectures(ctx, s, err) < 0 || apply_flags(ctx, s, err) < 0)
		goto fail;
	for (size_t i = 0; i < s->syscalls_len; i++) {
		if (add_syscall_rule(ctx, &s->syscalls[i], i, default_action, added_notify, err) < 0)
			goto fail;
	}
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}

int zseccomp_build(const struct spec_seccomp *s, scmp_filter_ctx *out, struct zrun_error *err)
{
	bool added_notify;

	return build(s, out, &added_notify, err);
}

int zseccomp_validate(const struct spec_seccomp *s, struct zrun_error *err)
{
	scmp_filter_ctx ctx;

	/* Build (without loading) exactly as the init will: libseccomp's own
	 * refusals (byte order of architectures, API level of this kernel, rule
	 * conflicts) then surface at create, not in a half-set-up container. */
	if (zseccomp_build(s, &ctx, err) < 0)
		return -1;
	seccomp_release(ctx);
	return 0;
}

/* The kernel's flag for each OCI flag name (linux/seccomp.h); the table
 * above says whether libseccomp and the kernel support it. */
static unsigned kernel_flag(const char *name)
{
	static const struct {
		const char *name;
		unsigned flag;
	} map[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1U << 5 },
	};

	for (size_t i = 0; i < ARRAY_LEN(map); i++)
		if (strcmp(map[i].name, name) == 0)
			return map[i].flag;
	return 0;
}

/* libseccomp generates the program; we keep its bytes, so that loading is
 * one seccomp(2) call with nothing of libseccomp's (allocation, frees,
 * checks of the kernel's API) after it. */
static int export_program(scmp_filter_ctx ctx, struct zseccomp_program *prog, struct zrun_error *err)
{
	_cleanup_close_ int fd = memfd_create("zrun-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return zrun_error_set(err, errno, "linux.seccomp: memfd for the filter");
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return zrun_error_set(err, -rc, "linux.seccomp: generating the filter");
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return zrun_error_set(err, size < 0 ? errno : E2BIG,
				      "linux.seccomp: the filter has %lld bytes (at most %d instructions)",
				      (long long)size, BPF_MAXINSNS);
	prog->filter = malloc((size_t)size);
	if (prog->filter == NULL || pread(fd, prog->filter, (size_t)size, 0) != size) {
		int e = prog->filter ? errno : ENOMEM;
		free(prog->filter);
		prog->filter = NULL;
		return zrun_error_set(err, e, "linux.seccomp: reading the generated filter");
	}
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

int zseccomp_prepare(const struct spec_seccomp *s, struct zseccomp_program *prog, struct zrun_error *err)
{
	scmp_filter_ctx ctx;
	bool added_notify;

	memset(prog, 0, sizeof(*prog));
	if (build(s, &ctx, &added_notify, err) < 0)
		return -1;
	int r = export_program(ctx, prog, err);
	seccomp_release(ctx);
	if (r < 0)
		return -1;
	for (size_t i = 0; s->flags != NULL && s->flags[i] != NULL; i++)
		prog->flags |= kernel_flag(s->flags[i]);
	prog->notify = added_notify;
	if (added_notify) {
		prog->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* as libseccomp does: TSYNC and a listener need TSYNC_ESRCH */
		if (prog->flags & SECCOMP_FILTER_FLAG_TSYNC)
			prog->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	return 0;
}

int zseccomp_install(const struct zseccomp_program *prog, int *notify_fd, struct zrun_error *err)
{
	struct sock_fprog fprog = { .len = prog->len, .filter = prog->filter };

	if (notify_fd != NULL)
		*notify_fd = -1;
	if (prog->notify && notify_fd == NULL)
		return zrun_error_set(err, 0, "linux.seccomp: SCMP_ACT_NOTIFY used but the caller "
				      "takes no listener fd");
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fprog);
	if (rc < 0) {
		if (errno == EACCES)
			return zrun_error_set(err, errno, "linux.seccomp: loading the filter needs "
					      "no_new_privs or CAP_SYS_ADMIN");
		return zrun_error_set(err, errno, "linux.seccomp: loading the filter");
	}
	/* With NEW_LISTENER the kernel returns the listener fd, close-on-exec. */
	if (prog->notify)
		*notify_fd = (int)rc;
	return 0;
}

void zseccomp_program_free(struct zseccomp_program *prog)
{
	free(prog->filter);
	prog->filter = NULL;
}

int zseccomp_load(const struct spec_seccomp *s, int *notify_fd, struct zrun_error *err)
{
	struct zseccomp_program prog;

	if (notify_fd != NULL)
		*notify_fd = -1;
	if (zseccomp_prepare(s, &prog, err) < 0)
		return -1;
	int r = zseccomp_install(&prog, notify_fd, err);
	zseccomp_program_free(&prog);
	return r;
}

const char *const *zseccomp_known_flags(void)
{
	static const char *names[ARRAY_LEN(flags) + 1];

	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		names[i] = flags[i].name;
	return names;
}

bool zseccomp_flag_supported(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		if (strcmp(name, flags[i].name) == 0)
			return flags[i].attr != ATTR_UNSUPPORTED && seccomp_api_get() >= flags[i].api_level;
	return false;
}

static char *process_state_json(const struct spec_seccomp *s, pid_t pid, const char *state_json)
{
	static const char *const fds[] = { "seccompFd", NULL };
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "ociVersion");
	json_w_string(&w, "1.2.0");
	json_w_key(&w, "fds");
	json_w_strv(&w, fds);
	json_w_key(&w, "pid");
	json_w_int(&w, pid);
	json_w_key(&w, "metadata");
	json_w_string(&w, s->listener_metadata ? s->listener_metadata : "");
	json_w_key(&w, "state");
	/* the container's state, as state_to_oci_json wrote it */
	json_w_raw(&w, state_json);
	json_w_object_end(&w);
	return json_w_finish(&w);
}

int zseccomp_send_listener(const struct spec_seccomp *s, int notify_fd, pid_t pid,
			   const char *state_json, struct zrun_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (s->listener_path == NULL || strlen(s->listener_path) >= sizeof(addr.sun_path))
		return zrun_error_set(err, 0, "linux.seccomp.listenerPath: missing or longer than %zu bytes",
				      sizeof(addr.sun_path) - 1);
	memcpy(addr.sun_path, s->listener_path, strlen(s->listener_path) + 1);
	char *msg = process_state_json(s, pid, state_json);
	if (msg == NULL)
		return zrun_error_set(err, ENOMEM, "linux.seccomp: containerProcessState");
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		if (sock >= 0)
			close(sock);
		free(msg);
		return zrun_error_set(err, e, "linux.seccomp.listenerPath: connect %s", s->listener_path);
	}
	size_t len = strlen(msg);
	ssize_t n = fdmsg_send(sock, msg, len, &notify_fd, 1);
	int e = errno;
	close(sock);
	free(msg);
	if (n != (ssize_t)len)
		return zrun_error_set(err, n < 0 ? e : EMSGSIZE, "linux.seccomp.listenerPath: send to %s",
				      s->listener_path);
	return 0;
}

/* ---- adding user-notification rules to a bundle's profile ---- */

static bool action_allows(const char *action)
{
	return action != NULL && (strcmp(action, "SCMP_ACT_ALLOW") == 0 || strcmp(action, "SCMP_ACT_LOG") == 0);
}

static bool names_has(const char *const *names, const char *name)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Drop names[] from an unconditional allowing rule; false when nothing
 * of the rule is left (the caller removes it). */
static bool drop_names(struct spec_seccomp_syscall *sc, const char *const *names)
{
	size_t out = 0;

	for (size_t i = 0; sc->names[i] != NULL; i++) {
		if (names_has(names, sc->names[i]))
			free(sc->names[i]);
		else
			sc->names[out++] = sc->names[i];
	}
	sc->names[out] = NULL;
	return out > 0;
}

static void syscall_rule_free(struct spec_seccomp_syscall *sc)
{
	json_strv_free(sc->names);
	free(sc->action);
	for (size_t j = 0; sc->args != NULL && j < sc->args_len; j++)
		free(sc->args[j].op);
	free(sc->args);
}

/* The bundle's own rules keep precedence: a rule of its own for one of
 * names (anything but an unconditional allow) is a conflict, and so is a
 * default that denies them or a notify listener of its own. */
static int check_notify_merge(const struct spec_seccomp *s, const char *const *names,
			      struct zrun_error *err)
{
	if (s->listener_path != NULL)
		return zrun_error_set(err, 0, "linux.seccomp.listenerPath: the bundle has its own "
				      "notify listener (%s); one filter has one listener", s->listener_path);
	for (size_t i = 0; i < s->syscalls_len; i++) {
		const struct spec_seccomp_syscall *sc = &s->syscalls[i];
		if (sc->action != NULL && strcmp(sc->action, "SCMP_ACT_NOTIFY") == 0)
			return zrun_error_set(err, 0, "linux.seccomp.syscalls[%zu]: the bundle uses "
					      "SCMP_ACT_NOTIFY itself; one filter has one listener", i);
		for (size_t n = 0; sc->names != NULL && sc->names[n] != NULL; n++) {
			if (!names_has(names, sc->names[n]) || (action_allows(sc->action) && sc->args_len == 0))
				continue;
			return zrun_error_set(err, 0, "linux.seccomp.syscalls[%zu]: the bundle's own rule "
					      "for %s (%s%s) keeps precedence", i, sc->names[n],
					      sc->action ? sc->action : "", sc->args_len ? " with args" : "");
		}
	}
	if (action_allows(s->default_action))
		return 0;
	for (size_t k = 0; names[k] != NULL; k++) {
		bool allowed = false;
		for (size_t i = 0; i < s->syscalls_len && !allowed; i++)
			allowed = s->syscalls[i].names != NULL && action_allows(s->syscalls[i].action) &&
				  names_has((const char *const *)s->syscalls[i].names, names[k]);
		if (!allowed)
			return zrun_error_set(err, 0, "linux.seccomp: the bundle's profile denies %s "
					      "(defaultAction %s, no rule allows it)", names[k],
					      s->default_action ? s->default_action : "");
	}
	return 0;
}

static char **strv_dup(const char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	char **out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out != NULL && i < n; i++) {
		if ((out[i] = strdup(v[i])) == NULL) {
			json_strv_free(out);
			return NULL;
		}
	}
	return out;
}

int zseccomp_add_notify(struct spec_linux *lx, const char *const *names, const char *listener_path,
			struct zrun_error *err)
{
	struct spec_seccomp *s = lx->seccomp;

	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || (s->default_action = strdup("SCMP_ACT_ALLOW")) == NULL) {
			free(s);
			return zrun_error_set(err, ENOMEM, "linux.seccomp");
		}
		lx->seccomp = s;
	} else if (check_notify_merge(s, names, err) < 0) {
		return -1;
	}
	/* An allow of the bundle's for these names gives way to the notify
	 * rule (libseccomp takes one action per unconditional syscall). */
	size_t out = 0;
	for (size_t i = 0; i < s->syscalls_len; i++) {
		struct spec_seccomp_syscall *sc = &s->syscalls[i];
		if (sc->names != NULL && !drop_names(sc, names)) {
			syscall_rule_free(sc);
			continue;
		}
		s->syscalls[out++] = *sc;
	}
	s->syscalls_len = out;
	struct spec_seccomp_syscall *grown = realloc(s->syscalls, (out + 1) * sizeof(*grown));
	if (grown == NULL)
		return zrun_error_set(err, ENOMEM, "linux.seccomp");
	s->syscalls = grown;
	struct spec_seccomp_syscall *rule = &grown[out];
	memset(rule, 0, sizeof(*rule));
	rule->names = strv_dup(names);
	rule->action = strdup("SCMP_ACT_NOTIFY");
	s->listener_path = strdup(listener_path);
	if (rule->names == NULL || rule->action == NULL || s->listener_path == NULL) {
		json_strv_free(rule->names);
		free(rule->action);
		return zrun_error_set(err, ENOMEM, "linux.seccomp");
	}
	s->syscalls_len = out + 1;
	return 0;
}
