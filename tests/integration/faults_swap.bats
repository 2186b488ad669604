#!/usr/bin/env bats
# Fault injection (issue 18), swaps: a swap never removes the last serving
# version (NEW deleted in its race window, held open with the fault hook's
# stop action), `service status` is read-only after a swap died (it neither
# undoes nor finishes it: `service repair` does), a swap that could not
# write its record on a full disk leaves nothing to "undo", and a deploy
# refused because a swap runs creates nothing.
# Ports 18550-18599 (18550 + test number).

PORT_BASE=18550
load service_helpers
# every test here injects faults: the test build (helpers.bash)
ZRUN=$ZRUN_HOOKS

bats_require_minimum_version 1.5.0

setup() {
	svc_setup
	STOPPED_PID=
	# container ids: unique on this machine (a cgroup is /zrun/<id>)
	O=t$$-$BATS_TEST_NUMBER-old
	N=t$$-$BATS_TEST_NUMBER-new
}

teardown() {
	local rc=0
	[ -z "$STOPPED_PID" ] || { kill -CONT "$STOPPED_PID" 2>/dev/null; wait "$STOPPED_PID" 2>/dev/null; } || true
	if [ -n "${TMPFS:-}" ] && mountpoint -q "$TMPFS"; then
		rm -f "$TMPFS/fill" "$TMPFS/pad"
		for id in $(zr list -q 2>/dev/null); do zr delete --force "$id" >/dev/null 2>&1 || true; done
		umount -l "$TMPFS" || true
	fi
	svc_teardown || rc=$?
	kill_root_supervisors
	return $rc
}

code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/" || true; }

proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }

# swap_held_at POINT OLD NEW [swap flags]: a swap in the background, held
# (SIGSTOP) at POINT; sets STOPPED_PID.
swap_held_at() {
	local point=$1 old=$2 new=$3
	shift 3
	ZRUN_TEST_FAULT=$point:stop "$ZRUN" --root "$ROOT" swap "$@" "$old" "$new" </dev/null >"$WORK/swap.out" 2>&1 3>&- &
	STOPPED_PID=$!
	wait_until 30 eval 'test "$(proc_state $STOPPED_PID)" = T' ||
		{ echo "the swap never stopped at $point: $(cat "$WORK/swap.out")" >&2; return 1; }
}

# resume_swap: SIGCONT the held swap and wait for it; sets rc.
resume_swap() {
	rc=0
	kill -CONT "$STOPPED_PID"
	wait "$STOPPED_PID" || rc=$?
	STOPPED_PID=
	echo "# swap: rc $rc; $(tr '\n' ' ' <"$WORK/swap.out")" >&3
}

@test "swap_keeps_old_untouched_when_new_is_deleted_before_old_is_signalled" {
	local b pid
	first_version "$O"
	pid=$(init_pid "$O")
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	# ready, draining written, OLD not yet signalled: NEW goes now (a
	# SIGKILL: what NEW had accepted is reset, so the load starts after)
	swap_held_at swap-draining "$O" "$N"
	zr delete --force "$N"
	wrk_start
	resume_swap
	[ "$rc" -ne 0 ] || { echo "expected the swap to fail: NEW was deleted before OLD was signalled" >&2; false; }
	grep -q "aborted" "$WORK/swap.out" || { echo "the swap does not say it aborted" >&2; false; }
	assert_untouched "$O" "$pid"
	wrk_stop
	zr service status api | grep -q "last swap: $O -> $N: aborted" || { zr service status api >&2; false; }
}

@test "repair_of_a_swap_killed_while_draining_keeps_old_when_new_is_gone" {
	local b pid
	first_version "$O"
	pid=$(init_pid "$O")
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-draining "$ZRUN" --root "$ROOT" swap "$O" "$N"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output" >&2; false; }
	zr delete --force "$N"
	wrk_start
	run zr service repair api
	echo "$output"
	[ "$status" -eq 0 ]
	assert_untouched "$O" "$pid"
	wrk_stop
	zr service --format json status api | grep -q '"ready":true' || { echo "OLD is not ready after the repair: $(zr service status api)" >&2; false; }
}

@test "service_status_after_a_swap_killed_while_probing_leaves_new_alone_and_repair_undoes_it" {
	local b pid_old pid_new
	first_version "$O"
	pid_old=$(init_pid "$O")
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-probing "$ZRUN" --root "$ROOT" swap "$O" "$N"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output" >&2; false; }
	pid_new=$(init_pid "$N")
	run zr service status api
	echo "$output"
	[ "$status" -eq 0 ]
	expect_eq "$(pid_of "$N")" "$pid_new" "NEW's pid after service status"
	expect_eq "$(status_of "$N")" running "NEW's status after service status"
	[[ "$output" == *"swap interrupted at probing; run \`zrun service repair api\`"* ]] ||
		{ echo "status does not say the swap was interrupted at probing" >&2; false; }
	run zr service repair api
	echo "$output"
	[ "$status" -eq 0 ]
	assert_version_gone "$N"
	assert_untouched "$O" "$pid_old"
}

@test "service_status_after_a_swap_killed_while_draining_signals_nothing_and_repair_finishes_it" {
	local b pid_old
	b=$(mkver old --ignore-sigterm)
	vcreate "$O" "$b" --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --grace-period 2s
	zr start "$O"
	wait_serving "$URL/" old
	pid_old=$(init_pid "$O")
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-draining "$ZRUN" --root "$ROOT" swap "$O" "$N"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output" >&2; false; }
	run timeout 20 "$ZRUN" --root "$ROOT" service --format json status api
	echo "$output"
	[ "$status" -eq 0 ]
	expect_eq "$(pid_of "$O")" "$pid_old" "OLD's pid after service status"
	expect_eq "$(status_of "$O")" running "OLD's status after service status"
	[ ! -e "$ROOT/.services/api/stop-$O" ] || { echo "service status marked OLD stopping" >&2; false; }
	[[ "$output" == *'"repair_needed":true'* ]] || { echo "status does not say a repair is needed" >&2; false; }
	run zr service repair api
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stopped while draining: finishing it"* ]]
	assert_version_gone "$O"
	wait_serving "$URL/" new
}

@test "swap_that_cannot_write_its_record_on_a_full_disk_leaves_new_created_and_nothing_to_undo" {
	local b pid_old
	TMPFS=$WORK/tmpfs
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=2m tmpfs "$TMPFS"
	ROOT=$TMPFS/root
	first_version "$O"
	pid_old=$(init_pid "$O")
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	# the disk full but one page: the swap's first record fits, the next not
	dd if=/dev/zero of="$TMPFS/pad" bs=4k count=1 2>/dev/null
	dd if=/dev/zero of="$TMPFS/fill" bs=4k 2>/dev/null || true
	rm "$TMPFS/pad"
	run zr swap "$O" "$N"
	echo "$output"
	[ "$status" -ne 0 ] || { echo "expected the swap to fail on a full disk" >&2; false; }
	[[ "$output" == *"No space left on device"* ]] || { echo "the error does not say why" >&2; false; }
	expect_eq "$(status_of "$N")" created "NEW after the failed swap"
	run zr service status api
	echo "$output"
	expect_eq "$(status_of "$N")" created "NEW after service status"
	[[ "$output" != *"swap interrupted"* ]] || { echo "status takes the failed swap for an interrupted one" >&2; false; }
	# a repair now has nothing to undo: NEW, the user's, stays
	rm -f "$TMPFS/fill"
	zr service repair api
	expect_eq "$(status_of "$N")" created "NEW after service status and repair"
	assert_untouched "$O" "$pid_old"
	zr swap "$O" "$N"
	wait_serving "$URL/" new
}

@test "deploy_refused_because_a_swap_runs_creates_nothing" {
	local b
	first_version "$O"
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	swap_held_at swap-probing "$O" "$N"
	b=$(mkver v3)
	echo "$N-3" >> "$WORK/ids"
	run zr deploy --id "$N-3" api "$b"
	echo "$output"
	assert_one_line_error "another swap of service api is in progress"
	expect_eq "$(zr list -q | sort | tr '\n' ' ')" "$N $O " "containers after the refused deploy"
	assert_version_gone "$N-3"
	resume_swap
	[ "$rc" -eq 0 ]
	wait_serving "$URL/" new
}

@test "group_swap_keeps_old_replicas_untouched_when_a_new_replica_is_deleted_before_they_are_signalled" {
	local b pids G=g$$-$BATS_TEST_NUMBER
	b=$(mkver v1)
	zr deploy --listen "tcp://127.0.0.1:$PORT" --replicas 2 --probe-period 50ms --probe-failure-threshold 100 \
		"$G" "$b" >/dev/null
	zr list -q >> "$WORK/ids"
	wait_serving "$URL/" v1
	pids="$(pid_of "$G-1") $(pid_of "$G-1.r1")"
	b=$(mkver v2)
	echo "$G-2" "$G-2.r1" | tr ' ' '\n' >> "$WORK/ids"
	ZRUN_TEST_FAULT=swap-draining:stop "$ZRUN" --root "$ROOT" deploy --replicas 2 --probe-period 50ms \
		--probe-failure-threshold 100 "$G" "$b" </dev/null >"$WORK/swap.out" 2>&1 3>&- &
	STOPPED_PID=$!
	wait_until 30 eval 'test "$(proc_state $STOPPED_PID)" = T' ||
		{ echo "the deploy never stopped at swap-draining: $(cat "$WORK/swap.out")" >&2; false; }
	# SIGKILLed: what it had accepted is reset, so the load starts after
	zr delete --force "$G-2.r1"
	wrk_start
	resume_swap
	[ "$rc" -ne 0 ] || { echo "expected the deploy to fail: a new replica went before the old ones were signalled" >&2; false; }
	expect_eq "$(pid_of "$G-1") $(pid_of "$G-1.r1")" "$pids" "pids of the old replicas"
	expect_eq "$(status_of "$G-1")/$(status_of "$G-1.r1")" running/running "status of the old replicas"
	wrk_stop
	assert_version_gone "$G-2"
	wait_serving "$URL/" v1
}

# Canary releases (canary.bats) killed at their steps: the slots name only
# versions proven ready at every point, and `service repair`, `promote`,
# `abort` or the canary's watcher finish from there.

# answers_from N: N requests, a connection each; "ID COUNT" lines in $WORK/answers
answers_from() {
	local i
	: > "$WORK/answers.raw"
	for i in $(seq "$1"); do curl -s --max-time 2 -H 'Connection: close' "$URL/" >> "$WORK/answers.raw"; echo >> "$WORK/answers.raw"; done
	sort "$WORK/answers.raw" | uniq -c | awk 'NF == 2 { print $2, $1 }' > "$WORK/answers"
}
count_from() { awk -v n="$1" '$1 ~ n"$" { c = $2 } END { print c + 0 }' "$WORK/answers"; }
json_share() {  # ID: its share_percent in service status --format json
	zr service --format json status api | grep -o "\"id\":\"$1\"[^}]*\"share_percent\":[0-9]*" | sed 's/.*://'
}

# canary_killed_at POINT: O serving, N created, `swap --canary 10%` SIGKILLed at POINT
canary_killed_at() {
	local b
	first_version "$O"
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	rc=0
	ZRUN_TEST_FAULT=$1:kill zr swap --canary 10% "$O" "$N" >"$WORK/swap.out" 2>&1 || rc=$?
	expect_eq "$rc" 137 "exit of swap --canary killed at $1"
}

@test "canary_killed_once_new_holds_its_share_is_undone_by_repair" {
	canary_killed_at canary-shares-given
	# NEW was proven ready before it got slots: the map names only ready versions
	expect_eq "$(json_share "$N")" 10 "NEW's share while the killed canary waits for repair"
	zr service status api | grep -q "needs repair" || { zr service status api >&2; false; }
	zr service repair api > "$WORK/repair.out" 2>&1 || { cat "$WORK/repair.out" >&2; false; }
	assert_version_gone "$N"
	expect_eq "$(json_share "$O")" 100 "OLD's share after the repair"
	answers_from 30
	expect_eq "$(count_from "$O")" 30 "answers from OLD after the repair"
}

@test "canary_killed_after_its_record_is_open_and_promote_finishes_it" {
	canary_killed_at swap-canary
	! zr service status api | grep -q "needs repair" || { zr service status api >&2; false; }
	expect_eq "$(json_share "$N")" 10 "NEW's share in the canary whose zrun was killed"
	zr promote api > "$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; false; }
	assert_version_gone "$O"
	answers_from 30
	expect_eq "$(count_from new)" 30 "answers from NEW (version name new) after promote"
}

# (the supervisor's watcher may be finishing it too: --wait queues behind it)
@test "promote_killed_while_draining_is_finished_by_swap_resume" {
	canary_killed_at swap-canary
	rc=0
	ZRUN_TEST_FAULT=swap-draining:kill zr promote api >"$WORK/promote.out" 2>&1 || rc=$?
	expect_eq "$rc" 137 "exit of promote killed while draining"
	zr swap --resume --wait api > "$WORK/repair.out" 2>&1 || { cat "$WORK/repair.out" >&2; false; }
	assert_version_gone "$O"
	expect_eq "$(json_share "$N")" 100 "NEW's share after the repair of the promote"
	zr service status api | grep -q "last swap: $O -> $N: done" || { zr service status api >&2; false; }
}

# Nobody runs a repair: the supervisor starts the canary's watcher for a
# promote whose zrun died (as for an abort), which finishes it. Before, the
# service waited at "needs repair", OLD out of the slots and signalled.
@test "promote_killed_while_draining_is_finished_by_the_supervisor" {
	canary_killed_at swap-canary
	rc=0
	ZRUN_TEST_FAULT=swap-draining:kill zr promote api >"$WORK/promote.out" 2>&1 || rc=$?
	expect_eq "$rc" 137 "exit of promote killed while draining"
	wait_until 15 eval 'zr service status api | grep -q "last swap: $O -> $N: done"' || { zr service status api >&2; false; }
	assert_version_gone "$O"
	expect_eq "$(json_share "$N")" 100 "NEW's share once the supervisor finished the promote"
	answers_from 30
	expect_eq "$(count_from new)" 30 "answers from NEW"
}

@test "abort_killed_after_new_went_is_finished_by_the_canary_watcher" {
	canary_killed_at swap-canary
	rc=0
	ZRUN_TEST_FAULT=canary-abort-removed:kill zr abort api >"$WORK/abort.out" 2>&1 || rc=$?
	expect_eq "$rc" 137 "exit of abort killed after NEW went"
	assert_version_gone "$N"
	expect_eq "$(json_share "$O")" 100 "OLD's share once NEW went"
	wait_until 15 eval 'zr service status api | grep -q "last swap: $O -> $N: aborted"' || { zr service status api >&2; false; }
}

# An abort killed once NEW left the slots, before its stop signal: NEW runs
# ready with no share. Only OLD may get connections, status must not call
# NEW a 10% canary, and a promote from there must not take OLD out of the
# slots with nothing left in them (every connection then waits, unanswered).
@test "abort_killed_after_new_left_the_slots_is_undone_and_never_promoted_onto_no_serving_version" {
	local out
	canary_killed_at swap-canary
	rc=0
	ZRUN_TEST_FAULT=stop-after-unserve:kill zr abort api >"$WORK/abort.out" 2>&1 || rc=$?
	expect_eq "$rc" 137 "exit of abort killed after NEW left the slots"
	answers_from 200
	expect_eq "$(count_from "$O")" 200 "answers from OLD of 200 after the killed abort"
	out=$(zr service status api)
	[[ "$out" != *"canary: $N gets 10%"* ]] ||
		{ echo "status calls NEW a 10% canary while it holds no slot: $out" >&2; false; }
	[[ "$out" == *"needs repair"* || "$out" == *"last swap: $O -> $N: aborted"* ]] ||
		{ echo "status neither names the repair nor says aborted: $out" >&2; false; }
	zr promote api >"$WORK/promote.out" 2>&1 || true
	answers_from 20
	expect_eq "$(count_from "$O")" 20 "answers from OLD of 20 after a promote was tried"
	zr swap --abort --wait api >"$WORK/swap-abort.out" 2>&1 || { cat "$WORK/swap-abort.out" >&2; false; }
	assert_version_gone "$N"
	expect_eq "$(zr list -q | tr '\n' ' ')" "$O " "versions left"
	expect_eq "$(json_share "$O")" 100 "OLD's share after swap --abort"
	zr service status api | grep -q "last swap: $O -> $N: aborted: canary aborted at 10%: asked by \`zrun abort\`" ||
		{ zr service status api >&2; false; }
}

# canary_open: O serving, N its 10% canary; FDSTORE, SUP: the service's
# fd holder (its recorded process) and the supervisor, its child
canary_open() {
	local b
	first_version "$O"
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	zr swap --canary 10% "$O" "$N" >"$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	FDSTORE=$(svc_supervisors)
	wait_until 5 eval 'SUP=$(pgrep -x -P "$FDSTORE" zrun-supervisor)'
}

@test "a_canary_crash_after_the_supervisor_was_killed_is_still_aborted" {
	canary_open
	kill -9 "$SUP"
	wait_until 10 eval 'new=$(pgrep -x -P "$FDSTORE" zrun-supervisor) && [ "$new" != "$SUP" ]'
	kill -9 "$(init_pid "$N")"
	wait_until 20 eval 'zr service status api | grep -q "last swap: $O -> $N: aborted: canary aborted at 10%: $N exited"' ||
		{ zr service status api >&2; false; }
	assert_version_gone "$N"
	expect_eq "$(json_share "$O")" 100 "OLD's share after the canary crashed"
}

# The supervisor and the fd holder (the service's recorded process, the
# supervisor's parent) SIGKILLed while a canary is open: the shares live
# in the kernel's maps, held by the versions' sockets, so the split goes on,
# and a new supervisor watches the canary again.
@test "a_canary_keeps_its_share_after_its_supervisor_and_fd_holder_were_killed" {
	canary_open
	kill -9 "$FDSTORE" "$SUP"
	answers_from 300
	echo "# after the kill: $(tr '\n' ' ' <"$WORK/answers")" >&3
	[ "$(count_from new)" -gt 0 ] && [ "$(count_from new)" -lt 90 ] ||
		{ echo "expected NEW to answer about 10% of 300, saw: $(cat "$WORK/answers")" >&2; false; }
	expect_eq "$(( $(count_from new) + $(count_from "$O") ))" 300 "answers from NEW and OLD of 300"
	expect_eq "$(json_share "$N")" 10 "NEW's share after the kill"
	zr service status api | grep -q "canary: $N gets 10% of new connections" || { zr service status api >&2; false; }
	zr promote api >"$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; false; }
	assert_version_gone "$O"
	answers_from 30
	expect_eq "$(count_from new)" 30 "answers from NEW after promote"
}

# deploy --canary killed once the canary is open, before its service record
# names the new version: the promote names it (current, replica count,
# settings), so status and the next deploy see what serves.
@test "deploy_canary_killed_before_its_service_record_is_named_current_by_promote" {
	local b
	b=$(mkver v1)
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 100 api "$b" >/dev/null
	b=$(mkver v2)
	echo api-2 api-2.r1 | tr ' ' '\n' >> "$WORK/ids"
	rc=0
	ZRUN_TEST_FAULT=swap-canary:kill zr deploy --canary 10% --replicas 2 --probe-period 50ms \
		--probe-failure-threshold 100 api "$b" >"$WORK/deploy.out" 2>&1 || rc=$?
	expect_eq "$rc" 137 "exit of deploy --canary killed once the canary opened"
	expect_eq "$(json_share api-2)/$(json_share api-2.r1)" 5/5 "the new replicas' shares"
	zr promote api >"$WORK/promote.out" 2>&1 || { cat "$WORK/promote.out" >&2; false; }
	assert_version_gone api-1
	zr service status api | grep -q "deployed api-2 (2 replicas)" || { zr service status api >&2; false; }
	zr service status api | grep -q "last swap: api-1 -> api-2: done: canary promoted from 10% by \`zrun promote\`" || { zr service status api >&2; false; }
	b=$(mkver v3)
	echo api-3 api-3.r1 | tr ' ' '\n' >> "$WORK/ids"
	zr deploy api "$b" >"$WORK/deploy3.out" 2>&1 || { cat "$WORK/deploy3.out" >&2; false; }
	expect_eq "$(zr list -q | tr '\n' ' ')" "api-3 api-3.r1 " "versions after the next deploy (2 replicas remembered)"
}

# zrun service save while a canary is open, then every process dies (a
# reboot): restore brings back the version the canary was tried against,
# never the canary alone at 100%.
@test "restore_of_a_service_saved_during_a_canary_brings_back_the_old_version" {
	local b k id cg
	b=$(mkver v1)
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 100 api "$b" >/dev/null
	b=$(mkver v2)
	zr deploy --canary 10% --probe-period 50ms --probe-failure-threshold 100 api "$b" >"$WORK/deploy.out" 2>&1 ||
		{ cat "$WORK/deploy.out" >&2; false; }
	zr list -q >> "$WORK/ids"
	zr service save >"$WORK/save.out"
	k=$(svc_supervisors)
	kill -9 $k $(pgrep -P "$k")
	for id in api-1 api-2; do
		for cg in /sys/fs/cgroup/*"$(default_cgroup "$id")"; do
			{ xargs -r kill -9 < "$cg/cgroup.procs"; } 2>/dev/null || true
		done
	done
	wait_until 5 eval '! curl -s --max-time 1 "$URL/" >/dev/null' || { echo "still answering after kill -9" >&2; false; }
	zr service restore >"$WORK/restore.out" 2>&1 || { cat "$WORK/restore.out" >&2; false; }
	grep -q "restored api-1 (1 replica)" "$WORK/restore.out" ||
		{ echo "expected api-1 (v1, the old side) restored, saw: $(cat "$WORK/save.out" "$WORK/restore.out")" >&2; false; }
	answers_from 30
	expect_eq "$(count_from v1)" 30 "answers from v1 after the restore"
	expect_eq "$(zr list -q | tr '\n' ' ')" "api-1 " "versions after the restore"
}

# swap --abort SERVICE after a swap's zrun died before OLD was signalled:
# NEW goes, OLD serves on untouched; a second --abort has nothing to do.
@test "swap_abort_undoes_a_swap_killed_while_probing" {
	local b pid_old
	first_version "$O"
	pid_old=$(init_pid "$O")
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-probing "$ZRUN" --root "$ROOT" swap "$O" "$N"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output" >&2; false; }
	run zr swap --abort api
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stopped while probing: undoing it"* ]]
	assert_version_gone "$N"
	assert_untouched "$O" "$pid_old"
	run zr swap --abort api
	[ "$status" -eq 0 ]
	[[ "$output" == "nothing to abort: the last swap of api ($O -> $N) is aborted" ]] ||
		{ echo "second --abort said: $output" >&2; false; }
}

# swap --abort refuses a swap killed while draining (OLD was signalled: only
# finishing is left) and says how; swap --resume finishes it.
@test "swap_abort_refuses_a_swap_killed_while_draining_and_swap_resume_finishes_it" {
	local b pid_old
	b=$(mkver old --ignore-sigterm)
	vcreate "$O" "$b" --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --grace-period 2s
	zr start "$O"
	wait_serving "$URL/" old
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-draining "$ZRUN" --root "$ROOT" swap "$O" "$N"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output" >&2; false; }
	run --separate-stderr zr swap --abort api
	expect_eq "$status" 1 "exit status of swap --abort"
	expect_eq "$stderr" "zrun: swap --abort api: the swap $O -> $N of service api stopped while draining: the old side was signalled, so it can only be finished: \`zrun swap --resume api\`" "stderr"
	run zr swap --resume api
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stopped while draining: finishing it"* ]]
	# it ends saying so, as a swap does (it ended on OLD's SIGKILL line)
	[[ "$output" == *"$O: deleted"* ]] || { echo "expected a line '$O: deleted', seen: $output"; false; }
	local last
	last=$(printf '%s\n' "$output" | tail -1)
	expect_eq "$last" "$N: swap $O -> $N done: interrupted while draining; finished" "the last line of swap --resume"
	assert_version_gone "$O"
	wait_serving "$URL/" new
}

# swap --resume holds the swap lock while it repairs: before, a swap run
# meanwhile repaired the same record, swapped, and then had its record
# overwritten by the resume's end (status named the dead swap, aborted).
@test "swap_resume_holds_the_swap_lock_so_a_swap_meanwhile_keeps_its_record" {
	local b out
	first_version "$O"
	b=$(mkver new)
	vcreate "$N" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-probing "$ZRUN" --root "$ROOT" swap "$O" "$N"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output" >&2; false; }
	# the resume held mid-repair: NEW out of the slots, not yet stopped
	ZRUN_TEST_FAULT=stop-after-unserve:stop "$ZRUN" --root "$ROOT" swap --resume api </dev/null >"$WORK/swap.out" 2>&1 3>&- &
	STOPPED_PID=$!
	wait_until 30 eval 'test "$(proc_state $STOPPED_PID)" = T' ||
		{ echo "the resume never stopped: $(cat "$WORK/swap.out")" >&2; false; }
	b=$(mkver v3)
	vcreate "$N-3" "$b" --probe-period 50ms
	zr swap "$O" "$N-3" >"$WORK/swap3.out" 2>&1 || true
	resume_swap
	expect_eq "$rc" 0 "exit of the resumed swap --resume"
	zr swap --wait "$O" "$N-3" >>"$WORK/swap3.out" 2>&1 || zr list >>"$WORK/swap3.out"
	out=$(zr service status api)
	[[ "$out" == *"last swap: $O -> $N-3: done"* ]] ||
		{ echo "expected last swap $O -> $N-3: done, saw: $out; $(cat "$WORK/swap3.out")" >&2; false; }
	assert_version_gone "$N"
	wait_serving "$URL/" v3
}

@test "swap_resume_and_abort_refuse_bad_use_with_one_line" {
	first_version "$O"
	run --separate-stderr zr swap --resume api
	expect_eq "$stderr" "zrun: swap --resume api: service api has no swap to resume" "no swap yet"
	run --separate-stderr zr swap --resume nosuch
	expect_eq "$stderr" "zrun: swap: service nosuch: no such service" "no such service"
	run --separate-stderr zr swap --resume --abort api
	expect_eq "$stderr" "zrun: swap: --resume and --abort exclude each other" "both"
	run --separate-stderr zr swap --resume api "$O"
	[ "$status" -ne 0 ] && [ "$(echo "$stderr" | wc -l)" -eq 1 ] || { echo "two args: $status $stderr" >&2; false; }
	run --separate-stderr zr swap --abort --canary 10% api
	expect_eq "$stderr" "zrun: swap: --canary starts a swap; --resume and --abort end one" "with --canary"
}
