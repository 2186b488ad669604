/* Unit tests of runtime/seccomp.c. Each behaviour test forks a child that
 * loads a filter built from a hand-made struct spec_seccomp and reports what
 * it saw through its exit code (an errno, or 0); the parent compares. */
#include "zseccomp.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define LOAD_FAILED 250  /* child exit code: zseccomp_load failed */
#define UNUSUAL_ERRNO 200 /* no real failure returns it, so it proves the rule hit */

#define NAMES(...) ((char *[]){ __VA_ARGS__, NULL })

static char scratch_dir[64];

/* Under valgrind, seccomp(2) is unknown to the emulator, so libseccomp sees
 * API level 1 and refuses the newer actions; those checks are skipped. */
static bool api_level_below(unsigned need)
{
	unsigned have = seccomp_api_get();

	if (have >= need)
		return false;
	printf("# skipped: needs libseccomp API level %u, have %u\n", need, have);
	return true;
}

/* How a child ended without reporting: -signal, or -1000 - exit code. */
static int child_end(int status)
{
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	if (WIFEXITED(status))
		return -1000 - WEXITSTATUS(status);
	return -3000;
}

/* Fork; the child sets no_new_privs (so loading works without
 * CAP_SYS_ADMIN too), loads the filter and writes body()'s result (an errno,
 * or 0) to a pipe. Returns that result, or child_end() when none came: an
 * exit code alone could not tell EPERM from a crash that exits 1. */
static int run_filtered(const struct spec_seccomp *s, int (*body)(int notify_fd))
{
	struct zrun_error err = { 0 };
	int status, notify_fd, result, report[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) < 0)
		return -4000;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -2000;
	if (pid == 0) {
		close(report[0]);
		alarm(10); /* a test that hangs dies instead */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(LOAD_FAILED);
		if (zseccomp_load(s, &notify_fd, &err) < 0) {
			dprintf(STDOUT_FILENO, "#   child: %s\n", err.msg);
			_exit(LOAD_FAILED);
		}
		result = body(notify_fd);
		_exit(write(report[1], &result, sizeof(result)) == sizeof(result) ? 0 : 1);
	}
	close(report[1]);
	n = read(report[0], &result, sizeof(result));
	close(report[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -3000;
	if (n == sizeof(result) && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return result;
	return child_end(status);
}

static int mkdir_errno(void)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/d", scratch_dir);
	if (mkdir(path, 0700) == 0) {
		rmdir(path);
		return 0;
	}
	return errno;
}

static int body_mkdir_errno(int notify_fd)
{
	(void)notify_fd;
	return mkdir_errno();
}

TEST(mkdir_fails_with_errno_ret_38_under_default_allow)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO",
		  .has_errno_ret = true, .errno_ret = 38 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_mkdir_errno), 38);
	CHECK_INT(mkdir_errno(), 0); /* the parent is not filtered */
}

TEST(errno_action_without_errno_ret_returns_eperm)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_mkdir_errno), EPERM);
}

/* getpid is allowed, getppid is not: report getppid's errno. */
static int body_getppid_errno(int notify_fd)
{
	(void)notify_fd;
	if (syscall(SYS_getpid) <= 0)
		return 199;
	if (syscall(SYS_getppid) != -1)
		return 0;
	return errno;
}

/* What a process needs to reach _exit, plus what valgrind does meanwhile. */
#define ALLOWLIST NAMES("exit_group", "exit", "getpid", "rt_sigprocmask", "rt_sigaction", \
			"gettid", "tgkill", "brk", "mmap", "munmap", "read", "write", \
			"futex", "sigaltstack")

TEST(default_errno_blocks_syscalls_outside_allowlist_with_eperm)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = ALLOWLIST, .action = "SCMP_ACT_ALLOW" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_getppid_errno), EPERM);
}

TEST(default_errno_ret_sets_errno_of_default_action)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = ALLOWLIST, .action = "SCMP_ACT_ALLOW" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ERRNO",
				  .has_default_errno_ret = true, .default_errno_ret = EACCES,
				  .syscalls = sc, .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_getppid_errno), EACCES);
}

/* 0 when socket(family, type) works, else its errno. */
static int socket_errno(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int body_inet6_blocked_unix_works(int notify_fd)
{
	(void)notify_fd;
	if (socket_errno(AF_UNIX, SOCK_STREAM) != 0)
		return 198;
	return socket_errno(AF_INET6, SOCK_STREAM);
}

TEST(socket_arg0_eq_inet6_fails_with_eafnosupport_while_unix_works)
{
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = AF_INET6, .op = "SCMP_CMP_EQ" },
	};
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("socket"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true,
		  .errno_ret = EAFNOSUPPORT, .args = args, .args_len = 1 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_inet6_blocked_unix_works), EAFNOSUPPORT);
}

static int body_inet_and_inet6_blocked(int notify_fd)
{
	(void)notify_fd;
	if (socket_errno(AF_UNIX, SOCK_STREAM) != 0)
		return 198;
	if (socket_errno(AF_INET6, SOCK_STREAM) != UNUSUAL_ERRNO)
		return 197;
	return socket_errno(AF_INET, SOCK_STREAM);
}

TEST(two_comparisons_of_one_arg_match_either_as_separate_rules)
{
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = AF_INET6, .op = "SCMP_CMP_EQ" },
		{ .index = 0, .value = AF_INET, .op = "SCMP_CMP_EQ" },
	};
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("socket"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true,
		  .errno_ret = UNUSUAL_ERRNO, .args = args, .args_len = 2 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_inet_and_inet6_blocked), UNUSUAL_ERRNO);
}

/* Rule: socket(AF_UNIX, (type & 0xf) == SOCK_DGRAM). */
static int body_unix_dgram_blocked_only(int notify_fd)
{
	(void)notify_fd;
	if (socket_errno(AF_UNIX, SOCK_STREAM) != 0)
		return 198;
	if (socket_errno(AF_INET, SOCK_DGRAM) == UNUSUAL_ERRNO)
		return 197; /* arg0 differs: the AND of both comparisons must not match */
	return socket_errno(AF_UNIX, SOCK_DGRAM); /* type has SOCK_CLOEXEC set too */
}

TEST(masked_eq_and_comparisons_of_two_args_must_all_match)
{
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = AF_UNIX, .op = "SCMP_CMP_EQ" },
		{ .index = 1, .value = 0xf, .value_two = SOCK_DGRAM, .op = "SCMP_CMP_MASKED_EQ" },
	};
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("socket"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true,
		  .errno_ret = UNUSUAL_ERRNO, .args = args, .args_len = 2 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_unix_dgram_blocked_only), UNUSUAL_ERRNO);
}

static void check_getppid_action_kills_with_sigsys(const char *action)
{
	struct spec_seccomp_syscall sc[] = { { .names = NAMES("getppid"), .action = (char *)action } };
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	CHECK_INT(run_filtered(&s, body_getppid_errno), -SIGSYS);
}

TEST(kill_process_action_kills_child_with_sigsys)
{
	if (api_level_below(3))
		return;
	check_getppid_action_kills_with_sigsys("SCMP_ACT_KILL_PROCESS");
}

TEST(kill_action_kills_the_only_thread_with_sigsys)
{
	check_getppid_action_kills_with_sigsys("SCMP_ACT_KILL");
	check_getppid_action_kills_with_sigsys("SCMP_ACT_KILL_THREAD");
}

TEST(trap_action_delivers_sigsys)
{
	if (RUNNING_ON_VALGRIND) {
		printf("# skipped: valgrind cannot deliver SIGSYS from seccomp\n");
		return;
	}
	check_getppid_action_kills_with_sigsys("SCMP_ACT_TRAP");
}

TEST(unknown_syscall_name_is_ignored)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("zrun_no_such_syscall", "mkdir", "mkdirat"),
		  .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 38 },
		{ .names = NAMES("zrun_no_such_syscall_either"), .action = "SCMP_ACT_KILL" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 2 };
	struct zrun_error err = { 0 };

	CHECK_INT(zseccomp_validate(&s, &err), 0);
	CHECK_STR(err.msg, "");
	CHECK_INT(run_filtered(&s, body_mkdir_errno), 38);
}

TEST(rule_with_the_default_action_is_skipped_without_error)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = ALLOWLIST, .action = "SCMP_ACT_ALLOW" },
		/* same action as the default: ERRNO with the default EPERM */
		{ .names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO" },
		{ .names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true,
		  .errno_ret = EPERM },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = sc,
				  .syscalls_len = 3 };
	struct zrun_error err = { 0 };

	CHECK_INT(zseccomp_validate(&s, &err), 0);
	CHECK_STR(err.msg, "");
	CHECK_INT(run_filtered(&s, body_getppid_errno), EPERM);
}

TEST(other_architectures_and_their_syscalls_are_added)
{
	struct spec_seccomp_syscall sc[] = {
		/* socketcall and _llseek exist on x86 only, arm_fadvise64_64 on
		 * arm only: a docker-style profile lists them all. */
		{ .names = NAMES("socketcall", "_llseek", "arm_fadvise64_64", "mkdir", "mkdirat"),
		  .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 38 },
	};
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
		.syscalls = sc, .syscalls_len = 1,
	};

	CHECK_INT(run_filtered(&s, body_mkdir_errno), 38);
}

/* The child answers its own grandchild's mkdir through the listener fd. */
static int body_answer_mkdir_via_notify(int notify_fd)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	int status, flags;
	pid_t pid;

	if (notify_fd < 0)
		return 190;
	flags = fcntl(notify_fd, F_GETFD);
	if (flags < 0 || !(flags & FD_CLOEXEC))
		return 191;
	pid = fork();
	if (pid < 0)
		return 192;
	if (pid == 0)
		_exit(mkdir_errno());
	if (seccomp_notify_alloc(&req, &resp) < 0)
		return 193;
	if (seccomp_notify_receive(notify_fd, req) < 0)
		return 194;
	resp->id = req->id;
	resp->error = -ENOTSUP; /* the agent's answer */
	resp->val = 0;
	resp->flags = 0;
	if (seccomp_notify_respond(notify_fd, resp) < 0)
		return 195;
	seccomp_notify_free(req, resp);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 196;
	return WEXITSTATUS(status); /* the grandchild's errno */
}

TEST(notify_rule_hands_back_a_cloexec_listener_fd_that_sees_the_syscall)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_NOTIFY" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
				  .listener_path = "/run/agent.sock", .syscalls = sc,
				  .syscalls_len = 1 };

	if (api_level_below(5))
		return;
	CHECK_INT(run_filtered(&s, body_answer_mkdir_via_notify), ENOTSUP);
}

TEST(load_without_notify_rule_gives_notify_fd_minus_one)
{
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW" };
	struct zrun_error err = { 0 };
	int fd = 42, rc;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(LOAD_FAILED);
		rc = zseccomp_load(&s, &fd, &err);
		_exit(rc == 0 && fd == -1 ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK_INT(waitpid(pid, &rc, 0), pid);
	CHECK_INT(child_end(rc), -1000);
}

TEST(build_gives_a_context_the_caller_releases)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("mkdir"), .action = "SCMP_ACT_ERRNO" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };
	struct zrun_error err = { 0 };
	scmp_filter_ctx ctx = NULL;
	uint32_t nnp = 1;

	CHECK_INT(zseccomp_build(&s, &ctx, &err), 0);
	CHECK(ctx != NULL);
	if (ctx == NULL)
		return;
	/* loading must leave no_new_privs to the caller */
	CHECK_INT(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_NNP, &nnp), 0);
	CHECK_INT(nnp, 0);
	seccomp_release(ctx);
}

/* Validation: what the user wrote, and the message that names it. */

static void check_invalid(const struct spec_seccomp *s, const char *want)
{
	struct zrun_error err = { 0 };
	scmp_filter_ctx ctx = (scmp_filter_ctx)&err;

	CHECK_INT(zseccomp_validate(s, &err), -1);
	CHECK_STR(err.msg, want);
	memset(&err, 0, sizeof(err));
	CHECK_INT(zseccomp_build(s, &ctx, &err), -1);
	CHECK(ctx == NULL);
	CHECK_STR(err.msg, want);
}

TEST(unknown_action_error_names_its_json_path)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("read"), .action = "SCMP_ACT_ALLOW" },
		{ .names = NAMES("write"), .action = "SCMP_ACT_ERRNO" },
		{ .names = NAMES("open"), .action = "SCMP_ACT_LOG" },
		{ .names = NAMES("close"), .action = "SCMP_ACT_FOO" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = sc,
				  .syscalls_len = 4 };

	check_invalid(&s, "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");
	s.default_action = "SCMP_ACT_allow";
	check_invalid(&s, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_allow\"");
}

TEST(unknown_action_is_an_error_even_when_all_syscall_names_are_unknown)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("zrun_no_such_syscall"), .action = "SCMP_ACT_BAR" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc,
				  .syscalls_len = 1 };

	check_invalid(&s, "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BAR\"");
}

TEST(unknown_architecture_error_names_its_json_path)
{
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"),
	};
	char want[160];

	snprintf(want, sizeof(want), "linux.seccomp.architectures[1]: unknown architecture "
		 "\"SCMP_ARCH_VAX\" (libseccomp %d.%d.%d)", SCMP_VER_MAJOR, SCMP_VER_MINOR,
		 SCMP_VER_MICRO);
	check_invalid(&s, want);
	s.architectures = NAMES("x86_64"); /* libseccomp's own name is not an OCI name */
	snprintf(want, sizeof(want), "linux.seccomp.architectures[0]: unknown architecture "
		 "\"x86_64\" (libseccomp %d.%d.%d)", SCMP_VER_MAJOR, SCMP_VER_MINOR,
		 SCMP_VER_MICRO);
	check_invalid(&s, want);
}

TEST(known_architectures_are_accepted)
{
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
				       "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_PPC64LE",
				       "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_RISCV64"),
	};
	struct zrun_error err = { 0 };

	CHECK_INT(zseccomp_validate(&s, &err), 0);
	CHECK_STR(err.msg, "");
}

TEST(architecture_of_the_other_byte_order_is_refused_by_name)
{
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.architectures = NAMES("SCMP_ARCH_X86", "SCMP_ARCH_S390X"),
	};

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return; /* the message below is for a little-endian host */
	check_invalid(&s, "linux.seccomp.architectures[1]: \"SCMP_ARCH_S390X\" cannot be mixed "
		      "with the native architecture (other byte order)");
}

TEST(unknown_operator_and_bad_arg_index_errors_name_their_json_path)
{
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = 1, .op = "SCMP_CMP_EQ" },
		{ .index = 1, .value = 1, .op = "SCMP_CMP_APPROX" },
	};
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("read"), .action = "SCMP_ACT_ALLOW" },
		{ .names = NAMES("socket"), .action = "SCMP_ACT_ERRNO", .args = args, .args_len = 2 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_KILL_PROCESS", .syscalls = sc,
				  .syscalls_len = 2 };

	check_invalid(&s, "linux.seccomp.syscalls[1].args[1].op: unknown operator "
		      "\"SCMP_CMP_APPROX\"");
	args[1].op = "SCMP_CMP_NE";
	args[1].index = 6;
	check_invalid(&s, "linux.seccomp.syscalls[1].args[1].index: 6 is not less than 6");
}

TEST(unknown_flag_error_names_its_json_path)
{
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.flags = NAMES("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"),
	};

	check_invalid(&s, "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
}

TEST(known_flags_are_accepted)
{
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.flags = NAMES("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
			       "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
	};
	struct zrun_error err = { 0 };
	scmp_filter_ctx ctx = NULL;
	uint32_t value = 0;

	if (api_level_below(4))
		return;
	CHECK_INT(zseccomp_build(&s, &ctx, &err), 0);
	CHECK_STR(err.msg, "");
	if (ctx == NULL)
		return;
	CHECK_INT(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &value), 0);
	CHECK_INT(value, 1);
	CHECK_INT(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &value), 0);
	CHECK_INT(value, 1);
	CHECK_INT(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &value), 0);
	CHECK_INT(value, 1);
	seccomp_release(ctx);
}

TEST(wait_killable_recv_flag_is_known_but_needs_libseccomp_2_6)
{
	struct spec_seccomp s = {
		.default_action = "SCMP_ACT_ALLOW",
		.flags = NAMES("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
	};
	struct zrun_error err = { 0 };
	char want[160];

	if (SCMP_VER_MAJOR > 2 || SCMP_VER_MINOR >= 6) {
		CHECK_INT(zseccomp_validate(&s, &err), 0);
		return;
	}
	snprintf(want, sizeof(want), "linux.seccomp.flags[0]: "
		 "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp >= 2.6, zrun was "
		 "built with %d.%d.%d", SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
	check_invalid(&s, want);
}

TEST(notify_without_listener_path_is_refused)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("read"), .action = "SCMP_ACT_ALLOW" },
		{ .names = NAMES("mkdir"), .action = "SCMP_ACT_NOTIFY" },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = sc,
				  .syscalls_len = 2 };
	struct zrun_error err = { 0 };

	check_invalid(&s, "linux.seccomp: SCMP_ACT_NOTIFY requires listenerPath");
	if (api_level_below(5))
		return;
	s.listener_path = "/run/agent.sock";
	CHECK_INT(zseccomp_validate(&s, &err), 0);
	CHECK_STR(err.msg, "");
}

TEST(notify_as_default_action_is_refused)
{
	struct spec_seccomp s = { .default_action = "SCMP_ACT_NOTIFY",
				  .listener_path = "/run/agent.sock" };

	check_invalid(&s, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
		      "action");
}

TEST(errno_ret_on_an_action_without_errno_is_refused)
{
	struct spec_seccomp_syscall sc[] = {
		{ .names = NAMES("read"), .action = "SCMP_ACT_ALLOW", .has_errno_ret = true,
		  .errno_ret = 1 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .syscalls = sc,
				  .syscalls_len = 1 };

	check_invalid(&s, "linux.seccomp.syscalls[0].errnoRet: not allowed with SCMP_ACT_ALLOW "
		      "(only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE)");
	s.syscalls_len = 0;
	s.default_action = "SCMP_ACT_KILL";
	s.has_default_errno_ret = true;
	s.default_errno_ret = 1;
	check_invalid(&s, "linux.seccomp.defaultErrnoRet: not allowed with SCMP_ACT_KILL "
		      "(only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE)");
	s.default_action = "SCMP_ACT_TRACE";
	s.default_errno_ret = 70000;
	check_invalid(&s, "linux.seccomp.defaultErrnoRet: 70000 is more than 65535");
}

int main(void)
{
	snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/zrun-test-seccomp-%d", (int)getpid());
	if (mkdir(scratch_dir, 0700) < 0) {
		printf("Bail out! mkdir %s: %s\n", scratch_dir, strerror(errno));
		return 1;
	}
	RUN(mkdir_fails_with_errno_ret_38_under_default_allow);
	RUN(errno_action_without_errno_ret_returns_eperm);
	RUN(default_errno_blocks_syscalls_outside_allowlist_with_eperm);
	RUN(default_errno_ret_sets_errno_of_default_action);
	RUN(socket_arg0_eq_inet6_fails_with_eafnosupport_while_unix_works);
	RUN(two_comparisons_of_one_arg_match_either_as_separate_rules);
	RUN(masked_eq_and_comparisons_of_two_args_must_all_match);
	RUN(kill_process_action_kills_child_with_sigsys);
	RUN(kill_action_kills_the_only_thread_with_sigsys);
	RUN(trap_action_delivers_sigsys);
	RUN(unknown_syscall_name_is_ignored);
	RUN(rule_with_the_default_action_is_skipped_without_error);
	RUN(other_architectures_and_their_syscalls_are_added);
	RUN(notify_rule_hands_back_a_cloexec_listener_fd_that_sees_the_syscall);
	RUN(load_without_notify_rule_gives_notify_fd_minus_one);
	RUN(build_gives_a_context_the_caller_releases);
	RUN(unknown_action_error_names_its_json_path);
	RUN(unknown_action_is_an_error_even_when_all_syscall_names_are_unknown);
	RUN(unknown_architecture_error_names_its_json_path);
	RUN(known_architectures_are_accepted);
	RUN(architecture_of_the_other_byte_order_is_refused_by_name);
	RUN(unknown_operator_and_bad_arg_index_errors_name_their_json_path);
	RUN(unknown_flag_error_names_its_json_path);
	RUN(known_flags_are_accepted);
	RUN(wait_killable_recv_flag_is_known_but_needs_libseccomp_2_6);
	RUN(notify_without_listener_path_is_refused);
	RUN(notify_as_default_action_is_refused);
	RUN(errno_ret_on_an_action_without_errno_is_refused);
	if (rmdir(scratch_dir) < 0)
		printf("# left behind %s: %s\n", scratch_dir, strerror(errno));
	UNIT_DONE();
}
