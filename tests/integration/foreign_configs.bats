#!/usr/bin/env bats
# Configs zrun did not write: the seccomp profiles that Docker and
# containerd publish (and an older one without close_range or openat2), a
# strict allow-list, each with noNewPrivileges set and unset, through create,
# start, exec, kill and delete. And the rule that makes them work: once the
# filter is loaded, the init (and an exec'd process) makes no syscall but
# the user switch and execve (strace proves it).
load helpers

PROFILES="$BATS_TEST_DIRNAME/../lib/seccomp_profiles.py"

setup() { setup_common; }
teardown() { teardown_common; }

# foreign_bundle NAME PROFILE NNP: a bundle running as uid 1000 with groups,
# oomScoreAdj and rlimits (all done before the filter), under PROFILE
# (tests/lib/seccomp_profiles.py), noNewPrivileges NNP (true, or false:
# the key is left out, as other tools write it).
foreign_bundle() {
	local name=$1 profile=$2 nnp=$3 b
	PROCESS_EXTRA=',"oomScoreAdj": 100, "rlimits": [{"type":"RLIMIT_NOFILE","soft":512,"hard":512}]'
	LINUX_EXTRA=",\"seccomp\": $(python3 "$PROFILES" "$profile")"
	b=$(bundle "$name")
	local edit='.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [1001, 1002]}'
	if [ "$nnp" = false ]; then
		edit="$edit | del(.process.noNewPrivileges)"
	fi
	jq "$edit" "$b/config.json" > "$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
	echo "$b"
}

# The program's view of itself: its ids, seccomp mode and no_new_privs.
SELF='echo uid=$(id -u) groups=$(id -G); grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\t"; cat /proc/self/oom_score_adj; ulimit -n'

lifecycle_under() {  # PROFILE NNP
	local profile=$1 nnp=$2 want_nnp=1
	[ "$nnp" = true ] || want_nnp=0
	ARGS="[\"sh\",\"-c\",$(jq -Rn --arg s "$SELF" '$s')]"
	B=$(foreign_bundle "p-$profile-$nnp" "$profile" "$nnp")
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status of run under the $profile profile"
	expect_eq "${lines[0]}" "uid=1000 groups=1000 1001 1002" "ids"
	expect_eq "${lines[1]}" "NoNewPrivs:$want_nnp" "no_new_privs"
	expect_eq "${lines[2]}" "Seccomp:2" "seccomp mode of the program"
	expect_eq "${lines[3]}" 100 "oom_score_adj"
	expect_eq "${lines[4]}" 512 "RLIMIT_NOFILE"
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/p-$profile-$nnp"

	# create, state, start, exec, kill, delete: the runtime's own steps
	ARGS='["sleep","30"]'
	B=$(foreign_bundle "q-$profile-$nnp" "$profile" "$nnp")
	# the program's stdio is create's: not bats' pipe, which it would hold
	zr create -b "$B" "$TEST_ID-2" > "$WORK/create.out" 2>&1 ||
		{ echo "create under the $profile profile failed: $(cat "$WORK/create.out")"; false; }
	expect_eq "$(status_of "$TEST_ID-2")" created "status after create"
	run zr start "$TEST_ID-2"
	expect_eq "$status" 0 "start: $output"
	expect_eq "$(status_of "$TEST_ID-2")" running "status after start"
	run zr exec "$TEST_ID-2" sh -c "$SELF"
	echo "$output"
	expect_eq "$status" 0 "exit status of exec"
	expect_eq "${lines[0]}" "uid=1000 groups=1000 1001 1002" "ids of the exec'd process"
	expect_eq "${lines[2]}" "Seccomp:2" "seccomp mode of the exec'd process"
	zr kill "$TEST_ID-2" KILL
	wait_until 5 eval '[ "$(status_of "$TEST_ID-2")" = stopped ]'
	zr delete "$TEST_ID-2"
	assert_gone "$TEST_ID-2" "$CGROUPS_PATH_PARENT/q-$profile-$nnp"
}

@test "docker_default_profile_runs_the_lifecycle_with_no_new_privileges" { lifecycle_under docker true; }
@test "docker_default_profile_runs_the_lifecycle_without_no_new_privileges" { lifecycle_under docker false; }
@test "containerd_default_profile_runs_the_lifecycle_with_no_new_privileges" { lifecycle_under containerd true; }
@test "containerd_default_profile_runs_the_lifecycle_without_no_new_privileges" { lifecycle_under containerd false; }
@test "profile_without_close_range_or_openat2_runs_the_lifecycle_with_no_new_privileges" { lifecycle_under old true; }
@test "profile_without_close_range_or_openat2_runs_the_lifecycle_without_no_new_privileges" { lifecycle_under old false; }
@test "strict_allow_list_runs_the_lifecycle_with_no_new_privileges" { lifecycle_under strict true; }
@test "strict_allow_list_runs_the_lifecycle_without_no_new_privileges" { lifecycle_under strict false; }

# after_filter TRACE: the syscalls each traced process made after its
# seccomp(SECCOMP_SET_MODE_FILTER) and up to its execve, one per line.
after_filter() {
	awk '
		/resumed>/ || / \+\+\+ / || / --- / { next }
		{
			pid = $1; call = $2; sub(/\(.*/, "", call)
			if (call == "seccomp" && $0 ~ /SECCOMP_SET_MODE_FILTER.*filter=/) { on[pid] = 1; next }
			if (on[pid] && call == "execve") { on[pid] = 0; next }
			if (on[pid]) print call
		}' "$1" | sort -u
}

no_syscall_after_the_filter_but_the_switch() {  # NNP
	command -v strace >/dev/null || skip "strace is not installed"
	ARGS='["true"]'
	B=$(foreign_bundle "s-$1" strict "$1")
	# LeakSanitizer (the ASan suite's zrun) stops with a fatal error under ptrace
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o "$WORK/run.trace" "$ZRUN" --root "$ROOT" run -b "$B" "$TEST_ID"
	grep -q 'seccomp(SECCOMP_SET_MODE_FILTER.*filter=' "$WORK/run.trace" || { echo "no filter load seen in the trace"; false; }
	local extra
	extra=$(after_filter "$WORK/run.trace" | grep -vxE 'setgroups|setresgid|setresuid|capset|prctl' || true)
	expect_eq "$extra" "" "syscalls of the init between the filter and execve, beyond the user switch"

	ARGS='["sleep","30"]'
	B=$(foreign_bundle "t-$1" strict "$1")
	zr create -b "$B" "$TEST_ID-2" >/dev/null 2>&1
	zr start "$TEST_ID-2"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o "$WORK/exec.trace" "$ZRUN" --root "$ROOT" exec "$TEST_ID-2" true
	grep -q 'seccomp(SECCOMP_SET_MODE_FILTER.*filter=' "$WORK/exec.trace" || { echo "no filter load seen in the exec trace"; false; }
	extra=$(after_filter "$WORK/exec.trace" | grep -vxE 'setgroups|setresgid|setresuid|capset|prctl' || true)
	expect_eq "$extra" "" "syscalls of the exec'd process between the filter and execve, beyond the user switch"
	zr delete --force "$TEST_ID-2"
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/s-$1"
	assert_gone "$TEST_ID-2" "$CGROUPS_PATH_PARENT/t-$1"
}

@test "init_makes_no_syscall_after_the_filter_but_the_user_switch_and_execve_with_no_new_privileges" {
	no_syscall_after_the_filter_but_the_switch true
}
@test "init_makes_no_syscall_after_the_filter_but_the_user_switch_and_execve_without_no_new_privileges" {
	no_syscall_after_the_filter_but_the_switch false
}
