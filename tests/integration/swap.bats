#!/usr/bin/env bats
# zrun swap under real load (wrk on loopback): no failed request across
# many swaps, every abort path leaves OLD untouched, OLD drains gracefully,
# and a swap or supervisor killed at any step leaves the service serving.
# Ports 18600-18649 (18600 + test number).

PORT_BASE=18600
load service_helpers

setup() { svc_setup; }
teardown() { svc_teardown; }

# swaps N: N consecutive swaps from $TEST_ID-v0, printing the durations.
swaps() {
	local n=$1 i prev=$TEST_ID-v0 id b t durations=()
	for i in $(seq "$n"); do
		id=$TEST_ID-v$i
		b=$(mkver "v$i")
		vcreate "$id" "$b" --probe-period 50ms
		zr swap "$prev" "$id" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
		t=$(sed -n 's/.*done in \([0-9.]*\) s.*/\1/p' "$WORK/swap.out")
		durations+=("$t")
		assert_version_gone "$prev"
		prev=$id
	done
	printf '%s\n' "${durations[@]}" | sort -n | awk '{a[NR]=$1; s+=$1} END {
		printf "# %d swaps: min %.3f s, median %.3f s, max %.3f s, mean %.3f s\n", NR, a[1], a[int((NR+1)/2)], a[NR], s/NR }' >&3
	wait_serving "$URL/" "v$n"
}

@test "swap_20_times_under_keepalive_load_fails_no_request" {
	first_version "$TEST_ID-v0"
	wrk_start
	swaps 20
	sleep 0.3
	wrk_stop
}

@test "swap_20_times_under_connection_close_load_fails_no_request" {
	first_version "$TEST_ID-v0"
	wrk_start -H 'Connection: close'
	swaps 20
	sleep 0.3
	wrk_stop
}

# abort_case NEW-FLAGS -- CREATE-FLAGS -- SWAP-FLAGS: a swap that must abort
# with OLD untouched and NEW gone; prints the reason line.
abort_case() {
	local old=$TEST_ID-old new=$TEST_ID-new pid b
	first_version "$old"
	pid=$(init_pid "$old")
	local nflags=() cflags=() sflags=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do nflags+=("$1"); shift; done
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cflags+=("$1"); shift; done
	shift
	sflags=("$@")
	b=$(mkver new "${nflags[@]}")
	vcreate "$new" "$b" "${cflags[@]}"
	run zr swap "${sflags[@]}" "$old" "$new"
	echo "$output"
	assert_one_line_error "aborted"
	echo "# $(printf '%s\n' "$output" | grep '^zrun: ')" >&3
	assert_untouched "$old" "$pid"
	assert_version_gone "$new"
	# OLD never received its stop signal: it served, it was never draining.
	! grep -q "^httpd $old: .*draining" "$WORK/containers.log"
}

@test "swap_aborts_when_new_never_ready" {
	abort_case --start-delay-ms 60000 -- --probe-period 100ms --probe-failure-threshold 3 --
	[[ "$output" == *"probe failed "*"failure threshold 3 x period 100 ms"* ]]
}

@test "swap_aborts_when_new_exits_early" {
	abort_case --start-delay-ms 60000 --exit-after-ms 300 -- --probe-period 100ms --probe-failure-threshold 50 --
	[[ "$output" == *"exited"* ]]
}

@test "swap_aborts_when_new_answers_503_while_old_answers_200" {
	abort_case --fail-health -- --probe http:/healthz --probe-period 100ms --probe-failure-threshold 5 --
	[[ "$output" == *"503"* ]] || [[ "$output" == *"no probe connection reached"* ]]
}

@test "swap_aborts_when_new_is_not_ready_before_the_timeout" {
	abort_case --start-delay-ms 5000 -- --probe-period 100ms --probe-failure-threshold 1000 -- --timeout 1s
	[[ "$output" == *"timeout"* ]]
}

@test "swap_lets_an_in_flight_request_to_old_complete" {
	local old=$TEST_ID-old new=$TEST_ID-new b
	first_version "$old"
	# The slow request goes to OLD: NEW does not exist yet.
	curl -s -D "$WORK/slow.head" -o "$WORK/slow.body" -w '%{http_code}' --max-time 10 "$URL/sleep?ms=2000" > "$WORK/slow.code" &
	local curl_pid=$!
	wait_until 5 in_flight "$PORT"
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	run zr swap "$old" "$new"
	echo "$output"
	[ "$status" -eq 0 ]
	wait "$curl_pid"
	expect_eq "$(cat "$WORK/slow.code")" 200 "in-flight /sleep?ms=2000 during the swap"
	grep -qi "^X-Version: $old" "$WORK/slow.head" || { echo "the slow request was not served by OLD: $(cat "$WORK/slow.head")" >&2; false; }
	[[ "$output" == *"drained in"* ]]
	assert_version_gone "$old"
}

@test "swap_sigkills_an_old_that_ignores_sigterm_after_the_grace_period" {
	local old=$TEST_ID-old new=$TEST_ID-new b
	b=$(mkver old --ignore-sigterm)
	vcreate "$old" "$b" --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --grace-period 1s
	zr start "$old"
	wait_serving "$URL/" old
	local pid cgdirs
	pid=$(init_pid "$old")
	cgdirs=$(ls -d /sys/fs/cgroup/*"$(default_cgroup "$old")" 2>/dev/null)
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	local t0=$(date +%s%N)
	run zr swap --keep-old "$old" "$new"
	local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "$output"
	echo "# swap with an OLD ignoring SIGTERM took $ms ms (grace period 1 s)" >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"SIGKILL"* ]]
	[ "$ms" -ge 1000 ] && [ "$ms" -lt 10000 ]
	! alive "$pid"
	local d
	for d in $cgdirs; do
		[ ! -s "$d/cgroup.procs" ] || { echo "$d still has processes: $(cat "$d/cgroup.procs")" >&2; false; }
	done
	wait_serving "$URL/" new
	expect_eq "$(status_of "$old")" stopped "status of the kept OLD"
}

# kill_swap_at STATE: under load, a swap killed after writing STATE; then
# `service status` says so (and changes nothing), `service repair`
# repairs; then a following swap works.
kill_swap_at() {
	local state=$1 old=$TEST_ID-old new=$TEST_ID-new next=$TEST_ID-next b
	first_version "$old"
	wrk_start
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	run env ZRUN_TEST_FAULT="swap-$state" "$ZRUN_HOOKS" --root "$ROOT" swap "$old" "$new"
	echo "$output"
	[ "$status" -eq 137 ] || { echo "expected the swap to die of SIGKILL (137), saw $status" >&2; false; }
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/")" 200 "answer right after the killed swap"
	run zr service status api
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"swap interrupted at $state; run \`zrun service repair api\`"* ]] ||
		{ echo "status does not say the swap was interrupted at $state" >&2; false; }
	run zr service repair api
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stopped while $state"* ]]
	if [ "$state" = draining ]; then
		assert_version_gone "$old"
		expect_eq "$(status_of "$new")" running "status of NEW"
		wait_serving "$URL/" new
		old=$new
	else
		assert_version_gone "$new"
		expect_eq "$(status_of "$old")" running "status of OLD"
		wait_serving "$URL/" old
	fi
	[[ "$(zr service status api)" == *"last swap"* ]]
	b=$(mkver next)
	vcreate "$next" "$b" --probe-period 50ms
	zr swap "$old" "$next"
	wait_serving "$URL/" next
	wrk_stop
}

@test "swap_killed_while_created_is_undone_without_a_failed_request" { kill_swap_at created; }
@test "swap_killed_while_starting_is_undone_without_a_failed_request" { kill_swap_at starting; }
@test "swap_killed_while_probing_is_undone_without_a_failed_request" { kill_swap_at probing; }
@test "swap_killed_while_ready_is_undone_without_a_failed_request" { kill_swap_at ready; }
@test "swap_killed_while_draining_is_finished_without_a_failed_request" { kill_swap_at draining; }

@test "supervisor_killed_running_version_serves_and_next_swap_recovers_listeners" {
	# First the supervisor's fdstore is killed (the supervisor serves on and
	# becomes the supervisor of record), then that supervisor: the next command
	# recovers the listeners from a running version.
	local old=$TEST_ID-old new=$TEST_ID-new b k k2
	first_version "$old"
	k=$(svc_supervisors)
	[ -n "$k" ] && alive "$k"
	zr service status api | grep -q "supervisor pid $k (running)"
	wrk_start
	kill -9 "$k"
	sleep 0.3
	alive "$k" && { echo "supervisor $k survived kill -9" >&2; false; }
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/")" 200 "answer with the supervisor gone"
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	zr swap "$old" "$new"
	wait_serving "$URL/" new
	wrk_stop
	k2=$(svc_supervisors)
	[ -n "$k2" ] && [ "$k2" != "$k" ] && alive "$k2"
	expect_eq "$(cat "/proc/$k2/comm")" zrun-supervisor "the new supervisor's name"
	zr service status api | grep -q "supervisor pid $k2 (running)"
	# kill it again: `service status` says so, `service repair` alone
	# recovers the listeners too
	kill -9 "$k2"
	sleep 0.2
	run zr service status api
	echo "$output"
	[[ "$output" == *"supervisor pid $k2 (gone)"* ]] && [[ "$output" == *"run \`zrun service repair api\`"* ]]
	run zr service repair api
	echo "$output"
	[[ "$output" == *"supervisor $k2 was gone: listeners recovered"* ]]
	local k3=$(svc_supervisors)
	[ "$k3" != "$k2" ] && alive "$k3"
	wait_serving "$URL/" new
}

@test "a_supervisor_that_stops_answering_is_replaced_with_its_fdstore" {
	# The supervisor hangs (SIGSTOP) while its fdstore lives: the next swap
	# gets no answer, recovers the listeners from the running version and
	# kills the old pair by their process group. Breaks if supervisor_fetch()
	# kills only the recorded pid: the stopped supervisor would stay forever.
	local old=$TEST_ID-old new=$TEST_ID-new b g k g2
	first_version "$old"
	g=$(svc_supervisors)
	k=$(pgrep -x -P "$g" zrun-supervisor)
	[ -n "$k" ] || { echo "no supervisor under the fdstore $g" >&2; return 1; }
	kill -STOP "$k"
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	zr swap "$old" "$new"
	wait_serving "$URL/" new
	wait_until 5 eval '! alive "$g"' || { echo "the old fdstore $g is still there" >&2; return 1; }
	wait_until 5 eval '! alive "$k"' || { echo "the stopped supervisor $k is still there" >&2; return 1; }
	g2=$(svc_supervisors)
	[ -n "$g2" ] && [ "$g2" != "$g" ] && alive "$g2" || { echo "no new supervisor (old $g, now '$g2')" >&2; return 1; }
}

@test "swap_format_json_prints_one_json_object_per_line" {
	local old=$TEST_ID-old new=$TEST_ID-new b
	first_version "$old"
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	zr swap --format json "$old" "$new" > "$WORK/swap.json"
	cat "$WORK/swap.json"
	[ "$(wc -l < "$WORK/swap.json")" -ge 3 ]
	while IFS= read -r line; do
		printf '%s' "$line" | python3 -m json.tool > /dev/null || { echo "not JSON: $line" >&2; false; }
	done < "$WORK/swap.json"
	grep -q '"step":"ready"' "$WORK/swap.json"
	grep -q '"step":"done"' "$WORK/swap.json"
	# an aborted swap too
	b=$(mkver bad --start-delay-ms 60000)
	vcreate "$TEST_ID-bad" "$b" --probe-period 50ms --probe-failure-threshold 2
	run zr swap --format json "$new" "$TEST_ID-bad"
	[ "$status" -ne 0 ]
	printf '%s\n' "$output" | grep -v '^zrun: ' | while IFS= read -r line; do
		printf '%s' "$line" | python3 -m json.tool > /dev/null || { echo "not JSON: $line" >&2; exit 1; }
	done
}

# A program with no handler for its stop signal, as pid 1 of the container
# (here a shell that runs the server, as many entrypoints do; python or
# node as init): the kernel drops the signal, and the swap waited out the
# grace period with nothing said. The demo httpd as init blocks SIGTERM
# and reads it from a signalfd: it gets it, and nothing is said; told to
# ignore it (SIG_IGN), that is said.
@test "a_swap_says_when_old_s_init_drops_its_stop_signal" {
	local old=$TEST_ID-v0 dir=$WORK/b-shell b
	mkdir -p "$dir"
	ln -sfn "$WORK/rootfs" "$dir/rootfs"
	# LISTEN_PID names pid 1, the shell: the server, its child, sets its
	# own (as systemd's sd_listen_fds wants) before it execs
	ARGS='["sh","-c","sh -c \"LISTEN_PID=\\$\\$ exec /httpd --version-name v0\"; echo httpd ended"]' write_config "$dir"
	sed -i '/"cgroupsPath"/d' "$dir/config.json"
	vcreate "$old" "$dir" --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --grace-period 1s
	zr start "$old"
	wait_serving "$URL/" v0
	b=$(mkver v1)
	vcreate "$TEST_ID-v1" "$b" --probe-period 50ms
	zr swap "$old" "$TEST_ID-v1" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
	local want="$old: its init (pid 1 of the container) has no handler for signal 15, so the kernel drops it"
	grep -qF "$want" "$WORK/swap.out" || { echo "expected a line: $want"; echo "seen:"; cat "$WORK/swap.out"; return 1; }
	grep -q "$old: still running after 1.0 s: SIGKILL" "$WORK/swap.out" || { echo "expected the SIGKILL after the grace period, seen:"; cat "$WORK/swap.out"; return 1; }
	b=$(mkver v2 --ignore-sigterm)
	vcreate "$TEST_ID-v2" "$b" --probe-period 50ms
	zr swap "$TEST_ID-v1" "$TEST_ID-v2" > "$WORK/swap2.out" 2>&1 || { cat "$WORK/swap2.out" >&2; return 1; }
	! grep -q "signal-dropped\|its init" "$WORK/swap2.out" || { echo "httpd reads SIGTERM from a signalfd, expected no such line, seen:"; cat "$WORK/swap2.out"; return 1; }
	# SIG_IGN: dropped whatever the pid (v2 is httpd --ignore-sigterm)
	b=$(mkver v3)
	vcreate "$TEST_ID-v3" "$b" --probe-period 50ms
	zr swap --grace-period 1s "$TEST_ID-v2" "$TEST_ID-v3" > "$WORK/swap3.out" 2>&1 || { cat "$WORK/swap3.out" >&2; return 1; }
	want="$TEST_ID-v2: its init ignores signal 15 (SIG_IGN): it runs until SIGKILL"
	grep -qF "$want" "$WORK/swap3.out" || { echo "expected a line: $want"; echo "seen:"; cat "$WORK/swap3.out"; return 1; }
	wait_serving "$URL/" v3
}
