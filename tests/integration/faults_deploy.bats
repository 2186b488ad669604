#!/usr/bin/env bats
# Fault injection (issue 8): `zrun deploy` killed (SIGKILL) mid-way, at each
# step of the swap it runs, under load: the service keeps serving with no
# failed request, `service status` tells what happened, and the next deploy
# repairs it and works. The hook: ZRUN_TEST_FAULT=swap-<state> (runtime/fault.c).
# Ports 18900-18999 (18900 + test number).

PORT_BASE=18900
load service_helpers
bats_require_minimum_version 1.5.0
# every test here injects faults: the test build (helpers.bash)
ZRUN=$ZRUN_HOOKS

setup() { svc_setup; SVC=f$BATS_TEST_NUMBER; }
teardown() { svc_teardown; }

deploy_v() {  # name [extra env for zrun]
	local b; b=$(mkver "$1")
	shift
	rc=0
	env "$@" "$ZRUN" --root "$ROOT" deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 100 \
		"$SVC" "$b" </dev/null >"$WORK/deploy.out" 2>&1 3>&- || rc=$?
	zr list -q >> "$WORK/ids"
}

deploy_killed_at() {  # swap state
	deploy_v v1
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	wait_serving "$URL/" v1
	wrk_start
	deploy_v v2 ZRUN_TEST_FAULT="swap-$1"
	[ "$rc" -eq 137 ] || { echo "expected deploy to die of SIGKILL (137), saw $rc: $(cat "$WORK/deploy.out")"; false; }
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/")" 200 "answer right after the killed deploy"
	run zr service status "$SVC"
	echo "$output" | sed "s|^|# |" >&3
	[ "$status" -eq 0 ]
	# status says where the swap died (it repairs nothing: read-only)
	[[ "$output" == *"swap interrupted at $1"* ]] || { echo "status does not tell the swap died while $1"; false; }
	[[ "$output" == *"last swap: $SVC-1 -> $SVC-2"* ]]
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/")" = 200 ]
	# the next deploy repairs the dead swap first, then deploys
	deploy_v v3
	[ "$rc" -eq 0 ] || { cat "$WORK/deploy.out"; false; }
	grep -q "stopped while $1" "$WORK/deploy.out" || { echo "deploy did not repair the dead swap: $(cat "$WORK/deploy.out")"; false; }
	wait_serving "$URL/" v3
	wrk_stop
}

@test "deploy_killed_while_starting_keeps_serving_and_the_next_deploy_works" { deploy_killed_at starting; }
@test "deploy_killed_while_probing_keeps_serving_and_the_next_deploy_works" { deploy_killed_at probing; }
@test "deploy_killed_while_draining_keeps_serving_and_the_next_deploy_works" { deploy_killed_at draining; }

# The repair of a killed group swap (--replicas 2), done by the next deploy
# --format json, is a JSON line like the others (it was once a text line).
@test "deploy_format_json_repairing_a_killed_group_swap_prints_only_json" {
	local b
	SVC=jsonrep$BATS_TEST_NUMBER  # cgroups are /zrun/<id> for every root: a name of its own
	b=$(mkver v1)
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 100 --replicas 2 \
		"$SVC" "$b" >/dev/null
	zr list -q >> "$WORK/ids"
	b=$(mkver v2)
	rc=0
	env ZRUN_TEST_FAULT=swap-probing "$ZRUN" --root "$ROOT" deploy --replicas 2 --probe-period 50ms \
		--probe-failure-threshold 100 "$SVC" "$b" </dev/null >"$WORK/deploy.out" 2>&1 3>&- || rc=$?
	zr list -q >> "$WORK/ids"
	[ "$rc" -eq 137 ] || { echo "expected deploy to die of SIGKILL (137), saw $rc: $(cat "$WORK/deploy.out")"; false; }
	b=$(mkver v3)
	run --separate-stderr zr deploy --format json --replicas 2 --probe-period 50ms --probe-failure-threshold 100 \
		"$SVC" "$b"
	zr list -q >> "$WORK/ids"
	[ "$status" -eq 0 ] || { echo "expected the next deploy to repair and succeed, saw $status: $output $stderr" >&2; false; }
	printf '%s\n' "$output" | "$BATS_TEST_DIRNAME/../lib/json_lines.py" repair "$SVC-1 -> $SVC-2 stopped while probing: undoing it"
	wait_serving "$URL/" v3
}
