#!/usr/bin/env bats
# httpd, the demo service in bundles/, on the host without containers: its
# endpoints, the flags that make it misbehave on purpose, and the property
# every swap relies on: SIGTERM under load loses no request when another
# process accepts from the same listening socket. Ports 18080-18099 only.

load helpers

TOP=$BATS_TEST_DIRNAME/../..
HTTPD=$TOP/bundles/out/httpd
SHARE=$TOP/bundles/httpd/share-listen.py

setup_file() {
	make -C "$TOP" -s -f bundles/bundles.mk bundles/out/httpd >&2
}

setup() {
	WORK=$(mktemp -d /tmp/zrun-httpd.XXXXXX)
	: > "$WORK/pids"
}

# Every process a test started is in $WORK/pids: TERM, then KILL what is
# left after 2 s (the --ignore-sigterm ones).
teardown() {
	local pid i
	for pid in $(cat "$WORK/pids"); do kill -TERM "$pid" 2>/dev/null || true; done
	for i in $(seq 20); do
		alive=""
		for pid in $(cat "$WORK/pids"); do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in $alive; do kill -KILL "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}

# start_httpd PORT [ARGS...]: httpd bound to 127.0.0.1:PORT, its pid in
# $HTTPD_PID and its stderr in $WORK/httpd-PORT.err; returns once it answers.
start_httpd() {
	local port=$1
	shift
	"$HTTPD" --listen "127.0.0.1:$port" "$@" 2>"$WORK/httpd-$port.err" 3>&- &
	HTTPD_PID=$!
	echo "$HTTPD_PID" >> "$WORK/pids"
	wait_answers "$port"
}

wait_answers() {  # PORT: until something answers there, at most 3 s
	local i
	for i in $(seq 60); do
		[ "$(code "http://127.0.0.1:$1/healthz")" != 000 ] && return 0
		sleep 0.05
	done
	echo "nothing answers on port $1" >&2
	return 1
}

code() {  # URL: the HTTP status curl saw (000: no answer)
	curl -s -o /dev/null -m 5 -w '%{http_code}' "$@"
}

wait_exit() {  # PID [SECONDS]: until PID has exited
	local i
	for i in $(seq $((${2:-5} * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "process $1 still running after ${2:-5} s" >&2
	return 1
}

@test "httpd_answers_its_version_healthz_and_404" {
	start_httpd 18080 --version-name vt
	run curl -s -i http://127.0.0.1:18080/
	[[ "$output" == "HTTP/1.1 200 OK"* ]] || { echo "saw: $output" >&2; false; }
	expect_eq "$(echo "$output" | tr -d '\r' | grep '^X-Version:')" "X-Version: vt"
	expect_eq "$(echo "$output" | tr -d '\r' | grep '^X-Pid:')" "X-Pid: $HTTPD_PID"
	expect_eq "$(echo "$output" | tr -d '\r' | grep '^Content-Length:')" "Content-Length: 3"
	expect_eq "$(curl -s http://127.0.0.1:18080/)" "vt" "body of /"
	expect_eq "$(curl -s http://127.0.0.1:18080/healthz)" "ok" "body of /healthz"
	expect_eq "$(code http://127.0.0.1:18080/healthz)" 200 "/healthz"
	expect_eq "$(code http://127.0.0.1:18080/nope)" 404 "/nope"
	expect_eq "$(code -I http://127.0.0.1:18080/)" 200 "HEAD /"
	expect_eq "$(code -X POST -d x http://127.0.0.1:18080/)" 405 "POST /"
	grep -q "^httpd vt: bound 127.0.0.1:18080$" "$WORK/httpd-18080.err"
}

@test "httpd_keeps_connections_alive_unless_told_to_close" {
	start_httpd 18081
	local url=http://127.0.0.1:18081/
	# one connection for two requests, two with "Connection: close"
	expect_eq "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}' "$url" "$url")" 10 \
		"connects per request, keep-alive"
	expect_eq "$(curl -s -H 'Connection: close' -o /dev/null -o /dev/null \
		-w '%{num_connects}' "$url" "$url")" 11 "connects per request, Connection: close"
	run curl -s -i --http1.0 "$url"
	echo "$output" | tr -d '\r' | grep -qx 'Connection: close'
	# a request head over 8 KiB is refused
	expect_eq "$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$url")" 400 "9 KiB head"
}

@test "httpd_fail_health_answers_503_on_healthz_only" {
	start_httpd 18082 --fail-health
	expect_eq "$(code http://127.0.0.1:18082/healthz)" 503 "/healthz"
	expect_eq "$(code http://127.0.0.1:18082/)" 200 "/"
}

@test "httpd_fail_all_answers_503_everywhere" {
	start_httpd 18083 --fail-all
	expect_eq "$(code http://127.0.0.1:18083/healthz)" 503 "/healthz"
	expect_eq "$(code http://127.0.0.1:18083/)" 503 "/"
}

@test "httpd_sleep_answers_after_the_time_without_blocking_others" {
	start_httpd 18084
	curl -s -o "$WORK/slow" -w '%{time_total}' 'http://127.0.0.1:18084/sleep?ms=3000' \
		> "$WORK/slow.time" 3>&- &
	local slow=$!
	wait_until 5 in_flight 18084
	# / answers at once while the sleep is in flight (blocked, it would
	# wait the 3 s out)
	local t
	t=$(curl -s -o /dev/null -w '%{time_total}' http://127.0.0.1:18084/)
	awk -v t="$t" 'BEGIN { exit !(t < 2) }' || { echo "/ took $t s during a sleep" >&2; false; }
	wait "$slow"
	t=$(cat "$WORK/slow.time")
	awk -v t="$t" 'BEGIN { exit !(t >= 3.0 && t < 6) }' ||
		{ echo "/sleep?ms=3000 took $t s, expected 3-6" >&2; false; }
	expect_eq "$(code 'http://127.0.0.1:18084/sleep?ms=x1')" 200 "/sleep?ms=x1 (0 ms)"
	expect_eq "$(code 'http://127.0.0.1:18084/sleep?ms=9999999')" 400 "/sleep over 600 s"
}

@test "httpd_sigterm_lets_an_in_flight_request_finish_then_exits_0" {
	start_httpd 18085
	curl -s -o "$WORK/slow" -w '%{http_code}' 'http://127.0.0.1:18085/sleep?ms=1500' \
		> "$WORK/slow.code" 3>&- &
	local slow=$!
	wait_until 5 in_flight 18085
	kill -TERM "$HTTPD_PID"
	wait_until 5 grep -q draining "$WORK/httpd-18085.err"
	# it stopped accepting at once (nobody else holds this socket)
	expect_eq "$(code -m 1 http://127.0.0.1:18085/)" 000 "a new request after SIGTERM"
	kill -0 "$HTTPD_PID"
	wait "$slow"
	expect_eq "$(cat "$WORK/slow.code")" 200 "the in-flight /sleep"
	wait_exit "$HTTPD_PID" 3
	wait "$HTTPD_PID" || { echo "httpd exited $?, expected 0" >&2; false; }
	# the readiness check of start_httpd, then the /sleep
	grep -q "drained, 2 requests served" "$WORK/httpd-18085.err"
}

@test "httpd_closes_idle_keep_alive_connections_shortly_after_sigterm" {
	start_httpd 18086
	python3 - "$HTTPD_PID" <<-'EOF'
	import os, signal, socket, sys, time
	idle = socket.create_connection(("127.0.0.1", 18086))
	busy = socket.create_connection(("127.0.0.1", 18086))
	for s in (idle, busy):
	    s.settimeout(3)
	    s.sendall(b"GET / HTTP/1.1\r\n\r\n")
	    assert b"Connection: keep-alive" in s.recv(4096)
	t = time.monotonic()
	os.kill(int(sys.argv[1]), signal.SIGTERM)
	time.sleep(0.1)
	# a request on a kept-alive connection after the signal is answered,
	# with Connection: close
	busy.sendall(b"GET / HTTP/1.1\r\n\r\n")
	r = busy.recv(4096)
	assert r.startswith(b"HTTP/1.1 200") and b"Connection: close" in r, r
	assert busy.recv(10) == b""
	assert idle.recv(10) == b""
	dt = time.monotonic() - t
	assert 0.15 < dt < 3.0, f"idle connection closed after {dt:.3f} s"
	EOF
	wait_exit "$HTTPD_PID" 3
}

@test "httpd_ignore_sigterm_keeps_serving" {
	start_httpd 18087 --ignore-sigterm
	kill -TERM "$HTTPD_PID"
	sleep 0.3
	kill -0 "$HTTPD_PID" || { echo "httpd exited on SIGTERM" >&2; false; }
	expect_eq "$(code http://127.0.0.1:18087/)" 200 "/ after SIGTERM"
	kill -INT "$HTTPD_PID"  # SIGINT still drains
	wait_exit "$HTTPD_PID" 3
}

@test "httpd_start_delay_keeps_the_listener_out_of_epoll_until_it_ends" {
	"$HTTPD" --listen 127.0.0.1:18088 --start-delay-ms 3000 2>/dev/null 3>&- &
	local pid=$!
	echo "$pid" >> "$WORK/pids"
	# zrun's "accepting" probe: the listener's inode as a tfd: in epoll fdinfo
	local ino ep
	listener_and_epoll() {
		local fd
		ino= ep=
		for fd in /proc/$pid/fd/*; do
			case $(readlink "$fd") in
			socket:*) ino=$(readlink "$fd" | tr -dc 0-9) ;;
			anon_inode:\[eventpoll\]) ep=${fd##*/} ;;
			esac
		done
		[ -n "$ino" ] && [ -n "$ep" ]
	}
	wait_until 5 listener_and_epoll
	local hex
	hex=$(printf '%x' "$ino")
	! grep -q "ino:$hex" "/proc/$pid/fdinfo/$ep" || { echo "listener in epoll during the delay" >&2; false; }
	# a connection made now waits in the queue and is answered after the delay
	local t
	t=$(curl -s -o /dev/null -w '%{time_total}' http://127.0.0.1:18088/)
	awk -v t="$t" 'BEGIN { exit !(t >= 0.5) }' || { echo "answered after $t s, during the delay" >&2; false; }
	grep -q "ino:$hex" "/proc/$pid/fdinfo/$ep" || { echo "listener not in epoll after the delay" >&2; false; }
}

@test "httpd_crash_after_and_exit_after_exit_with_their_codes" {
	start_httpd 18089 --crash-after 2
	expect_eq "$(code http://127.0.0.1:18089/)" 200 "request 2 (after the readiness check)"
	wait_exit "$HTTPD_PID" 2
	local rc=0
	wait "$HTTPD_PID" || rc=$?
	expect_eq "$rc" 2 "exit status of --crash-after"
	"$HTTPD" --listen 127.0.0.1:18090 --exit-after-ms 300 2>/dev/null 3>&- &
	local pid=$!
	echo "$pid" >> "$WORK/pids"
	wait_exit "$pid" 2
	rc=0
	wait "$pid" || rc=$?
	expect_eq "$rc" 3 "exit status of --exit-after-ms"
}

@test "httpd_never_ready_never_accepts" {
	"$HTTPD" --listen 127.0.0.1:18091 --never-ready 2>/dev/null 3>&- &
	echo $! >> "$WORK/pids"
	sleep 0.3
	expect_eq "$(code -m 1 http://127.0.0.1:18091/)" 000 "/ of a never-ready httpd"
}

@test "httpd_notify_sends_ready_once_accepting" {
	python3 - "$HTTPD" <<-'EOF'
	import os, socket, subprocess, sys, time
	addr = f"zrun-httpd-test-{os.getpid()}"
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind("\0" + addr)
	s.settimeout(3)
	env = dict(os.environ, NOTIFY_SOCKET="@" + addr)
	p = subprocess.Popen([sys.argv[1], "--listen", "127.0.0.1:18092", "--notify",
	                      "--start-delay-ms", "300"], env=env, stderr=subprocess.DEVNULL)
	try:
	    t = time.monotonic()
	    msg = s.recv(100)
	    dt = time.monotonic() - t
	    assert msg == b"READY=1", msg
	    assert dt >= 0.25, f"READY=1 after {dt:.3f} s, before the start delay ended"
	finally:
	    p.terminate()
	    assert p.wait(timeout=3) == 0
	EOF
}

@test "httpd_takes_its_listener_by_socket_activation" {
	"$SHARE" 127.0.0.1:18093 "$WORK/sa.pids" -- "$HTTPD" --version-name sa \
		2>"$WORK/sa.err" 3>&- &
	echo $! >> "$WORK/pids"
	wait_answers 18093
	cat "$WORK/sa.pids" >> "$WORK/pids"
	expect_eq "$(curl -s http://127.0.0.1:18093/)" sa "body of /"
	grep -q "^httpd sa: listening on fd 3 (socket activation, names http)$" "$WORK/sa.err"
	# LISTEN_PID naming another process: the fds are not ours, bind instead
	LISTEN_FDS=1 LISTEN_PID=1 "$HTTPD" --listen 127.0.0.1:18094 2>"$WORK/own.err" 3>&- &
	echo $! >> "$WORK/pids"
	wait_answers 18094
	grep -q "bound 127.0.0.1:18094" "$WORK/own.err"
}

# Two httpd processes on one listening socket, as in a swap: A serves wrk's
# connections, B starts accepting 1 s in, A gets SIGTERM at 1.5 s. Not one
# request may fail.
drain_under_wrk() {  # PORT [WRK ARGS...]
	local port=$1
	shift
	command -v wrk >/dev/null || skip "wrk is not installed"
	"$SHARE" "127.0.0.1:$port" "$WORK/ab.pids" \
		-- "$HTTPD" --version-name A \
		-- "$HTTPD" --version-name B --start-delay-ms 1000 \
		2>"$WORK/ab.err" 3>&- &
	echo $! >> "$WORK/pids"
	wait_answers "$port"
	cat "$WORK/ab.pids" >> "$WORK/pids"
	local a b
	a=$(sed -n 1p "$WORK/ab.pids") b=$(sed -n 2p "$WORK/ab.pids")
	(sleep 1.5; kill -TERM "$a") 3>&- &
	timeout 10 wrk -t2 -c16 -d3s "$@" "http://127.0.0.1:$port/" > "$WORK/wrk.out"
	cat "$WORK/wrk.out" >&2
	cat "$WORK/ab.err" >&2
	! grep -qE 'Socket errors|Non-2xx' "$WORK/wrk.out" ||
		{ echo "expected no failed request, wrk saw some (above)" >&2; false; }
	grep -q "share-listen: $a exited 0$" "$WORK/ab.err" ||
		{ echo "A (pid $a) did not exit 0 after SIGTERM" >&2; false; }
	kill -0 "$b"
	# both served: A until SIGTERM, B after
	local served_a
	served_a=$(sed -n 's/^httpd A: drained, \([0-9]*\) requests served$/\1/p' "$WORK/ab.err")
	[ "${served_a:-0}" -gt 100 ] || { echo "A served ${served_a:-0} requests" >&2; false; }
	expect_eq "$(curl -s "http://127.0.0.1:$port/")" B "the answer after the drain"
}

@test "httpd_drain_under_wrk_keep_alive_loses_no_request" {
	drain_under_wrk 18095
}

@test "httpd_drain_under_wrk_connection_close_loses_no_request" {
	drain_under_wrk 18096 -H 'Connection: close'
}
