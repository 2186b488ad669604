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

# dep NAME [httpd flags] -- [deploy flags]: deploy a bundle of httpd
# answering NAME, with nothing but the given flags (the defaults are what
# these tests are about); remembers the ids it made for the teardown.
dep() {
	local name=$1 b hflags=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do hflags+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	b=$(mkver "$name" "${hflags[@]}")
	zr deploy "$@" "$SVC" "$b" > "$WORK/deploy.out" 2>&1 ||
		{ cat "$WORK/deploy.out" >&2; return 1; }
	cat "$WORK/deploy.out"
	zr list -q >> "$WORK/ids"
}

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
