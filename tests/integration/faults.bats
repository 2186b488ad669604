#!/usr/bin/env bats
# Fault injection (issue 8): zrun killed (SIGKILL) at every step of create,
# start, delete and exec, and the syscalls that matter made to fail (ENOSPC
# writing state, EMFILE, a cgroup write that fails, a real full disk).
# Afterwards: nothing leaked, `state` tells the truth, `delete --force`
# cleans everything. The hook is runtime/fault.c: ZRUN_TEST_FAULT=<point>
# [:kill|:fail=ERRNO][@n], inert unless set. Swap states are in swap.bats.

load helpers
# every test here injects faults: the test build (helpers.bash)
ZRUN=$ZRUN_HOOKS

bats_require_minimum_version 1.5.0

setup() {
	setup_common
	# a sleep no other test runs: how we find the container's program
	NAP=$((700000 + RANDOM))
}

teardown() {
	teardown_common_faults
}

teardown_common_faults() {
	if [ -n "${TMPFS:-}" ] && mountpoint -q "$TMPFS"; then
		"$ZRUN" --root "$TMPFS/root" delete --force "$TEST_ID" >/dev/null 2>&1 || true
		umount -l "$TMPFS" || true
	fi
	teardown_common
}

zr_quiet() { zr "$@" </dev/null >"$WORK/out" 2>"$WORK/err" 3>&-; }

# Output and stdio of zrun go to files: a detached init must not hold bats'
# pipes. Sets rc.
zr_fault() {  # FAULT zrun-args...
	local fault=$1; shift
	rc=0
	ZRUN_TEST_FAULT=$fault "$ZRUN" --root "$ROOT" "$@" </dev/null >"$WORK/out" 2>"$WORK/err" 3>&- || rc=$?
}

# state of $TEST_ID: its status, or "none" when it does not exist
truth() {
	local out
	if out=$(zr state "$TEST_ID" 2>&1); then
		sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p' <<<"$out"
	elif [[ "$out" == *"does not exist"* ]]; then
		echo none
	else
		echo "state failed: $out"
	fi
}

# No live (non-zombie) process of the container: neither its program nor an
# init or setup process still running zrun code for this root.
procs_of_container() {
	local f p st
	# one grep over every command line (an argument that is the nap's
	# length or this root), not a tr and a sed per process of the machine
	for f in $(grep -lsxzF -e "$NAP" -e "$ROOT" /proc/[0-9]*/cmdline); do
		p=${f#/proc/}
		p=${p%/cmdline}
		st=$(sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$p/status" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && continue
		echo "$p $( { tr '\0' ' ' <"$f"; } 2>/dev/null)"
	done
}

assert_no_procs() {
	local left
	wait_until 5 eval 'test -z "$(procs_of_container)"' && return 0
	left=$(procs_of_container)
	echo "processes left: $left" >&2
	return 1
}

cg_exists() {
	local d
	for d in /sys/fs/cgroup/*/; do
		[ -d "${d}${CGROUPS_PATH_PARENT#/}/b1" ] && return 0
	done
	return 1
}

# After a fault: state says $1 (one of the allowed words), what it says is
# consistent with what exists, and delete --force leaves nothing.
check_after() {  # allowed-statuses...
	local got ok=0 want
	got=$(truth)
	for want in "$@"; do [ "$got" = "$want" ] && ok=1; done
	[ "$ok" = 1 ] || { echo "state: expected one of [$*], saw \"$got\"" >&2; return 1; }
	case $got in
	none)
		# does not exist: no process, no cgroup (a create killed before its
		# first state write may leave the bare state dir: delete cleans it)
		assert_no_procs
		! cg_exists || { echo "state: none, but its cgroup exists" >&2; return 1; } ;;
	stopped)
		assert_no_procs ;;
	created|running)
		[ -n "$(procs_of_container)" ] || { echo "state $got but no process" >&2; return 1; } ;;
	esac
	run zr delete --force "$TEST_ID"
	[ "$status" -eq 0 ] || { echo "delete --force: $status $output" >&2; return 1; }
	assert_no_procs
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
	expect_eq "$(truth)" none "state after delete --force"
}

# A failed command: non-zero, one line of error naming the problem.
check_failed() {  # expected-substring
	[ "$rc" -ne 0 ] && [ "$rc" -ne 137 ] || { echo "rc $rc: $(cat "$WORK/err")" >&2; return 1; }
	[ "$(wc -l <"$WORK/err")" -eq 1 ] || { echo "error is not one line: $(cat "$WORK/err")" >&2; return 1; }
	grep -q -- "$1" "$WORK/err" || { echo "error without \"$1\": $(cat "$WORK/err")" >&2; return 1; }
}

# A failed create leaves nothing at all, before any delete.
left_nothing() {
	assert_no_procs
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

killed() {
	[ "$rc" -eq 137 ] || { echo "expected SIGKILL (137), rc $rc: $(cat "$WORK/err")" >&2; return 1; }
}

nap_bundle() { ARGS='["sleep","'"$NAP"'"]' bundle b1; }

# ---- create killed at every step ----

create_killed_at() {  # point allowed-statuses...
	local point=$1; shift
	local B; B=$(nap_bundle)
	zr_fault "$point" create -b "$B" "$TEST_ID"
	killed
	check_after "$@"
}

@test "create_killed_after_state_dir" {
	create_killed_at create-after-state-dir none
}

@test "create_killed_after_creating_state" {
	create_killed_at create-after-creating-state stopped
}

@test "create_killed_after_cgroup" {
	create_killed_at create-after-cgroup stopped
}

@test "create_killed_after_fifo" {
	create_killed_at create-after-fifo stopped
}

@test "create_killed_after_clone" {
	create_killed_at create-after-clone stopped
}

@test "create_killed_after_ready" {
	create_killed_at create-after-ready stopped
}

@test "create_killed_after_created_state_leaves_a_created_container" {
	create_killed_at create-after-created-state created
}

@test "a_killed_create_cannot_be_started_and_delete_without_force_cleans_it" {
	local B; B=$(nap_bundle)
	zr_fault create-after-ready create -b "$B" "$TEST_ID"
	killed
	run zr start "$TEST_ID"
	[ "$status" -ne 0 ] || { echo "start of a killed create succeeded"; false; }
	zr delete "$TEST_ID"
	assert_no_procs
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

# ---- create failing at every step: the error path cleans up ----

# create_fails_cleanly FAULT MESSAGE: create with the fault (fail action)
# fails with MESSAGE and leaves nothing, then and later (RESOURCES, when
# set, goes into the bundle).
create_fails_cleanly() {
	local B; B=$(nap_bundle)
	zr_fault "$1" create -b "$B" "$TEST_ID"
	check_failed "$2"
	left_nothing
	check_after none
}

create_failed_at() {  # point
	create_fails_cleanly "$1:fail=EIO" "injected fault at $1: Input/output error"
}

@test "create_failing_after_state_dir_leaves_nothing" { create_failed_at create-after-state-dir; }
@test "create_failing_after_creating_state_leaves_nothing" { create_failed_at create-after-creating-state; }
@test "create_failing_after_cgroup_leaves_nothing" { create_failed_at create-after-cgroup; }
@test "create_failing_after_fifo_leaves_nothing" { create_failed_at create-after-fifo; }
@test "create_failing_after_clone_leaves_nothing" { create_failed_at create-after-clone; }
@test "create_failing_after_ready_leaves_nothing" { create_failed_at create-after-ready; }

@test "create_with_enospc_writing_the_creating_state_fails_and_leaves_nothing" { create_fails_cleanly state-write:fail=ENOSPC "state.json.tmp: No space left on device"; }

@test "create_with_enospc_writing_the_created_state_fails_and_leaves_nothing" { create_fails_cleanly state-write:fail=ENOSPC@2 "state.json.tmp: No space left on device"; }

@test "create_with_emfile_at_socketpair_fails_and_leaves_nothing" { create_fails_cleanly create-socketpair:fail=EMFILE "socketpair: Too many open files"; }

@test "create_with_a_failing_cgroup_write_fails_and_leaves_nothing" {
	RESOURCES='{"pids":{"limit":100}}' create_fails_cleanly cgroup-write:fail=EIO "cgroup $CGROUPS_PATH_PARENT/b1: .*Input/output error"
}

@test "create_with_a_cgroup_write_failing_later_fails_and_leaves_nothing" {
	RESOURCES='{"pids":{"limit":100},"memory":{"limit":67108864}}' create_fails_cleanly cgroup-write:fail=EIO@2 "Input/output error"
}

# ---- a real full disk: --root on a 64k tmpfs ----

@test "create_on_a_full_disk_fails_with_enospc_and_leaves_nothing" {
	local B; B=$(nap_bundle)
	TMPFS=$WORK/tmpfs
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=64k tmpfs "$TMPFS"
	mkdir "$TMPFS/root"
	dd if=/dev/zero of="$TMPFS/fill" bs=4k 2>/dev/null || true
	! sh -c "echo x > '$TMPFS/probe'" 2>/dev/null || { echo "tmpfs is not full"; false; }
	rc=0
	"$ZRUN" --root "$TMPFS/root" create -b "$B" "$TEST_ID" </dev/null >"$WORK/out" 2>"$WORK/err" 3>&- || rc=$?
	check_failed "No space left on device"
	ROOT=$TMPFS/root left_nothing
	ROOT=$TMPFS/root check_after none
	[ -z "$(ls -A "$TMPFS/root")" ] || { echo "left in root: $(ls -A "$TMPFS/root")"; false; }
}

# ---- start ----

@test "start_killed_before_the_fifo_write_leaves_it_created" {
	local B; B=$(nap_bundle)
	zr_quiet create -b "$B" "$TEST_ID"
	zr_fault start-before-fifo-write start "$TEST_ID"
	killed
	expect_eq "$(truth)" created
	# nothing was lost: it still starts
	zr start "$TEST_ID"
	expect_eq "$(truth)" running
	check_after running
}

@test "start_killed_after_the_fifo_write_reports_running" {
	local B; B=$(nap_bundle)
	zr_quiet create -b "$B" "$TEST_ID"
	zr_fault start-after-fifo-write start "$TEST_ID"
	killed
	wait_until 5 eval 'test "$(truth)" = running'
	run zr start "$TEST_ID"
	[ "$status" -ne 0 ] && [[ "$output" == *"already running"* ]] || { echo "second start: $status $output"; false; }
	check_after running
}

@test "start_failing_before_the_fifo_write_leaves_it_created" {
	local B; B=$(nap_bundle)
	zr_quiet create -b "$B" "$TEST_ID"
	zr_fault start-before-fifo-write:fail=EIO start "$TEST_ID"
	check_failed "injected fault at start-before-fifo-write"
	check_after created
}

@test "start_with_enospc_writing_state_fails_and_reports_running" {
	local B; B=$(nap_bundle)
	zr_quiet create -b "$B" "$TEST_ID"
	zr_fault state-write:fail=ENOSPC start "$TEST_ID"
	check_failed "No space left on device"
	check_after running
}

# ---- delete ----

delete_killed_at() {  # point
	local B; B=$(nap_bundle)
	zr_quiet run -d -b "$B" "$TEST_ID"
	zr_fault "$1" delete --force "$TEST_ID"
	killed
	check_after stopped none
}

@test "delete_killed_after_kill" { delete_killed_at delete-after-kill; }
@test "delete_killed_after_cgroup_destroy" { delete_killed_at delete-after-cgroup-destroy; }

# ---- exec ----

@test "exec_killed_after_clone_leaves_the_container_running" {
	local B; B=$(nap_bundle)
	zr_quiet run -d -b "$B" "$TEST_ID"
	zr_fault exec-after-clone exec "$TEST_ID" sh -c "sleep $((NAP + 1))"
	killed
	# the exec's setup process goes with it; the container is untouched
	wait_until 5 sh -c "! pgrep -f '[s]leep $((NAP + 1))' >/dev/null" ||
		{ echo "exec left: $(pgrep -af "[s]leep $((NAP + 1))")"; ps -eo pid,ppid,stat,cmd | grep "[s]leep"; false; }
	expect_eq "$(truth)" running
	zr exec "$TEST_ID" true
	check_after running
}

@test "the_fault_hook_is_inert_without_its_variable_or_with_an_unknown_action" {
	local B; B=$(nap_bundle)
	zr_fault "" create -b "$B" "$TEST_ID"
	[ "$rc" -eq 0 ] || { echo "create: $(cat "$WORK/err")"; false; }
	zr delete --force "$TEST_ID"
	zr_fault create-after-state-dir:explode create -b "$B" "$TEST_ID"
	[ "$rc" -eq 0 ] || { echo "create: $(cat "$WORK/err")"; false; }
	check_after created
}

# strdup returning NULL (tests/lib/fail_strdup.c, LD_PRELOAD) for one
# container's id while `list` reads --root: one clear line and exit 1, not
# a crash (the NULL went to qsort's strcmp) and not a list without it.
@test "list_out_of_memory_is_reported_not_a_crash" {
	gcc -shared -fPIC -O1 -o "$WORK/fail_strdup.so" "$BATS_TEST_DIRNAME/../lib/fail_strdup.c" -ldl
	local id
	for id in a1 oom-b c3; do  # state dirs are all `list` needs to see
		mkdir -p "$ROOT/$id"
		echo '{}' > "$ROOT/$id/state.json"
	done
	# an ASan zrun wants its runtime first; the preload only wraps strdup
	run --separate-stderr env LD_PRELOAD="$WORK/fail_strdup.so" ZRUN_TEST_FAIL_STRDUP=oom- \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$ZRUN" --root "$ROOT" list
	expect_eq "$status" 1 "exit status"
	expect_eq "$stderr" "zrun: list: read root $ROOT: Cannot allocate memory" "stderr"
	expect_eq "$output" "" "stdout"
	# and without the fault the same root lists (the stubs are no containers)
	run --separate-stderr zr list -q
	expect_eq "$status" 0 "exit status without the fault"
	rm -rf "$ROOT"
}
