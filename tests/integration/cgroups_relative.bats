#!/usr/bin/env bats
# A relative linux.cgroupsPath on this cgroup v1 host. As runc does, each
# hierarchy's cgroup goes below the caller's own cgroup in THAT hierarchy (a
# caller may sit in different groups per hierarchy); create records the
# paths it used, and every later command (exec, update, pause, resume,
# events, ps, kill --all, delete) acts on what was recorded, wherever it is
# run from. (Pure cgroup v2 is covered by tests/vm and tests/unit.)

load helpers

setup() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "not a cgroup v1 host"
	setup_common
	REL=zrun-rel-$$-$BATS_TEST_NUMBER
	CALLER_DIRS=()
}
teardown() {
	teardown_common
	remove_test_cgroups
}

V1=/sys/fs/cgroup

# own_cgroup CONTROLLER [PID]: PID's path (default: this shell's) in the
# hierarchy holding CONTROLLER ("name=systemd" included).
own_cgroup() {
	awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/${2:-$BASHPID}/cgroup"
}

# mount_of CONTROLLERS: where the v1 hierarchy with exactly these
# comma-separated controllers is mounted.
mount_of() {
	awk -v c="$1" '/ - cgroup / {
		n = split($NF, o, ","); m = split(c, w, ","); k = 0
		for (i = 1; i <= m; i++) for (j = 1; j <= n; j++) if (o[j] == w[i]) k++
		if (k == m) { print $5; exit }
	}' /proc/self/mountinfo
}

# A cgroup of the caller's own in memory, cpu and pids, each below where this
# shell sits in that hierarchy; every other hierarchy stays as it is.
make_caller_cgroups() {
	local c dir
	for c in memory cpu pids; do
		dir=$V1/$c$(own_cgroup $c | sed 's|/$||')/zrun-test-$c-$$
		mkdir "$dir"
		CALLER_DIRS+=("$dir")
	done
}

# from_caller_cgroups CMD...: CMD run by a subshell moved into CALLER_DIRS;
# $WORK/caller.cgroup gets that subshell's /proc/PID/cgroup.
from_caller_cgroups() {
	(
		for d in "${CALLER_DIRS[@]}"; do
			echo "$BASHPID" >"$d/cgroup.procs" || exit 1
		done
		cat "/proc/$BASHPID/cgroup" >"$WORK/caller.cgroup"
		exec "$@"
	)
}

# This test's cgroups, wherever they are (a runtime that mixed up the
# hierarchies made its own below the wrong caller cgroup): bottom-up.
test_cgroups() {
	find $V1/*/ -depth -type d \( -name "$REL" -o -name "zrun-test-*-$$" \) 2>/dev/null
}

remove_test_cgroups() {
	local d
	for d in $(test_cgroups); do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

# The container's directory in every hierarchy, from the caller's
# /proc/PID/cgroup: "<mount point><caller's path>/$REL". Each line printed as
# "CONTROLLERS DIR".
expected_dirs() {
	local ctrls path
	while IFS=: read -r _ ctrls path; do
		[ -n "$ctrls" ] || continue # 0::/ is the unified mount, unused on v1
		echo "$ctrls $(mount_of "$ctrls")${path%/}/$REL"
	done <"$WORK/caller.cgroup"
}

@test "relative_cgroups_path_is_below_the_callers_cgroup_in_each_hierarchy" {
	make_caller_cgroups
	ARGS='["sh","-c","sleep 60 & sleep 60 & wait"]' CGROUPS_PATH=$REL
	RESOURCES='{"memory":{"limit":33554432},"pids":{"limit":20},"cpu":{"shares":512}}'
	MOUNTS_EXTRA=',{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro","nosuid","noexec","nodev"]}'
	B=$(bundle relcg)
	from_caller_cgroups "$ZRUN" --root "$ROOT" create -b "$B" "$TEST_ID" \
		</dev/null >"$WORK/out" 2>"$WORK/err" 3>&- || { cat "$WORK/err"; false; }
	pid=$(pid_of "$TEST_ID")
	# the caller did sit apart in memory, cpu and pids
	for c in memory cpu pids; do
		got=$(awk -F: -v c=$c '$2 == c { print $3 }' "$WORK/caller.cgroup")
		case $got in */zrun-test-$c-$$) ;; *) echo "caller's $c cgroup: expected .../zrun-test-$c-$$, saw $got"; false ;; esac
	done
	# every hierarchy: the init is below the caller's cgroup of that hierarchy
	n=0
	while read -r ctrls dir; do
		got=$(awk -F: -v c="$ctrls" '$2 == c { print $3 }' "/proc/$pid/cgroup")
		want=$(awk -F: -v c="$ctrls" '$2 == c { print $3 }' "$WORK/caller.cgroup" | sed 's|/$||')/$REL
		expect_eq "$got" "$want" "the init's $ctrls cgroup"
		grep -qx "$pid" "$dir/cgroup.procs" || { echo "init $pid not in $dir/cgroup.procs"; false; }
		n=$((n + 1))
	done < <(expected_dirs)
	[ "$n" -ge 5 ] || { echo "expected at least 5 v1 hierarchies, saw $n"; false; }
	mem=$V1/memory$(own_cgroup memory "$pid")
	cpu=$V1/cpu$(own_cgroup cpu "$pid")
	pids=$V1/pids$(own_cgroup pids "$pid")
	frz=$V1/freezer$(own_cgroup freezer "$pid")
	expect_eq "$(cat "$mem/memory.limit_in_bytes")" 33554432 memory.limit_in_bytes
	expect_eq "$(cat "$pids/pids.max")" 20 pids.max
	expect_eq "$(cat "$cpu/cpu.shares")" 512 cpu.shares

	# From here on zrun runs from this shell, which sits elsewhere.
	zr start "$TEST_ID"
	wait_until 5 eval '[ "$(wc -l <"$pids/cgroup.procs")" -eq 3 ]' ||
		{ echo "expected 3 processes in $pids, saw: $(cat "$pids/cgroup.procs")"; false; }
	# the container's cgroup mount shows its own cgroup of each hierarchy
	expect_eq "$(zr exec "$TEST_ID" cat /sys/fs/cgroup/cpu/cpu.shares)" 512 "cpu.shares inside"
	expect_eq "$(zr exec "$TEST_ID" cat /sys/fs/cgroup/pids/pids.max)" 20 "pids.max inside"
	# exec joins the recorded cgroups, not ones computed from this shell
	expect_eq "$(zr exec "$TEST_ID" cat /proc/self/cgroup)" "$(cat "/proc/$pid/cgroup")" "exec'd process's cgroups"
	zr update --memory 64m "$TEST_ID"
	expect_eq "$(cat "$mem/memory.limit_in_bytes")" 67108864 "memory.limit_in_bytes after update"
	zr pause "$TEST_ID"
	expect_eq "$(cat "$frz/freezer.state")" FROZEN "freezer.state after pause"
	zr resume "$TEST_ID"
	expect_eq "$(cat "$frz/freezer.state")" THAWED "freezer.state after resume"
	stats=$(zr events --stats "$TEST_ID")
	echo "$stats" | grep -q '"pids":{"current":3,"limit":20}' || { echo "pids in stats: ${stats:0:600}"; false; }
	echo "$stats" | grep -q '"usage":{"limit":67108864,' || { echo "memory limit in stats: ${stats:0:600}"; false; }
	expect_eq "$(zr ps --format json "$TEST_ID")" "[$(sort -n "$frz/cgroup.procs" | paste -sd, -)]" "ps --format json"
	zr kill --all "$TEST_ID" KILL
	wait_until 5 eval '[ ! -s "$pids/cgroup.procs" ]' || { echo "left after kill --all: $(cat "$pids/cgroup.procs")"; false; }
	# the init leaves cgroup.procs a moment before it is a zombie (exit's
	# order in the kernel): until then its state is still running
	wait_until 5 eval '[ "$(status_of "$TEST_ID")" = stopped ]'
	zr delete "$TEST_ID"

	while read -r ctrls dir; do
		[ ! -e "$dir" ] || { echo "$ctrls: $dir left after delete"; false; }
	done < <(expected_dirs)
	assert_gone "$TEST_ID" "/$REL"
	for d in "${CALLER_DIRS[@]}"; do
		rmdir "$d" || { echo "caller cgroup $d: not empty after delete: $(ls "$d" | grep -v '\.' | head)"; false; }
	done
	left=$(test_cgroups)
	[ -z "$left" ] || { echo "cgroups left: $left"; false; }
}

@test "delete_uses_the_recorded_paths_after_the_caller_moved" {
	# create from the caller's own cgroups, then delete from a caller that
	# sits in DIFFERENT ones of the same names: nothing is recomputed.
	make_caller_cgroups
	ARGS='["sleep","60"]' CGROUPS_PATH=$REL B=$(bundle relmove)
	from_caller_cgroups "$ZRUN" --root "$ROOT" create -b "$B" "$TEST_ID" \
		</dev/null >"$WORK/out" 2>"$WORK/err" 3>&- || { cat "$WORK/err"; false; }
	mapfile -t made < <(expected_dirs)
	for line in "${made[@]}"; do
		[ -d "${line#* }" ] || { echo "${line%% *}: ${line#* } not made by create"; false; }
	done
	moved=()
	for c in memory cpu pids; do
		dir=$V1/$c$(own_cgroup $c | sed 's|/$||')/zrun-test-$c-moved-$$
		mkdir "$dir"
		moved+=("$dir")
	done
	CALLER_DIRS=("${moved[@]}")
	from_caller_cgroups "$ZRUN" --root "$ROOT" delete --force "$TEST_ID" || false
	for line in "${made[@]}"; do
		[ ! -e "${line#* }" ] || { echo "${line%% *}: ${line#* } left after delete"; false; }
	done
	assert_gone "$TEST_ID" "/$REL"
	left=$(find $V1/*/ -type d -name "$REL" 2>/dev/null)
	[ -z "$left" ] || { echo "cgroups left: $left"; false; }
}

@test "state_without_recorded_paths_still_deletes_every_hierarchy" {
	# state.json written before the per-hierarchy paths were recorded has
	# cgroup_path alone: it then names the cgroup in every hierarchy.
	ARGS='["sleep","60"]' CGROUPS_PATH="/$REL" B=$(bundle relold)
	zr create -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	grep -q '"cgroup_paths":{' "$ROOT/$TEST_ID/state.json" ||
		{ echo "no cgroup_paths in state.json: $(cat "$ROOT/$TEST_ID/state.json")"; false; }
	sed -i 's/"cgroup_paths":{[^}]*},//' "$ROOT/$TEST_ID/state.json"
	! grep -q cgroup_paths "$ROOT/$TEST_ID/state.json"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" "/$REL"
}
