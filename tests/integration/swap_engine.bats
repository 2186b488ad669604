#!/usr/bin/env bats
# The one swap engine (issues 14.3, 15.1, 20.3-4): its record refuses a
# state it does not know, replicas are probed and stopped all at once, a
# never-started container is killed without a grace period, --timeout
# bounds a whole deploy, and a wait says so. Ports 19200-19249 (19200 +
# test number, + PORT_SHIFT).

PORT_BASE=19200
load service_helpers
bats_require_minimum_version 1.5.0

setup() { svc_setup; SVC=sweng$BATS_TEST_NUMBER; }
teardown() { svc_teardown; }

# deploy_v NAME [httpd flags] -- [deploy flags]: zrun deploy of a bundle of
# httpd answering NAME (--listen on this test's port); stdout and stderr in
# $WORK/deploy.out, the exit status in $rc, the time it took (ms) in $ms.
deploy_v() {
	local name=$1 b hflags=() t
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do hflags+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	b=$(mkver "$name" "${hflags[@]}")
	rc=0
	t=$(date +%s%N)
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 100ms "$@" "$SVC" "$b" </dev/null \
		>"$WORK/deploy.out" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - t) / 1000000))
	zr list -q >> "$WORK/ids"
}

# The elapsed_ms of the first JSON event with this step in $WORK/deploy.out.
event_ms() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("step") == sys.argv[2]:
        print(ev["elapsed_ms"]); break' "$WORK/deploy.out" "$1"
}

@test "swap_record_with_an_unknown_state_is_refused_with_a_clear_error_and_nothing_undone" {
	local old=$TEST_ID-old new=$TEST_ID-new pid rec
	first_version "$old"
	pid=$(init_pid "$old")
	vcreate "$new" "$(mkver new)"
	rec=$ROOT/.services/api/swap.json
	# a record of a swap whose zrun is gone (pid 0), in a state no zrun wrote
	printf '{"old":"%s","new":"%s","state":"bogus","pid":0,"pid_start":0,"keep_old":false,"group":false,"reason":""}' \
		"$old" "$new" >"$rec"
	run zr service repair api
	echo "$output"
	assert_one_line_error '"bogus" is not a swap state'
	[[ "$output" == *"swap.json"* ]] || { echo "expected the error to name the record file, saw: $output"; false; }
	# taken for "created", the repair would have undone the swap: NEW deleted
	expect_eq "$(status_of "$new")" created "status of $new after the refused repair"
	assert_untouched "$old" "$pid"
	# the next swap refuses it the same way, and touches nothing either
	run zr swap "$old" "$new"
	assert_one_line_error '"bogus" is not a swap state'
	expect_eq "$(status_of "$new")" created "status of $new after the refused swap"
	run zr service status api
	[[ "$output" == *'last swap: unreadable'*'"bogus" is not a swap state'* ]] ||
		{ echo "expected status to show the record unreadable, saw: $output"; false; }
	rm -f "$rec"
}

@test "abort_of_8_never_ready_replicas_stops_them_all_at_once" {
	deploy_v v1
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	local i
	echo "$SVC-2" >> "$WORK/ids"
	for i in $(seq 7); do echo "$SVC-2.r$i" >> "$WORK/ids"; done
	# never ready, and deaf to SIGTERM: each waits out the abort's 2 s grace
	deploy_v v2 --start-delay-ms 60000 --ignore-sigterm -- --replicas 8 --probe-failure-threshold 3 --format json
	[ "$rc" -ne 0 ] || { echo "expected the deploy to abort, saw exit 0: $(cat "$WORK/deploy.out")"; false; }
	local aborted
	aborted=$(event_ms aborted)
	[ -n "$aborted" ] || { echo "expected an aborted event, saw: $(cat "$WORK/deploy.out")"; false; }
	echo "# deploy of 8 never-ready replicas: aborted at $aborted ms, exited at $ms ms" >&3
	# one grace period (2 s) plus slack; one after another it is 16 s
	[ $((ms - aborted)) -lt 6000 ] ||
		{ echo "expected the 8 replicas stopped within 6 s of the abort (2 s grace, all at once), saw $((ms - aborted)) ms"; false; }
	for i in $(seq 7); do assert_version_gone "$SVC-2.r$i"; done
	assert_version_gone "$SVC-2"
	wait_serving "$URL/" v1
}

@test "a_never_started_version_is_removed_without_waiting_a_grace_period" {
	local old=$TEST_ID-old new=$TEST_ID-new pid t took
	first_version "$old"
	pid=$(init_pid "$old")
	vcreate "$new" "$(mkver new)"
	# the swap dies right after its record says "created": NEW never started
	run env ZRUN_TEST_FAULT=swap-created:kill "$ZRUN_HOOKS" --root "$ROOT" swap "$old" "$new"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output"; false; }
	expect_eq "$(status_of "$new")" created "status of $new"
	t=$(date +%s%N)
	run zr service repair api
	took=$((($(date +%s%N) - t) / 1000000))
	echo "# repair that removed a never-started version: $took ms" >&3
	[ "$status" -eq 0 ] || { echo "expected the repair to succeed, saw $status: $output"; false; }
	# nothing ran in it: killed at once, not after the abort's 2 s grace
	[ "$took" -lt 1500 ] || { echo "expected the never-started $new removed in < 1.5 s, saw $took ms: $output"; false; }
	assert_version_gone "$new"
	assert_untouched "$old" "$pid"
}

@test "deploy_timeout_bounds_a_first_deploy_of_3_replicas" {
	echo "$SVC-1" >> "$WORK/ids"
	echo "$SVC-1.r1" >> "$WORK/ids"
	echo "$SVC-1.r2" >> "$WORK/ids"
	deploy_v v1 --start-delay-ms 60000 -- --replicas 3 --probe-failure-threshold 1000 --timeout 2s
	echo "# first deploy of 3 never-ready replicas with --timeout 2s: exit $rc after $ms ms" >&3
	[ "$rc" -ne 0 ] || { echo "expected the deploy to fail, saw exit 0: $(cat "$WORK/deploy.out")"; false; }
	grep -q "timeout" "$WORK/deploy.out" || { echo "expected the error to name the timeout: $(cat "$WORK/deploy.out")"; false; }
	# 2 s for the whole deploy plus its clean-up; each replica in turn is 6 s
	[ "$ms" -lt 4500 ] || { echo "expected the deploy to end within 4.5 s of --timeout 2s, saw $ms ms"; false; }
	assert_version_gone "$SVC-1"
	assert_version_gone "$SVC-1.r1"
	assert_version_gone "$SVC-1.r2"
}

@test "a_probe_waiting_over_a_second_prints_progress_events_with_format_json" {
	deploy_v v1 --start-delay-ms 2500 -- --probe-failure-threshold 1000 --format json
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	"$BATS_TEST_DIRNAME/../lib/json_lines.py" waiting "waiting for $SVC-1 to be ready" <"$WORK/deploy.out" ||
		{ cat "$WORK/deploy.out"; false; }
	local n
	n=$(grep -c '"step":"waiting"' "$WORK/deploy.out")
	echo "# $n waiting events over a 2.5 s start: $(grep -m1 '"step":"waiting"' "$WORK/deploy.out")" >&3
	[ "$n" -ge 1 ] && [ "$n" -le 4 ] || { echo "expected 1-4 waiting events (one a second), saw $n"; false; }
	grep '"step":"waiting"' "$WORK/deploy.out" | grep -q 'probes, last: not accepting' ||
		{ echo "expected the count of probes and the last answer, saw: $(cat "$WORK/deploy.out")"; false; }
	# text to a file (not a terminal): no progress line; a quick swap: none either
	deploy_v v2 --start-delay-ms 1500 -- --probe-failure-threshold 1000
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	! grep -q "waiting for" "$WORK/deploy.out" || { echo "expected no progress line in a file: $(cat "$WORK/deploy.out")"; false; }
	deploy_v v3 -- --format json
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	! grep -q '"step":"waiting"' "$WORK/deploy.out" || { echo "expected no waiting event when nothing waits: $(cat "$WORK/deploy.out")"; false; }
}

@test "a_probe_waiting_over_a_second_prints_a_progress_line_on_a_terminal" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	local b
	b=$(mkver v1 --start-delay-ms 2500)
	script -qec "$ZRUN --root $ROOT deploy --listen tcp://127.0.0.1:$PORT --probe-period 100ms --probe-failure-threshold 1000 $SVC $b" \
		/dev/null </dev/null >"$WORK/tty.out" 2>&1 || { cat "$WORK/tty.out"; false; }
	zr list -q >> "$WORK/ids"
	grep -q "$SVC-1: waiting for $SVC-1 to be ready: [0-9]* probes, last: " "$WORK/tty.out" ||
		{ echo "expected a progress line on the terminal, saw: $(cat "$WORK/tty.out")"; false; }
}

# strip_members: swap.json as a zrun before the one engine wrote it (no
# member lists), so that this zrun must find the members itself.
strip_members() {
	python3 -c 'import json, sys
p = sys.argv[1]
r = json.load(open(p))
r.pop("old_members", None); r.pop("new_members", None)
json.dump(r, open(p, "w"))' "$ROOT/.services/$1/swap.json"
}

@test "a_group_swap_record_of_an_older_zrun_killed_while_probing_is_undone_by_its_groups" {
	deploy_v v1 -- --replicas 2 --probe-failure-threshold 100
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	echo "$SVC-2" >> "$WORK/ids"
	echo "$SVC-2.r1" >> "$WORK/ids"
	local b
	b=$(mkver v2)
	rc=0
	env ZRUN_TEST_FAULT=swap-probing "$ZRUN_HOOKS" --root "$ROOT" deploy --replicas 2 --probe-period 100ms "$SVC" "$b" \
		</dev/null >"$WORK/deploy.out" 2>&1 3>&- || rc=$?
	[ "$rc" -eq 137 ] || { echo "expected deploy to die of SIGKILL (137), saw $rc: $(cat "$WORK/deploy.out")"; false; }
	strip_members "$SVC"
	run zr service repair "$SVC"
	[ "$status" -eq 0 ] || { echo "expected the repair to succeed, saw $status: $output"; false; }
	[[ "$output" == *"$SVC-1 -> $SVC-2 stopped while probing: undoing it"* ]] ||
		{ echo "expected the repair to undo the swap, saw: $output"; false; }
	assert_version_gone "$SVC-2"
	assert_version_gone "$SVC-2.r1"
	expect_eq "$(status_of "$SVC-1.r1")" running "status of $SVC-1.r1"
	wait_serving "$URL/" v1
}

@test "a_swap_record_of_an_older_zrun_killed_while_draining_is_finished_by_its_ids" {
	local old=$TEST_ID-old new=$TEST_ID-new
	first_version "$old"
	vcreate "$new" "$(mkver new)" --probe-period 50ms
	run env ZRUN_TEST_FAULT=swap-draining:kill "$ZRUN_HOOKS" --root "$ROOT" swap "$old" "$new"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status: $output"; false; }
	strip_members api
	run zr service repair api
	[ "$status" -eq 0 ] || { echo "expected the repair to succeed, saw $status: $output"; false; }
	[[ "$output" == *"stopped while draining: finishing it"* ]] ||
		{ echo "expected the repair to finish the swap, saw: $output"; false; }
	assert_version_gone "$old"
	expect_eq "$(status_of "$new")" running "status of $new"
	wait_serving "$URL/" new
}

@test "scale_down_from_4_to_1_drains_the_3_replicas_together" {
	deploy_v v1 --ignore-sigterm -- --replicas 4 --grace-period 2s --probe-failure-threshold 100
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	local t took
	t=$(date +%s%N)
	run zr scale "$SVC" 1
	took=$((($(date +%s%N) - t) / 1000000))
	echo "# scale 4 -> 1 of replicas deaf to SIGTERM (grace 2 s): $took ms" >&3
	[ "$status" -eq 0 ] || { echo "expected the scale to succeed, saw $status: $output"; false; }
	# one grace period (2 s) plus slack; one after another it is 6 s
	[ "$took" -lt 5000 ] || { echo "expected 3 replicas drained within 5 s (2 s grace, together), saw $took ms"; false; }
	assert_version_gone "$SVC-1.r3"
	assert_version_gone "$SVC-1.r2"
	assert_version_gone "$SVC-1.r1"
	wait_serving "$URL/" v1
}
