#!/usr/bin/env bats
# The process's security settings really hold: capabilities, no_new_privs,
# seccomp, rlimits, user and groups, umask, oom_score_adj, cwd, env.

load helpers

setup() { setup_common; }
teardown() { teardown_common; }

# edit_config BUNDLE SED-EXPR: change the written config.json in place
edit_config() { sed -i "$2" "$1/config.json"; }

status_field() {  # NAME in the container's /proc/self/status output ($output)
	grep "^$1:" <<<"$output" | cut -f2-
}

@test "without_cap_chown_chown_fails" {
	CAPS='["CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETGID","CAP_SETUID"]'
	ARGS='["sh","-c","touch /tmp/f; chown 65534 /tmp/f"]' B=$(bundle nochown)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]] || { echo "expected EPERM from chown"; false; }
	expect_eq "$(stat -c %u "$B/rootfs/tmp/f")" 0 "owner"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/nochown
}

@test "with_cap_chown_chown_works" {
	CAPS='["CAP_CHOWN"]'
	ARGS='["sh","-c","touch /tmp/f; chown 65534 /tmp/f"]' B=$(bundle chown)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$(stat -c %u "$B/rootfs/tmp/f")" 65534 "owner"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/chown
}

@test "capability_sets_are_exactly_the_requested_ones" {
	# CAP_KILL=5, CAP_NET_BIND_SERVICE=10, CAP_SYS_CHROOT=18
	CAPS='["CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT"]'
	ARGS='["cat","/proc/self/status"]' B=$(bundle capsets)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$(status_field CapBnd)" 0000000000040420 CapBnd
	expect_eq "$(status_field CapEff)" 0000000000040420 CapEff
	expect_eq "$(status_field CapPrm)" 0000000000040420 CapPrm
	expect_eq "$(status_field CapInh)" 0000000000000000 CapInh
	expect_eq "$(status_field CapAmb)" 0000000000000000 CapAmb
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/capsets
}

@test "ambient_capabilities_survive_a_non_root_user" {
	CAPS='["CAP_NET_BIND_SERVICE"]'
	PROCESS_EXTRA=''
	ARGS='["cat","/proc/self/status"]' B=$(bundle ambient)
	edit_config "$B" 's|"user": { "uid": 0, "gid": 0 }|"user": { "uid": 1000, "gid": 1000 }|; s|"permitted": \["CAP_NET_BIND_SERVICE"\]|&, "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]|'
	run zr run -b "$B" "$TEST_ID"
	echo "$output" | grep Cap
	expect_eq "$status" 0 "exit status"
	expect_eq "$(status_field CapAmb)" 0000000000000400 CapAmb
	expect_eq "$(status_field CapEff)" 0000000000000400 CapEff
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ambient
}

@test "no_new_privileges_sets_no_new_privs" {
	ARGS='["grep","NoNewPrivs","/proc/self/status"]' B=$(bundle nnp)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$output" "NoNewPrivs:	1" "with noNewPrivileges"
	edit_config "$B" 's|"noNewPrivileges": true|"noNewPrivileges": false|'
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$output" "NoNewPrivs:	0" "without noNewPrivileges"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/nnp
}

@test "seccomp_denies_syscalls_with_the_configured_errno" {
	ARGS='["sh","-c","touch /tmp/f; mkdir /tmp/d; rm /tmp/f; ls /tmp"]'
	LINUX_EXTRA=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[
		{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1},
		{"names":["unlink","unlinkat"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}'
	B=$(bundle seccomp)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	[[ "$output" == *"mkdir"*"Operation not permitted"* ]] || { echo "expected EPERM from mkdir"; false; }
	[[ "$output" == *"/tmp/f"*"Function not implemented"* ]] || { echo "expected ENOSYS from rm"; false; }
	expect_eq "$(ls "$B/rootfs/tmp")" f "files left in /tmp"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/seccomp
}

@test "seccomp_default_errno_with_an_allow_list" {
	ARGS='["sh","-c","echo hi; mkdir /tmp/d"]'
	# allow what sh/echo/exit need, deny everything else with EPERM
	LINUX_EXTRA=',"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],"syscalls":[
		{"names":["execve","write","writev","read","exit","exit_group","brk","mmap","munmap","arch_prctl","set_tid_address","rt_sigaction","rt_sigprocmask","rt_sigreturn","getpid","getppid","getuid","geteuid","getgid","getegid","fstat","newfstatat","stat","lstat","ioctl","fcntl","close","dup2","dup3","prctl","uname","getcwd","wait4","clone","fork","vfork","access","openat","open","readlink","sigaltstack","prlimit64","getrlimit","setrlimit","mprotect","statx","futex","rseq","set_robust_list","getrandom","time","clock_gettime","gettimeofday","poll","lseek","pread64","madvise","getpgid","getpgrp","setpgid","getsid","setsid","tgkill","kill"],"action":"SCMP_ACT_ALLOW"}]}'
	B=$(bundle seccompallow)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "${lines[0]}" hi "allowed write"
	[[ "$output" == *"mkdir"*"Operation not permitted"* ]] || { echo "expected EPERM from the default action"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/seccompallow
}

@test "rlimits_are_set" {
	ARGS='["sh","-c","ulimit -n; ulimit -Hn"]'
	PROCESS_EXTRA=',"rlimits":[{"type":"RLIMIT_NOFILE","soft":123,"hard":456}]'
	B=$(bundle rlimits)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(printf '123\n456')" "soft and hard RLIMIT_NOFILE"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/rlimits
}

@test "user_uid_gid_and_additional_gids_are_set" {
	ARGS='["sh","-c","grep -E \"^(Uid|Gid|Groups):\" /proc/self/status; id -u; id -g"]' B=$(bundle user)
	edit_config "$B" 's|"user": { "uid": 0, "gid": 0 }|"user": { "uid": 1000, "gid": 1001, "additionalGids": [10, 20] }|'
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[0]}" "Uid:	1000	1000	1000	1000" Uid
	expect_eq "${lines[1]}" "Gid:	1001	1001	1001	1001" Gid
	expect_eq "$(echo ${lines[2]})" "Groups: 10 20" Groups
	expect_eq "${lines[3]}" 1000 "id -u"
	expect_eq "${lines[4]}" 1001 "id -g"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/user
}

@test "umask_applies_to_created_files" {
	ARGS='["sh","-c","umask; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d"]' B=$(bundle umask)
	edit_config "$B" 's|"user": { "uid": 0, "gid": 0 }|"user": { "uid": 0, "gid": 0, "umask": 63 }|'
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(printf '0077\n600\n700')" "umask and modes"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/umask
}

@test "oom_score_adj_is_set" {
	ARGS='["cat","/proc/self/oom_score_adj"]' PROCESS_EXTRA=',"oomScoreAdj":432' B=$(bundle oom)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" 432 "oom_score_adj"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/oom
}

@test "cwd_is_process_cwd" {
	ARGS='["pwd"]' B=$(bundle cwd)
	edit_config "$B" 's|"cwd": "/"|"cwd": "/tmp"|'
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" /tmp "pwd"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cwd
}

@test "a_missing_cwd_is_created_inside_the_rootfs" {
	ARGS='["pwd"]' B=$(bundle cwdnew)
	edit_config "$B" 's|"cwd": "/"|"cwd": "/work/here"|'
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" /work/here "pwd"
	[ -d "$B/rootfs/work/here" ]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cwdnew
}

@test "env_is_exactly_process_env" {
	ARGS='["env"]' B=$(bundle env)
	edit_config "$B" 's|"HOME=/root"\]|"HOME=/root", "GREETING=hello world", "EMPTY="]|'
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(printf 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOME=/root\nGREETING=hello world\nEMPTY=')" "environment"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/env
}
