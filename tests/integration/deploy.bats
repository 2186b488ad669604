#!/usr/bin/env bats
# zrun deploy / rollback / scale / logs / restart policy / save+restore:
# what pm2 users rely on, driven through the real binary under real load.
# Ports 18700-18799 (18700 + test number).

PORT_BASE=18700
load service_helpers
bats_require_minimum_version 1.5.0

setup() { svc_setup; SVC=d$BATS_TEST_NUMBER; }
teardown() { svc_teardown; }

# deploy NAME [httpd flags] -- [deploy flags]: deploy a bundle of httpd
# answering NAME, probed every 50 ms (service_helpers.bash).
deploy() {
	DEPLOY_DEFAULTS="--listen tcp://127.0.0.1:$PORT --probe-period 50ms --probe-failure-threshold 100" deploy_version "$@"
}

# pids_seen N: the distinct X-Pid of N fresh connections, 4 at a time
# (idle processes sharing one listener are woken together and race for
# accept; with one client at a time one of them tends to win every race)
pids_seen() {
	seq "$1" | xargs -P 4 -I{} curl -s -D - -o /dev/null --max-time 2 "$URL/" | tr -d '\r' | sed -n 's/^X-Pid: //p' | sort | uniq -c
}

svc_json() { zr service --format json status "$SVC"; }

@test "deploy_from_nothing_starts_and_waits_ready" {
	deploy v1
	grep -q "$SVC-1 started: 1 replica ready" "$WORK/deploy.out"
	expect_eq "$(curl -s --max-time 2 "$URL/")" v1 "answer"
	expect_eq "$(status_of "$SVC-1")" running "status"
}

@test "deploy_over_running_service_under_load_fails_no_request" {
	deploy v1
	wrk_start
	deploy v2
	deploy v3
	sleep 0.3
	wrk_stop
	wait_serving "$URL/" v3
	assert_version_gone "$SVC-1"
	assert_version_gone "$SVC-2"
}

@test "rollback_swaps_back_to_the_kept_version" {
	run zr rollback "$SVC"
	assert_one_line_error "does not exist"
	deploy v1
	deploy v2 -- --keep-old
	wait_serving "$URL/" v2
	zr rollback "$SVC"
	wait_serving "$URL/" v1
	svc_json | grep -q "\"current\":\"$SVC-1\""
	# and forward again: the rollback kept v2
	zr rollback "$SVC"
	wait_serving "$URL/" v2
	run zr rollback nosuch
	assert_one_line_error "nosuch"
}

@test "replicas_2_share_the_load" {
	# the host's pid namespace, so that X-Pid tells the replicas apart
	NAMESPACES='[{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]' deploy v1 -- --replicas 2
	expect_eq "$(status_of "$SVC-1.r1")" running "replica 1"
	local pids
	pids=$(pids_seen 200)
	echo "# requests per X-Pid over 200 fresh connections: $(echo $pids)" >&3
	[ "$(echo "$pids" | wc -l)" -ge 2 ] || { echo "expected 2 pids to answer, saw: $pids" >&2; return 1; }
}

@test "swap_of_2_replicas_under_load_fails_no_request" {
	deploy v1 -- --replicas 2
	wrk_start -H 'Connection: close'
	deploy v2 -- --replicas 2
	deploy v3 -- --replicas 2
	sleep 0.3
	wrk_stop
	wait_serving "$URL/" v3
	assert_version_gone "$SVC-1"
	assert_version_gone "$SVC-1.r1"
	assert_version_gone "$SVC-2.r1"
	zr scale "$SVC" 3
	expect_eq "$(status_of "$SVC-3.r2")" running "scaled up"
	zr scale "$SVC" 1
	assert_version_gone "$SVC-3.r2"
	assert_version_gone "$SVC-3.r1"
	wait_serving "$URL/" v3
}

@test "crashing_version_is_restarted_with_backoff_and_a_crash_loop_stops_at_max" {
	deploy v1 --crash-after 2 -- --restart on-failure:3
	local pid0 i
	pid0=$(pid_of "$SVC-1")
	# crash it 4 times: 3 restarts, then the loop stops
	for i in 1 2 3 4; do
		for _ in $(seq 100); do
			curl -s -o /dev/null --max-time 1 "$URL/" || true
			zr service status "$SVC" | grep -q "crash loop" && break
			sleep 0.05
		done
	done
	local rc=0
	zr service status "$SVC" > "$WORK/status" || rc=$?
	cat "$WORK/status"
	expect_eq "$rc" 3 "exit code of service status with its only version in a crash loop"
	grep -q "$SVC-1 *crashed (exit 2)" "$WORK/status"
	grep -q "crash loop: stopped after 3 restarts" "$WORK/status"
	grep -q "restarts 3" "$WORK/status"
	grep -q "last exit 2" "$WORK/status"
	svc_json | grep -q '"restarts":3'
	zr logs "$SVC" | grep -q "crashing after 2 requests"
		[ "$(pid_of "$SVC-1")" != "$pid0" ]
}

@test "logs_stay_under_their_cap_and_follow_across_a_swap" {
	# a chatty version: ~6 MiB on stderr, then it serves
	local b
	b=$(mkver v1)
	sed -i 's|"args": *\[[^]]*\]|"args": ["/bin/sh", "-c", "i=0; while [ $i -lt 60000 ]; do echo chatty line $i with some padding to make it about a hundred bytes long xxxxxxxxxxxxxxxx; i=$((i+1)); done; exec /httpd --version-name v1"]|' "$b/config.json"
	grep -q chatty "$b/config.json"
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 1000 --timeout 60s "$SVC" "$b" > "$WORK/deploy.out" 2>&1 || { cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
	# the supervisor may still be writing what the version printed
	wait_until 10 eval 'zr logs --tail 3 "$SVC" | grep -q " $SVC-1 | chatty line 59999"'
	local f size total=0
	for f in "$ROOT"/.logs/"$SVC"/*; do
		size=$(stat -c %s "$f")
		total=$((total + size))
		[ "$size" -le 1048576 ] || { echo "$f is $size bytes, over the 1 MiB cap" >&2; return 1; }
	done
	echo "# logs after ~6 MiB of output: $(ls "$ROOT/.logs/$SVC" | wc -l) files, $total bytes" >&3
	zr logs --tail 3 "$SVC" | grep -q " $SVC-1 | chatty line 59999"
	timeout 60 "$ZRUN" --root "$ROOT" logs -f "$SVC" > "$WORK/follow.out" 2>&1 &
	local fpid=$!
	wait_until 10 test -s "$WORK/follow.out"
	deploy v2
	wait_until 10 grep -q " $SVC-2 | " "$WORK/follow.out" || true
	kill -INT $fpid 2>/dev/null || true
	wait $fpid || true
	grep -q " $SVC-1 | httpd v1: .*" "$WORK/follow.out" || { cat "$WORK/follow.out" >&2; return 1; }
	grep -q " $SVC-2 | " "$WORK/follow.out" || { echo "no line of $SVC-2 followed" >&2; cat "$WORK/follow.out" >&2; return 1; }
}

@test "save_and_restore_bring_a_service_back_after_all_its_processes_died" {
	deploy v1 -- --replicas 2
	zr service save > "$WORK/save.out"
	grep -q "saved 1 service" "$WORK/save.out"
	local k id cg
	k=$(svc_supervisors)
	# the supervisor and its fdstore both
	kill -9 $k $(pgrep -P "$k")
	for id in "$SVC-1" "$SVC-1.r1"; do
		for cg in /sys/fs/cgroup/*"$(default_cgroup "$id")"; do
			[ -f "$cg/cgroup.procs" ] && xargs -r kill -9 < "$cg/cgroup.procs" 2>/dev/null || true
		done
	done
	wait_until 5 eval '! curl -s --max-time 1 "$URL/" >/dev/null' || { echo "still answering after kill -9" >&2; return 1; }
	zr service restore > "$WORK/restore.out"
	cat "$WORK/restore.out"
	grep -q "restored $SVC-1 (2 replicas)" "$WORK/restore.out"
	wait_serving "$URL/" v1
	expect_eq "$(status_of "$SVC-1.r1")" running "replica 1 after restore"
}

@test "bad_input_unknown_service_replicas_and_restart_typo_leave_nothing" {
	local b
	b=$(mkver v1)
	run zr scale nosuch 2
	assert_one_line_error "nosuch"
	run zr deploy --replicas 0 --listen "tcp://127.0.0.1:$PORT" "$SVC" "$b"
	assert_one_line_error "--replicas"
	run zr deploy --replicas -1 --listen "tcp://127.0.0.1:$PORT" "$SVC" "$b"
	assert_one_line_error "--replicas"
	run zr deploy --restart on-falure --listen "tcp://127.0.0.1:$PORT" "$SVC" "$b"
	assert_one_line_error "on-falure"
	run zr logs nosuch
	assert_one_line_error "nosuch"
	[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ]
	[ -z "$(zr list -q 2>/dev/null)" ]
	deploy v1
	run zr scale "$SVC" 0
	assert_one_line_error "from 1"
}

@test "supervisor_killed_while_a_version_logs_the_version_lives_and_its_log_goes_on" {
	# A version whose shell logs a line every 20 ms beside httpd: with no
	# process left holding the read end of its log pipe, the next echo
	# dies of SIGPIPE (as a Go or Python program writing to stdout would).
	# The supervisor's fdstore holds a copy and forks a new supervisor with it.
	local b pid k k2 before after
	b=$(mkver v1)
	sed -i 's|"args": *\[[^]]*\]|"args": ["/bin/sh", "-c", "(while :; do echo tick; sleep 0.02; done) \& exec /httpd --version-name v1"]|' "$b/config.json"
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 40 "$SVC" "$b" > "$WORK/deploy.out" 2>&1 ||
		{ cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
	wait_serving "$URL/" v1
	pid=$(pid_of "$SVC-1")
	k=$(pgrep -x -P "$(svc_supervisors)" zrun-supervisor)
	[ -n "$k" ] || { echo "no supervisor under the fdstore $(svc_supervisors)" >&2; return 1; }
	kill -9 "$k"
	sleep 1
	alive "$pid" || { echo "the version's init $pid died with its supervisor" >&2; return 1; }
	expect_eq "$(curl -s --max-time 2 "$URL/")" v1 "answer after the supervisor was killed"
	k2=$(pgrep -x -P "$(svc_supervisors)" zrun-supervisor)
	[ -n "$k2" ] && [ "$k2" != "$k" ] || { echo "no new supervisor (old $k, now '$k2')" >&2; return 1; }
	before=$(zr logs "$SVC" | grep -c tick)
	sleep 0.5
	after=$(zr logs "$SVC" | grep -c tick)
	[ "$after" -gt "$before" ] || { echo "the log stopped: $before then $after tick lines" >&2; return 1; }
	echo "# ticks logged: $before, 0.5 s later $after" >&3
}

# A probe's failure reason comes back in the JSON lines of deploy --format
# json escaped: here the exec probe's command, holding a quote, a backslash
# and a control character, fails; every line must parse (strict JSON) and
# the aborted line's message must hold the command exactly. --replicas 2
# takes the group swap, whose lines were once printf'd unescaped.
@test "deploy_format_json_escapes_a_probe_reason_with_a_quote_a_backslash_and_a_control_character" {
	# a name of its own: cgroups are /zrun/<id> for every root, and a run
	# with -f numbers this test 1, as d1 of a whole-file run elsewhere
	SVC=jsonesc$BATS_TEST_NUMBER
	deploy v1 -- --replicas 2
	local b cmd
	b=$(mkver v2)
	cmd=$'exit 3 #"q\\b\x01'
	echo "$SVC-2" >> "$WORK/ids"
	echo "$SVC-2.r1" >> "$WORK/ids"
	run --separate-stderr zr deploy --format json --replicas 2 --probe "exec:$cmd" --probe-period 50ms \
		--probe-failure-threshold 2 "$SVC" "$b"
	[ "$status" -ne 0 ] || { echo "expected the deploy to fail its probe, saw exit 0: $output" >&2; return 1; }
	printf '%s\n' "$output" | "$BATS_TEST_DIRNAME/../lib/json_lines.py" aborted "$cmd"
	wait_serving "$URL/" v1
	assert_version_gone "$SVC-2"
	assert_version_gone "$SVC-2.r1"
}

# The text lines quote a probe's command too: its control characters come
# out as \xHH (as in error lines), never as raw bytes on a terminal.
@test "deploy_text_lines_escape_the_control_characters_of_a_probe_reason" {
	SVC=jsontxt$BATS_TEST_NUMBER  # cgroups are /zrun/<id> for every root: a name of its own
	deploy v1
	local b cmd
	b=$(mkver v2)
	cmd=$'exit 3 #\x1b[2J\x01'
	echo "$SVC-2" >> "$WORK/ids"
	run --separate-stderr zr deploy --probe "exec:$cmd" --probe-period 50ms --probe-failure-threshold 2 "$SVC" "$b"
	[ "$status" -ne 0 ] || { echo "expected the deploy to fail its probe, saw exit 0: $output" >&2; return 1; }
	[[ "$output" == *'exit 3 #\x1b[2J\x01: exit 3'* ]] ||
		{ echo "expected the command with \\x1b and \\x01 escaped, saw: $(printf '%s' "$output" | od -c | head -20)" >&2; return 1; }
	[ "$(printf '%s' "$output" | tr -d '\n' | tr -d '\040-\176' | wc -c)" -eq 0 ] ||
		{ echo "expected no control character in the output, saw: $(printf '%s' "$output" | od -c | head -20)" >&2; return 1; }
	wait_serving "$URL/" v1
	assert_version_gone "$SVC-2"
}

@test "deploy_over_40_replicas_each_logging_over_64_KiB_keeps_every_replica_logging" {
	# 40 replicas replaced by 40 more: 80 log pipes at once, past the
	# supervisor's old 64-entry table. A dropped pipe was still answered "taken"
	# and the replica blocked on stdout after 64 KiB (here: before it ever
	# listens, so it never became ready). Now every pipe is drained, or a
	# create past the table (capacity.h) fails with an error.
	local n=40 b1 b2 id i seen=0 missing=
	b1=$(mkver v1)
	b2=$(mkver v2)
	sed -i 's|"args": *\[[^]]*\]|"args": ["/bin/sh", "-c", "i=0; while [ $i -lt 800 ]; do echo loud line $i padded to about a hundred bytes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo loud done; exec /httpd --version-name v2"]|' "$b2/config.json"
	grep -q "loud done" "$b2/config.json"
	local t0=$SECONDS
	zr deploy --replicas $n --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 1000 --timeout 90s "$SVC" "$b1" > "$WORK/deploy.out" 2>&1 ||
		{ zr list -q >> "$WORK/ids"; cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
	local t1=$SECONDS
	zr deploy --replicas $n --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --probe-failure-threshold 1000 --timeout 60s "$SVC" "$b2" > "$WORK/deploy.out" 2>&1 ||
		{ zr list -q >> "$WORK/ids"; echo "second deploy of $n replicas failed:" >&2; cat "$WORK/deploy.out" >&2; return 1; }
	zr list -q >> "$WORK/ids"
	echo "# deploy of $n replicas: $((t1 - t0)) s; deploy over them: $((SECONDS - t1)) s" >&3
	wait_serving "$URL/" v2
	zr logs "$SVC" > "$WORK/logs.out"
	for ((i = 0; i < n; i++)); do
		id=$SVC-2
		[ $i -eq 0 ] || id=$SVC-2.r$i
		expect_eq "$(status_of "$id")" running "status of $id" || return 1
		if grep -q " $id | loud done" "$WORK/logs.out"; then
			seen=$((seen + 1))
		else
			missing+=" $id"
		fi
	done
	[ -z "$missing" ] || { echo "expected the last line of all $n replicas in zrun logs, saw $seen; missing:$missing" >&2; return 1; }
}

# A program that ignores fd 3 and binds the service's port itself (python3
# -m http.server, app.listen(8080); here busybox httpd): the port is the
# service's, its bind fails with EADDRINUSE and it exits. The deploy said
# only "exited during probing", the cause was in `zrun logs`: it says the
# exit status, the last line the version wrote and what to do; nothing is
# left. With --intercept the same program serves.
@test "deploy_of_a_program_that_binds_the_port_itself_says_its_exit_last_line_and_intercept" {
	local dir=$WORK/b-own
	mkdir -p "$dir"
	ln -sfn "$WORK/rootfs" "$dir/rootfs"
	ARGS="[\"httpd\",\"-f\",\"-p\",\"127.0.0.1:$PORT\"]" write_config "$dir"
	sed -i '/"cgroupsPath"/d' "$dir/config.json"
	run zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms api "$dir"
	[ "$status" -ne 0 ] || { echo "expected the deploy to fail, it passed: $output"; return 1; }
	local want="exited during probing (exit 1); its last line: httpd: bind: Address already in use (all of it: \`zrun logs api-1\`); a program that binds the service's port itself needs --intercept"
	[[ "$output" == *"$want"* ]] || { echo "expected: ... $want"; echo "seen: $output"; return 1; }
	expect_eq "$(zr list -q | wc -l)" 0 "containers left after the failed deploy"
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms --intercept api "$dir" > "$WORK/deploy.out" 2>&1 ||
		{ cat "$WORK/deploy.out"; return 1; }
	zr list -q >> "$WORK/ids"
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/")
	[[ "$code" == [2-4]?? ]] || { echo "expected an HTTP answer from busybox httpd with --intercept, seen '$code'"; return 1; }
}

# A deploy that times out said only "not ready before the 1.0 s timeout";
# it says what its last probe saw too, as the waiting lines on a terminal do.
@test "deploy_that_times_out_says_what_its_last_probe_saw" {
	SVC=api
	run deploy_version v1 --start-delay-ms 60000 -- --listen "tcp://127.0.0.1:$PORT" --timeout 1s
	[ "$status" -ne 0 ] || { echo "expected the deploy to fail, it passed:"; cat "$WORK/deploy.out"; return 1; }
	local want="not ready before the 1.0 s timeout ("
	grep -qF "$want" "$WORK/deploy.out" && grep -q "probes\?, last: not accepting" "$WORK/deploy.out" ||
		{ echo "expected: ... $want N probes, last: not accepting ...)"; echo "seen:"; cat "$WORK/deploy.out"; return 1; }
	expect_eq "$(zr list -q | wc -l)" 0 "containers left after the failed deploy"
}

# scale prints deploy's lines, and scripts read deploy's and rollback's as
# JSON: scale had no --format ("unknown option --format").
@test "scale_format_json_prints_one_json_object_per_line" {
	SVC=api
	deploy_version v1 -- --listen "tcp://127.0.0.1:$PORT" --probe-period 50ms
	run --separate-stderr zr scale --format json "$SVC" 2
	zr list -q >> "$WORK/ids"
	expect_eq "$status" 0 "exit status of scale --format json ($stderr)"
	printf '%s\n' "$output" | "$BATS_TEST_DIRNAME/../lib/json_lines.py" deployed "scaled to 2 replicas"
	run --separate-stderr zr scale --format yaml "$SVC" 1
	expect_eq "$stderr" "zrun: scale: --format \"yaml\": expected text or json" "stderr of scale --format yaml"
	expect_eq "$(zr list -q | wc -l)" 2 "replicas after the refused scale"
}
