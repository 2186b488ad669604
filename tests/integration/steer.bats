#!/usr/bin/env bats
# Connections steered in the kernel (issue 17, docs/service.md "Steered
# connections"): each version has a socket of its own in the listener's
# SO_REUSEPORT group, and gets connections only from when its probe passes
# until its stop signal. ZRUN_STEER=off at a service's first create keeps
# one shared socket. Ports 19300-19349 (19300 + test number).

PORT_BASE=19300
load service_helpers

setup() { svc_setup; }
teardown() { svc_teardown; }

# early_requests: what NEW (httpd --health-delay-ms) said it answered
# before its /healthz first passed.
early_requests() {
	sed -n "s/.*httpd $1: \/healthz ready; \([0-9]*\) requests answered before.*/\1/p" "$WORK/containers.log" | tail -1
}

# gated_swap: v0 under wrk (a connection per request: keep-alive
# connections stay with v0 whatever the mode); v1 listens at once but
# passes its probe only after 2 s; swap to it. Leaves the count in $EARLY.
gated_swap() {
	first_version "$TEST_ID-v0"
	wrk_start -H 'Connection: close'
	b=$(mkver v1 --health-delay-ms 2000)
	vcreate "$TEST_ID-v1" "$b" --probe http:/healthz --probe-period 100ms
	zr swap "$TEST_ID-v0" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	sleep 0.3
	wrk_stop
	EARLY=$(early_requests v1)
	[ -n "$EARLY" ] || { cat "$WORK/containers.log" >&2; echo "v1 never said its count" >&2; return 1; }
}

@test "steered_swap_sends_no_request_to_new_before_its_probe_passes" {
	gated_swap
	echo "# steered: $EARLY requests reached v1 before its probe passed (expected 0)" >&3
	expect_eq "$EARLY" 0 "requests answered by v1 before its probe passed"
	wait_serving "$URL/" v1
}

@test "shared_socket_sends_requests_to_new_before_its_probe_passes" {
	# the fallback, forced: what the steering is for (the count under load
	# is in the hundreds; one is enough to tell the modes apart)
	export ZRUN_STEER=off
	gated_swap
	echo "# shared socket: $EARLY requests reached v1 before its probe passed" >&3
	[ "$EARLY" -gt 0 ] || { echo "expected requests to v1 before its probe passed with the shared socket, saw $EARLY" >&2; return 1; }
}

@test "each_version_accepts_on_its_own_socket_not_the_supervisors" {
	local p0 p1 i0 i1 sup
	first_version "$TEST_ID-v0"
	b=$(mkver v1)
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	zr start "$TEST_ID-v1"
	p0=$(pid_of "$TEST_ID-v0")
	p1=$(pid_of "$TEST_ID-v1")
	i0=$(readlink "/proc/$p0/fd/3")
	i1=$(readlink "/proc/$p1/fd/3")
	[ "$i0" != "$i1" ] || { echo "expected two sockets, both versions hold $i0" >&2; return 1; }
	# v1 started by hand, never proven ready: it gets no connection
	for _ in $(seq 50); do curl -s --max-time 1 "$URL/" >> "$WORK/answers"; done
	expect_eq "$(grep -c v1 "$WORK/answers" || true)" 0 "answers from v1, started outside a swap"
	expect_eq "$(grep -c v0 "$WORK/answers")" 50 "answers from v0"
	run zr service status api
	[[ "$output" == *"connections: steered in the kernel"* ]] || { echo "status: $output" >&2; return 1; }
	[[ "$output" == *"share 100%"* && "$output" == *"share 0%"* ]] || { echo "expected shares 100% and 0%, saw: $output" >&2; return 1; }
	run zr service --format json status api
	[[ "$output" == *'"connections":"steered"'* && "$output" == *'"share_percent":100'* ]] || { echo "json: $output" >&2; return 1; }
}

@test "status_says_a_shared_socket_and_why" {
	export ZRUN_STEER=off
	first_version "$TEST_ID-v0"
	run zr service status api
	[[ "$output" == *"connections: one shared socket (steering is off (ZRUN_STEER=off))"* ]] || { echo "status: $output" >&2; return 1; }
	unset ZRUN_STEER
	local b
	b=$(mkver u0)
	echo "$TEST_ID-u0" >> "$WORK/ids"
	zr create --service apiu --listen "unix:$WORK/api.sock" "$TEST_ID-u0" "$b" >> "$WORK/containers.log" 2>&1
	run zr service status apiu
	[[ "$output" == *"connections: one shared socket (unix:$WORK/api.sock is a unix listener: a unix socket has no SO_REUSEPORT group)"* ]] || { echo "status: $output" >&2; return 1; }
}

# swap_through FIRST LAST: swaps v(FIRST-1) -> vFIRST ... -> vLAST under the
# running wrk, then stops it (no failed request).
swap_through() {
	local i id prev=$TEST_ID-v$(($1 - 1))
	for i in $(seq "$1" "$2"); do
		id=$TEST_ID-v$i
		b=$(mkver "v$i")
		vcreate "$id" "$b" --probe-period 50ms
		zr swap "$prev" "$id" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
		prev=$id
	done
	sleep 0.3
	wrk_stop
}

@test "a_steered_swap_leaves_the_old_version_s_connections_to_finish_and_none_reset" {
	# keep-alive load and connection-per-request load, 5 swaps each
	first_version "$TEST_ID-v0"
	wrk_start
	swap_through 1 5
	wrk_start -H 'Connection: close'
	swap_through 6 10
	wait_serving "$URL/" v10
}

# A version's socket is in the group, and SO_ATTACH_REUSEPORT_* on any
# socket of a group replaces the group's program: "ret #0" sends every
# connection to the group's first socket, the service's, from which no
# version accepts. The supervisor attaches the steering program again at
# each look (at least once a second).
@test "a_version_that_replaces_the_group_program_gets_the_steering_back" {
	local v1=$TEST_ID-v1 bad=$TEST_ID-bad b i ok=0 n=30
	first_version "$v1"
	saboteur "$bad" reuseport-prog
	sleep 1.5
	for i in $(seq $n); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$URL/")" = 200 ] && ok=$((ok + 1))
	done
	expect_eq "$ok" "$n" "requests answered of $n, 1.5 s after a version attached its own group program"
}

# v0, stopped and kept by a swap, closed its socket and freed its index in
# the group; v2, made after, got that index. Deleting v0 took "its" index
# out of the serving set: v2's, and then nobody got a connection.
@test "deleting_a_stopped_version_leaves_its_old_index_to_the_version_serving_there" {
	local b i ok=0 n=20 body
	first_version "$TEST_ID-v0"
	for i in 1 2; do
		b=$(mkver "v$i")
		vcreate "$TEST_ID-v$i" "$b" --probe-period 50ms
		zr swap $([ "$i" = 1 ] && echo --keep-old) "$TEST_ID-v$((i - 1))" "$TEST_ID-v$i" > "$WORK/swap.out" 2>&1 ||
			{ cat "$WORK/swap.out" >&2; return 1; }
	done
	wait_serving "$URL/" v2
	zr delete "$TEST_ID-v0"
	for i in $(seq $n); do
		body=$(curl -s --max-time 1 "$URL/" || true)
		[[ "$body" == *v2* ]] && ok=$((ok + 1))
	done
	expect_eq "$ok" "$n" "requests of $n answered by v2 after the stopped v0 (whose index v2 got) was deleted"
}

# steered_count ID: connections_steered of version ID in service api's
# status (JSON); empty when status shows none for it
steered_count() {
	zr service --format json status api | python3 -c '
import json, sys
for v in json.load(sys.stdin)["versions"]:
    if v["id"] == sys.argv[1]:
        print(v.get("connections_steered", ""))' "$1"
}

# The count is per index of the group's socket array, and a version that
# goes leaves its index to the next one made: that one showed the
# connections of the one before it (a replica added by scale after a
# promote showed the old version's count at once).
@test "a_version_given_a_reused_socket_index_counts_only_its_own_connections" {
	local b i
	first_version "$TEST_ID-v0"
	for i in $(seq 10); do curl -sf -o /dev/null "$URL/"; done
	b=$(mkver v1)
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	zr swap "$TEST_ID-v0" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	# v2, only created: it gets v0's index, and no connection yet
	b=$(mkver v2)
	vcreate "$TEST_ID-v2" "$b" --probe-period 50ms
	local seen
	seen=$(steered_count "$TEST_ID-v2")
	[ "$seen" = 0 ] || { echo "expected 0 connections steered to the created v2, seen '$seen' (v0 had 10)"; zr service status api; return 1; }
}

# A steered service's sockets have SO_REUSEPORT, so a second service (or
# any program with it) whose first create bound the same port joined the
# first one's group: create succeeded, and the two supervisors put their
# own steering program back over the other's every second. The port must
# be free for a new service, as it is for a plain listener.
@test "a_new_service_on_the_port_of_a_steered_one_is_refused_and_leaves_nothing" {
	local b ok=0 i body
	first_version "$TEST_ID-v0"
	b=$(mkver other)
	echo "other-1" >> "$WORK/ids"
	# to a file: a created container would hold `run`'s output open
	local rc=0
	zr create --service other --listen "tcp://127.0.0.1:$PORT" other-1 "$b" > "$WORK/other.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || { echo "expected a create of service other on port $PORT to fail"; zr service list; return 1; }
	local want="zrun: create other-1: service other: listener tcp://127.0.0.1:$PORT: another program or service listens there: Address already in use"
	expect_eq "$(cat "$WORK/other.out")" "$want" "the error of a second service on the port"
	[ ! -e "$ROOT/.services/other" ] || { echo "service other left: $(ls "$ROOT/.services/other")"; return 1; }
	expect_eq "$(zr list -q | grep -c other)" 0 "containers of service other"
	for i in $(seq 20); do
		body=$(curl -s --max-time 1 "$URL/" || true)
		[[ "$body" == *"$TEST_ID-v0"* ]] && ok=$((ok + 1))
	done
	expect_eq "$ok" 20 "requests of 20 answered by api's v0"
}

# A serving version killed: its socket is gone and its slots name nothing
# until the supervisor's restart takes them over. New connections wait in
# the service's own socket meanwhile (as in the shared socket) and go to the
# restarted version; they were refused (curl exit 7). With two replicas the
# held ones must wait for the restart too: given back while a slot still
# named the killed replica, they came back to the service's socket while it
# was out of the group, and were reset. The request the killed process was
# serving fails whatever the mode (curl 52 or 56): one per kill is allowed;
# none refused (7) or timed out (28).
kill_current_under_load() {  # REPLICAS
	local pid again rc k
	SVC=api
	deploy_version v1 -- --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --restart always --replicas "$1"
	zr list -q >> "$WORK/ids"
	wait_serving "$URL/" v1
	: > "$WORK/failures"
	local loader
	for k in 1 2 3; do
		pid=$(pid_of "$SVC-1")
		( end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do
			curl -sf -o /dev/null --max-time 5 "$URL/" || { rc=$?; echo "kill $k: curl exit $rc" >> "$WORK/failures"; }
			sleep 0.01
		done ) &
		loader=$!
		sleep 0.3
		kill -9 "$pid"
		wait_until 10 eval '[ -n "$(pid_of "$SVC-1")" ] && [ "$(pid_of "$SVC-1")" != "$pid" ]'
		# the load ends 4 s after it began, its last curl 5 s later at
		# most: a loader still there after 15 s is a failure, not a hang
		wait_until 15 eval '! kill -0 "$loader" 2>/dev/null' ||
			{ kill "$loader" 2>/dev/null; echo "kill $k: the load did not end within 15 s" >> "$WORK/failures"; }
		wait "$loader" 2>/dev/null || true
		again=$(pid_of "$SVC-1")
	done
	wait_serving "$URL/" v1
	local seen
	seen="$(sort "$WORK/failures" | uniq -c | tr '\n' ' ')"
	expect_eq "$(grep -c 'exit \(7\|28\)$\|did not end' "$WORK/failures")" 0 "requests refused or timed out around 3 kill -9 of $SVC-1 of $1 replica(s) (restarted as $again): $seen"
	expect_eq "$(cut -d: -f1 "$WORK/failures" | sort | uniq -c | awk '$1 > 1' | wc -l)" 0 "kills with more than the one request in flight failed: $seen"
}

@test "connections_to_a_killed_version_wait_for_its_restart_none_refused" {
	kill_current_under_load 1
}

@test "connections_to_a_killed_replica_wait_for_its_restart_none_reset" {
	kill_current_under_load 2
}

# A request in a killed version's accept queue (the version stopped, so it
# accepts nothing) is not lost with it: migrated to the service's socket
# (steered) or left in the shared socket, it is answered after the
# restart. What deploy_property and kill_current_under_load allow to fail
# at a kill -9 is only a request the process had already accepted.
queued_request_survives_a_kill() {
	local pid rc body
	SVC=api
	deploy_version v1 -- --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --restart always
	zr list -q >> "$WORK/ids"
	wait_serving "$URL/" v1
	pid=$(pid_of "$SVC-1")
	kill -STOP "$pid"
	curl -s --max-time 10 "$URL/" > "$WORK/queued.out" 2>&1 &
	local client=$!
	sleep 0.5   # the handshake is the kernel's: the request waits queued
	kill -9 "$pid"
	rc=0
	wait "$client" || rc=$?
	body=$(cat "$WORK/queued.out")
	expect_eq "$rc" 0 "curl's exit status for the request queued at the killed version (answer: '$body')"
	[[ "$body" == *v1* ]] || { echo "expected the restarted v1 to answer, saw '$body'" >&2; return 1; }
	[ "$(pid_of "$SVC-1")" != "$pid" ] || { echo "$SVC-1 was not restarted" >&2; return 1; }
}

@test "a_request_queued_at_a_killed_version_is_answered_after_its_restart_steered" {
	queued_request_survives_a_kill
	expect_eq "$(zr service --format json status api | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])')" steered "connections"
}

@test "a_request_queued_at_a_killed_version_is_answered_after_its_restart_shared" {
	export ZRUN_STEER=off
	queued_request_survives_a_kill
	expect_eq "$(zr service --format json status api | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])')" shared "connections"
}
