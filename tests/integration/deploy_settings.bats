#!/usr/bin/env bats
# What deploy does with default settings and what it remembers between
# deploys: the fast startup probe schedule, the settings kept in the service
# record, and versions that are never orphaned (kept for rollback, or gone).
# Ports 19100-19199 (19100 + test number).

PORT_BASE=19100
load service_helpers
bats_require_minimum_version 1.5.0

setup() { svc_setup; SVC=ds$BATS_TEST_NUMBER; }
teardown() { svc_teardown; }

# dep NAME [httpd flags] -- [deploy flags]: deploy with nothing but the
# given flags (the defaults are what these tests are about).
dep() { deploy_version "$@"; }

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

@test "default_probe_schedule_sees_a_slow_starter_ready_long_before_one_period" {
	# httpd accepts 300 ms after start: the first probe fails. With one probe
	# per period (10 s by default) the next would come 10 s later; the
	# startup schedule probes every 50-100 ms until the first success.
	local t0 t1
	t0=$(ms_now)
	dep v1 --start-delay-ms 300 -- --listen "tcp://127.0.0.1:$PORT" --replicas 2
	t1=$(ms_now)
	echo "# deploy of 2 replicas starting in 300 ms each, default probe settings: $((t1 - t0)) ms" >&3
	[ $((t1 - t0)) -lt 5000 ] || { echo "expected ready well within one 10 s period (< 5000 ms), took $((t1 - t0)) ms" >&2; return 1; }
	expect_eq "$(curl -s --max-time 2 "$URL/")" v1 "answer"
}

@test "startup_probes_come_every_10_ms_until_a_slow_starter_is_ready" {
	# httpd accepts 1 s after start. Half a probe step after the app listens
	# is zrun's own share of a deploy (issue 15: < 50 ms in all): one probe
	# every 10 ms makes ~100 probes in that second; the old schedule (15 ms,
	# then every 50 ms) made at most 21. 35 (one per 28 ms) leaves room for
	# a loaded host.
	local line n
	dep v1 --start-delay-ms 1000 -- --listen "tcp://127.0.0.1:$PORT"
	line=$(grep "^$SVC-1: ready after" "$WORK/deploy.out")
	n=$(sed -n 's/.*ready after \([0-9]*\) probes.*/\1/p' <<<"$line")
	echo "# $line" >&3
	[ "${n:-0}" -ge 35 ] || { echo "expected >= 35 probes before a 1 s starter was ready, saw: $line" >&2; return 1; }
	expect_eq "$(curl -s --max-time 2 "$URL/")" v1 "answer"
}

# kept_of: the service record's version kept for rollback
kept_of() { zr service --format json status "$SVC" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("previous", ""))'; }

# state_zrun ID: the "zrun" object of a version's state.json
state_zrun() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["zrun"], sort_keys=True))' "$ROOT/$1/state.json"; }

@test "deploy_reuses_every_setting_of_the_last_deploy_and_says_what_a_flag_changed" {
	dep v1 -- --listen "tcp://127.0.0.1:$PORT" --replicas 2 --probe http:/healthz --probe-period 200ms \
		--restart always --keep-old --grace-period 3s --timeout 40s
	# a later deploy with no flag: 2 replicas, the same probe, restart
	# policy, grace period; v1 kept for rollback (--keep-old remembered)
	dep v2
	wait_serving "$URL/" v2
	expect_eq "$(status_of "$SVC-2.r1")" running "replica 1 of the second deploy"
	local z
	z=$(state_zrun "$SVC-2.r1")
	for want in '"probe": "http"' '"probe_target": "/healthz"' '"period_ms": 200' '"restart": 2' '"grace_period_ms": 3000'; do
		[[ "$z" == *"$want"* ]] || { echo "expected $want in $SVC-2.r1's settings, saw: $z" >&2; return 1; }
	done
	expect_eq "$(kept_of)" "$SVC-1" "kept for rollback"
	! grep -q "changed" "$WORK/deploy.out" || { echo "expected no changed line, saw:" >&2; cat "$WORK/deploy.out" >&2; return 1; }
	# one flag changes one setting on purpose, and the output says so, once
	dep v3 -- --replicas 3
	wait_serving "$URL/" v3
	expect_eq "$(status_of "$SVC-3.r2")" running "replica 2 after --replicas 3"
	expect_eq "$(grep -c "changed\|: replicas: 2 -> 3" "$WORK/deploy.out")" 1 "lines saying what changed"
	grep -q "replicas: 2 -> 3" "$WORK/deploy.out"
	# and turned off again
	dep v4 -- --no-keep-old --restart on-failure
	grep -q "keep-old: on -> off" "$WORK/deploy.out"
	grep -q "restart: always -> on-failure" "$WORK/deploy.out"
	expect_eq "$(zr list -q | sort | tr '\n' ' ')" "$SVC-4 $SVC-4.r1 $SVC-4.r2 " "containers left (no kept version)"
}

@test "an_unknown_zrun_annotation_is_an_error_naming_it_and_leaves_nothing" {
	local b
	b=$(TOP_EXTRA=',"annotations": {"zrun.replicas": "3"}' mkver v1)
	run zr deploy --listen "tcp://127.0.0.1:$PORT" "$SVC" "$b"
	assert_one_line_error "annotation zrun.replicas: not a zrun setting"
	expect_eq "$(zr list -q)" "" "containers left"
	[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ] || { echo "service dir left: $(ls -A "$ROOT/.services")" >&2; return 1; }
	# a known one is honoured: zrun.restart
	b=$(TOP_EXTRA=',"annotations": {"zrun.restart": "always"}' mkver v2)
	zr deploy --listen "tcp://127.0.0.1:$PORT" "$SVC" "$b" > "$WORK/deploy.out"
	zr list -q >> "$WORK/ids"
	[[ "$(state_zrun "$SVC-1")" == *'"restart": 2'* ]] || { echo "expected restart always (2), saw: $(state_zrun "$SVC-1")" >&2; return 1; }
}

@test "a_redeploy_of_an_old_bundle_leaves_no_version_stopped_and_out_of_reach" {
	# the sequence of issue 15: v1; v2 keeping v1; v1 again. Before, the
	# third deploy left SVC-1 stopped, listed and unknown to rollback.
	dep v1 -- --listen "tcp://127.0.0.1:$PORT"
	dep v2 -- --keep-old
	dep v1again
	wait_serving "$URL/" v1again
	expect_eq "$(kept_of)" "$SVC-2" "version kept for rollback (--keep-old remembered)"
	expect_eq "$(zr list -q | tr '\n' ' ')" "$SVC-2 $SVC-3 " "containers: the serving one and the kept one"
	zr rollback "$SVC" > "$WORK/rollback.out"
	wait_serving "$URL/" v2
	# --no-keep-old: nothing kept, nothing stopped left behind
	dep v4 -- --no-keep-old
	wait_serving "$URL/" v4
	expect_eq "$(zr list -q | tr '\n' ' ')" "$SVC-4 " "containers after deploy --no-keep-old"
	run zr rollback "$SVC"
	assert_one_line_error "no previous version kept"
}

@test "a_rollback_whose_kept_bundle_was_removed_fails_cleanly_and_stops_promising_it" {
	dep v1 -- --listen "tcp://127.0.0.1:$PORT"
	dep v2 -- --keep-old
	wait_serving "$URL/" v2
	rm -rf "$WORK/b-v1"
	run zr rollback "$SVC"
	assert_one_line_error "$SVC-1 cannot come back"
	[[ "$output" == *"$SVC-1 removed, $SVC-2 keeps serving"* ]] || { echo "expected the message to say what became of both versions, saw: $output" >&2; return 1; }
	wait_serving "$URL/" v2
	expect_eq "$(zr list -q | tr '\n' ' ')" "$SVC-2 " "containers after the failed rollback"
	run zr service status "$SVC"
	[[ "$output" != *"kept for rollback"* ]] || { echo "expected no version kept for rollback, saw: $output" >&2; return 1; }
}

@test "service_restore_brings_back_services_side_by_side_not_one_after_another" {
	# two services whose version starts in 2 s: restored one after the
	# other, the second is done 2 s after the first; side by side, together
	local a=${SVC}a b=${SVC}b ba bb
	ba=$(mkver va --start-delay-ms 2000)
	bb=$(mkver vb --start-delay-ms 2000)
	zr deploy --listen "tcp://127.0.0.1:$PORT" "$a" "$ba" > /dev/null
	zr deploy --listen "tcp://127.0.0.1:$((PORT + 40))" "$b" "$bb" > /dev/null
	zr list -q >> "$WORK/ids"
	zr service save > /dev/null
	local k id cg
	for k in $(svc_supervisors); do kill -9 $k $(pgrep -P "$k") 2>/dev/null || true; done
	for id in "$a-1" "$b-1"; do
		for cg in /sys/fs/cgroup/*"$(default_cgroup "$id")"; do
			[ -f "$cg/cgroup.procs" ] && xargs -r kill -9 < "$cg/cgroup.procs" 2>/dev/null || true
		done
	done
	wait_until 5 eval '! curl -s --max-time 1 "$URL/" >/dev/null'
	zr service restore > "$WORK/restore.out"
	cat "$WORK/restore.out"
	grep -q "$a: restored" "$WORK/restore.out" && grep -q "$b: restored" "$WORK/restore.out"
	# when each version was created: one after the other, the second comes
	# once the first is ready (2 s later); side by side, at once
	local gap
	gap=$(python3 - "$ROOT/$a-1/state.json" "$ROOT/$b-1/state.json" <<'PY'
import json, sys
from datetime import datetime
def t(p):
    c = json.load(open(p))["created"]          # 2026-12-06T23:37:31.891565567Z
    return datetime.strptime(c[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
print(int(abs(t(sys.argv[1]) - t(sys.argv[2])) * 1000))
PY
)
	echo "# two services (each starting in 2 s) restored with their versions created $gap ms apart" >&3
	[ "$gap" -lt 1000 ] || { echo "expected both versions created together (< 1000 ms apart), saw $gap ms apart" >&2; return 1; }
	wait_serving "$URL/" va
	wait_serving "http://127.0.0.1:$((PORT + 40))/" vb
}

# line_of PATTERN: the line number of the first deploy output line matching it
line_of() { grep -n -m1 -- "$1" "$WORK/deploy.out" | cut -d: -f1; }

# expect_after A B: B's line comes after A's in the deploy output
expect_after() {
	local a b
	a=$(line_of "$1") b=$(line_of "$2")
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ] ||
		{ echo "expected \"$2\" (line ${b:-none}) after \"$1\" (line ${a:-none}) in:" >&2; cat "$WORK/deploy.out" >&2; return 1; }
}

@test "max_starting_1_starts_each_replica_once_the_one_before_is_ready_and_is_remembered" {
	# R node replicas starting at once take the CPU from the old ones that
	# serve (bench/scale, R=64): --max-starting N starts N at a time, the
	# next as one is proven ready.
	dep v1 --start-delay-ms 200 -- --listen "tcp://127.0.0.1:$PORT" --replicas 3 --max-starting 1
	expect_after "$SVC-1: ready after" "$SVC-1.r1: started"
	expect_after "$SVC-1.r1: ready after" "$SVC-1.r2: started"
	# the next deploy remembers it (no flag)
	dep v2 --start-delay-ms 200
	expect_after "$SVC-2: ready after" "$SVC-2.r1: started"
	expect_after "$SVC-2.r1: ready after" "$SVC-2.r2: started"
	wait_serving "$URL/" v2
	# all: every replica starts at once again, and deploy says it changed
	dep v3 --start-delay-ms 200 -- --max-starting all
	grep -q "max-starting: 1 -> all" "$WORK/deploy.out" || { echo "expected a changed line max-starting: 1 -> all in:" >&2; cat "$WORK/deploy.out" >&2; return 1; }
	expect_after "$SVC-3.r2: started" "$SVC-3: ready after"
	wait_serving "$URL/" v3
	# default: 4 per CPU; a first deploy of one more than that holds one back
	local cpus n
	cpus=$(nproc) n=$((4 * cpus + 1))
	if [ "$n" -le 16 ]; then
		SVC=${SVC}b dep w1 -- --listen "unix:$WORK/w.sock" --replicas "$n"
		grep -q "1 more start as these are ready, $((4 * cpus)) at a time" "$WORK/deploy.out" ||
			{ echo "expected $((4 * cpus)) of $n replicas started at once by default ($cpus CPUs), saw:" >&2; cat "$WORK/deploy.out" >&2; return 1; }
	fi
	run zr deploy --max-starting 0 "$SVC" "$(mkver v4)"
	assert_one_line_error 'max-starting "0": expected all or a whole number from 1 to 64'
	expect_eq "$(zr list -q | grep -c "^$SVC-4" || true)" 0 "versions of the refused deploy"
}
