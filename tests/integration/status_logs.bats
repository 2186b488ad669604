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

# Two replicas that each print 15 ticks, 200 ms apart, beside httpd (3 s:
# they overlap even when the second starts a second or two after the first).
ticking_replicas() {
	local b
	b=$(shell_ver v1 '(i=0; while [ \$i -lt 15 ]; do echo tick \$i; i=\$((i+1)); sleep 0.2; done) \& exec /httpd --version-name v1') || return 1
	deploy_b "$b" --replicas 2
	wait_until 15 eval 'zr logs "$SVC" | grep -c " | tick 14$" | grep -qx 2'
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

# The resident memory of every process in the cgroup of version $1 (bytes).
resident_bytes() {
	local pid cg sum=0 kb p
	pid=$(pid_of "$1")
	cg=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' "/proc/$pid/cgroup")
	for p in $(cat "/sys/fs/cgroup/memory$cg/cgroup.procs"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		sum=$((sum + ${kb:-0} * 1024))
	done
	echo "$sum"
}

@test "status_shows_health_uptime_cpu_and_resident_memory" {
	local b rss
	b=$(shell_ver v1 'sleep 30 \& exec /httpd --version-name v1')
	deploy_b "$b"
	wait_serving "$URL/" v1
	run zr service --format json status "$SVC"
	[ "$status" -eq 0 ] || { echo "expected exit 0 for a serving service, saw $status: $output" >&2; return 1; }
	rss=$(resident_bytes "$SVC-1")
	echo "$output" | RSS=$rss python3 -c '
import json, os, sys
s = json.load(sys.stdin)
v = s["versions"][0]
rss = int(os.environ["RSS"])
def check(what, got, want):
    if got != want:
        sys.exit("%s: expected %r, saw %r" % (what, want, got))
check("service health", s.get("health"), "serving")
check("version health", v.get("health"), "serving")
for k in ("uptime_s", "cpu_ns", "restarts", "cgroup_memory_bytes"):
    if k not in v:
        sys.exit("no %s in %s" % (k, v))
# two processes (sh... sleep and httpd): the sum of their resident memory
if abs(v["memory_bytes"] - rss) > rss // 5:
    sys.exit("memory_bytes: expected about %d (VmRSS of the cgroup processes), saw %d" % (rss, v["memory_bytes"]))
'
	run zr service status "$SVC"
	[[ "${lines[0]}" == "service $SVC: serving" ]] || { echo "expected \"service $SVC: serving\" first, saw: $output" >&2; return 1; }
	[[ "$output" == *"$SVC-1 "*serving*" up "*" mem "* ]] || { echo "expected the version serving with uptime and memory, saw: $output" >&2; return 1; }
}

@test "status_exits_2_and_names_the_crashed_replica_when_degraded" {
	local b pid
	b=$(mkver v1)
	deploy_b "$b" --replicas 2 --restart no
	wait_serving "$URL/" v1
	pid=$(pid_of "$SVC-1.r1")
	kill -9 "$pid"
	wait_until 10 eval 'test "$(status_of "$SVC-1.r1")" = stopped'
	wait_until 10 eval '! zr service status "$SVC" | grep -q "$SVC-1.r1 *serving"'
	run zr service status "$SVC"
	expect_eq "$status" 2 "exit code of service status with one of 2 replicas crashed" || { echo "$output" >&2; return 1; }
	[[ "${lines[0]}" == "service $SVC: degraded" ]] || { echo "expected \"service $SVC: degraded\" first, saw: $output" >&2; return 1; }
	[[ "$output" == *"$SVC-1.r1 "*"crashed (signal 9)"* ]] || { echo "expected $SVC-1.r1 crashed (signal 9), saw: $output" >&2; return 1; }
	run zr service list
	[[ "$output" == *"$SVC "*degraded* ]] || { echo "expected service list to say degraded, saw: $output" >&2; return 1; }
}

@test "a_service_whose_every_version_died_is_down_refuses_clients_and_serves_again_on_the_next_deploy" {
	local b rc
	b=$(mkver v1)
	deploy_b "$b" --restart no
	wait_serving "$URL/" v1
	kill -9 "$(pid_of "$SVC-1")"
	wait_until 10 eval 'test "$(status_of "$SVC-1")" = stopped'
	run zr service status "$SVC"
	expect_eq "$status" 3 "exit code of service status with no version left serving" || { echo "$output" >&2; return 1; }
	[[ "${lines[0]}" == "service $SVC: down" ]] || { echo "expected \"service $SVC: down\" first, saw: $output" >&2; return 1; }
	run zr service list
	[[ "$output" == *"$SVC "*down* ]] || { echo "expected service list to say down, saw: $output" >&2; return 1; }
	# the supervisor sees it within its rescan (1 s): refused, not a wait
	# for a time-out in a backlog no version will ever accept from
	wait_until 5 eval 'curl -s -o /dev/null --max-time 2 "$URL/"; test $? -eq 7'
	rc=0
	curl -s -o /dev/null --max-time 3 "$URL/" || rc=$?
	expect_eq "$rc" 7 "curl's exit code (7: refused, 28: timed out) against a down service"
	b=$(mkver v2)
	deploy_b "$b"
	wait_serving "$URL/" v2
	run zr service status "$SVC"
	expect_eq "$status" 0 "exit code of service status once v2 serves" || { echo "$output" >&2; return 1; }
}

@test "status_says_restarting_with_the_count_while_the_supervisor_brings_a_version_back" {
	local b i out seen=
	# serves 1 s, exits, and is restarted (always) after a growing backoff
	b=$(mkver v1 --exit-after-ms 1000)
	deploy_b "$b" --restart always
	for i in $(seq 300); do
		out=$(zr service status "$SVC" || true)
		if [[ "$out" =~ $SVC-1\ +restarting\ \(([0-9]+)\ restarts?\ so\ far\) ]] && [ "${BASH_REMATCH[1]}" -ge 1 ]; then
			seen=${BASH_REMATCH[1]}
			break
		fi
		sleep 0.05
	done
	[ -n "$seen" ] || { echo "expected status to say $SVC-1 restarting (N restarts so far) within 15 s, last saw: $out" >&2; return 1; }
	# and it serves again after each restart
	wait_serving "$URL/" v1
}

@test "a_restart_whose_bundle_was_removed_keeps_the_version_listed_and_says_why" {
	local b pid out
	b=$(mkver v1)
	deploy_b "$b" --restart on-failure:2
	wait_serving "$URL/" v1
	mv "$b" "$b.gone"
	pid=$(pid_of "$SVC-1")
	kill -9 "$pid"
	# the supervisor's restarts fail (no bundle), its log says why, and the
	# version stays, stopped
	wait_until 15 eval 'zr logs "$SVC" | grep -q "restart $SVC-1: $b/config.json: No such file"'
	wait_until 10 eval 'zr service status "$SVC" | grep -q "restart failed"'
	out=$(zr list -q)
	[[ "$out" == *"$SVC-1"* ]] || { echo "expected $SVC-1 still listed after its failed restarts, saw: $out" >&2; return 1; }
	run zr service status "$SVC"
	expect_eq "$status" 3 "exit code of service status with its only version stopped" || { echo "$output" >&2; return 1; }
	[[ "$output" != *"no version left"* ]] || { echo "expected the version kept, saw: $output" >&2; return 1; }
	# the bundle back: a deploy of it serves again
	mv "$b.gone" "$b"
	deploy_b "$(mkver v2)"
	wait_serving "$URL/" v2
}

# A version that fails at once (a program that exits before the supervisor's
# next look at it, up to a second after its start: python's bind refused
# ~50 ms in) was shown `down`, with no word why: the supervisor had never
# watched it running, and had no exit status. `zrun start` asks it to look
# at once; it holds a pidfd from then, which gives the status after the
# init is reaped (PIDFD_GET_INFO, Linux 6.15).
@test "a_version_that_exits_at_once_is_shown_crashed_with_its_exit_status" {
	local b
	[ "$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')" -ge 6015 ] || skip "PIDFD_GET_INFO needs Linux 6.15"
	b=$(shell_ver v1 "sleep 0.2; exit 3")
	vcreate "$SVC-1" "$b" --service "$SVC" --listen "tcp://127.0.0.1:$PORT"
	zr start "$SVC-1"
	wait_until 5 eval 'zr service status "$SVC" | grep -q "crashed (exit 3)"' ||
		{ echo "expected $SVC-1 'crashed (exit 3)', seen:"; zr service status "$SVC"; return 1; }
	run zr service status "$SVC"
	expect_eq "$status" 3 "exit status of service status (down)"
}

# Each number with its unit against it ("cpu 0.00   s mem 0.8   MiB" read as
# columns of units), and "1 connection" in the singular (first_version
# makes one request).
@test "status_writes_cpu_and_memory_with_their_units_and_one_connection_singular" {
	first_version "$SVC-1"
	run zr service status api
	local line
	line=$(printf '%s\n' "$output" | grep "^  $SVC-1 ")
	[[ "$line" =~ " cpu "[0-9]+\.[0-9][0-9]"s "+"mem "[0-9]+\.[0-9]"MiB "+"restarts " ]] ||
		{ echo "expected 'cpu N.NNs  mem N.NMiB  restarts', seen: $line"; return 1; }
	[[ "$output" =~ "share 100%, "([0-9]+)" connection"(s?)" steered to it" ]] ||
		{ echo "expected 'share 100%, N connection(s) steered to it', seen: $output"; return 1; }
	local n=${BASH_REMATCH[1]} s=${BASH_REMATCH[2]}
	[ "$n" -ge 1 ] || { echo "expected first_version's request counted, seen $n"; return 1; }
	{ [ "$n" = 1 ] && [ -z "$s" ]; } || { [ "$n" != 1 ] && [ "$s" = s ]; } ||
		{ echo "expected '1 connection' or 'N connections', seen '$n connection$s'"; return 1; }
}
