#!/usr/bin/env bats
# `service status` / `service list` health, usage and exit codes, `zrun logs`
# times, order and --tail, logs that outlive a failed deploy, and a service
# whose every version died refusing clients: pm2's `ls` and `logs` level.
# Ports 18450-18499 (18450 + test number).

PORT_BASE=18450
load service_helpers
bats_require_minimum_version 1.5.0

setup() { svc_setup; SVC=sl$BATS_TEST_NUMBER; }
teardown() { svc_teardown; }

# deploy_b BUNDLE [deploy flags]: deploy it as $SVC on $PORT.
deploy_b() {
	local b=$1
	shift
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 100 "$@" "$SVC" "$b" > "$WORK/deploy.out" 2>&1 ||
		{ zr list -q >> "$WORK/ids"; cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
}

# shell_ver NAME SCRIPT: a bundle whose init is `sh -c SCRIPT`.
shell_ver() {
	local b
	b=$(mkver "$1")
	sed -i "s|\"args\": *\[[^]]*\]|\"args\": [\"/bin/sh\", \"-c\", \"$2\"]|" "$b/config.json"
	grep -q '"/bin/sh"' "$b/config.json" || { echo "could not set the args of $b" >&2; return 1; }
	echo "$b"
}

# Two replicas that each print 8 ticks, 200 ms apart, beside httpd.
ticking_replicas() {
	local b
	b=$(shell_ver v1 '(i=0; while [ \$i -lt 8 ]; do echo tick \$i; i=\$((i+1)); sleep 0.2; done) \& exec /httpd --version-name v1') || return 1
	deploy_b "$b" --replicas 2
	wait_until 15 eval 'zr logs "$SVC" | grep -c " | tick 7$" | grep -qx 2'
}

@test "logs_carry_times_and_interleave_versions_in_time_order" {
	ticking_replicas
	zr logs "$SVC" > "$WORK/logs.out"
	local untimed switches
	untimed=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ' "$WORK/logs.out" || true)
	expect_eq "$untimed" 0 "lines of zrun logs without a time" || { cat "$WORK/logs.out" >&2; return 1; }
	cut -c1-24 "$WORK/logs.out" | sort -c ||
		{ echo "expected the lines in time order, saw:" >&2; cat "$WORK/logs.out" >&2; return 1; }
	# both replicas ticked at once: in time order their lines alternate
	switches=$(grep ' | tick ' "$WORK/logs.out" | awk '{ print $2 }' | uniq | wc -l)
	[ "$switches" -ge 4 ] ||
		{ echo "expected the two replicas' ticks interleaved (>= 4 runs), saw $switches:" >&2; cat "$WORK/logs.out" >&2; return 1; }
}

@test "logs_tail_counts_the_lines_of_the_service_not_of_each_file" {
	ticking_replicas
	zr logs --tail 3 "$SVC" > "$WORK/tail.out"
	zr logs "$SVC" | tail -n 3 > "$WORK/last.out"
	expect_eq "$(wc -l < "$WORK/tail.out")" 3 "lines printed by logs --tail 3" || { cat "$WORK/tail.out" >&2; return 1; }
	expect_eq "$(cat "$WORK/tail.out")" "$(cat "$WORK/last.out")" "logs --tail 3 against the last 3 lines of logs"
}

@test "a_failed_first_deploy_leaves_its_logs_readable_under_the_root" {
	local b
	b=$(shell_ver v1 'echo boom: no database at db:5432; exit 3')
	run zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --timeout 10s "$SVC" "$b"
	zr list -q >> "$WORK/ids"
	[ "$status" -ne 0 ] || { echo "expected the deploy to fail, it said: $output" >&2; return 1; }
	[ -z "$(zr list -q)" ] || { echo "versions left after the failed deploy: $(zr list -q)" >&2; return 1; }
	run zr logs "$SVC"
	[ "$status" -eq 0 ] || { echo "expected the failed version's logs, saw (exit $status): $output" >&2; return 1; }
	[[ "$output" == *" $SVC-1 | boom: no database at db:5432"* ]] ||
		{ echo "expected the line the version printed, saw: $output" >&2; return 1; }
	# a root of one's own keeps its logs in it, never in the system's
	ls "$ROOT/.logs/$SVC/$SVC-1.log" > /dev/null
	[ ! -e "/var/log/zrun/$SVC" ] || { echo "a test root wrote into /var/log/zrun/$SVC" >&2; return 1; }
}
