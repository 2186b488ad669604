#!/usr/bin/env bats
# --intercept: programs that bind their own port (no LISTEN_FDS) get the
# service's shared listener through seccomp user notification, so they
# swap under load with no failed request like socket-activated ones.
# Apps: the demo httpd in "bind it myself" mode, Python's http.server,
# busybox httpd and the Node app written as listen(PORT). Plus: a bind of an
# unrelated port is real, a second bind of the port gets EADDRINUSE, the
# bundle's own seccomp rules keep precedence, a kernel without ADDFD is
# refused at create. Ports 18800-18899 (18800 + test number; +50 for the
# unrelated port).

PORT_BASE=18800
load service_helpers

setup() {
	svc_setup
	EXTRA=()
}
teardown() { svc_teardown; }

# ibundle NAME ARGS-JSON [CWD]: a bundle at $WORK/b-NAME over the shared
# rootfs, in its own cgroup (/zrun/<id>).
ibundle() {
	local name=$1 args=$2 cwd=${3:-/} dir=$WORK/b-$1
	mkdir -p "$dir"
	ln -sfn "$WORK/rootfs" "$dir/rootfs"
	ARGS=$args write_config "$dir"
	sed -i '/"cgroupsPath"/d; s|"cwd": "/"|"cwd": "'"$cwd"'"|' "$dir/config.json"
	echo "$dir"
}

# The demo httpd, binding 0.0.0.0:PORT itself.
mk_httpd() {
	ibundle "$1" '["/httpd","--version-name","'"$1"'","--listen","0.0.0.0:'"$PORT"'"]'
}

# busybox httpd, unmodified, behind an entrypoint that stops it without
# losing a connection (it has no graceful stop of its own): SIGSTOP it, and
# SIGKILL it only when it holds no accepted connection that it has not
# handed to a child yet (its fds are 0-2 and the listener), else let it go
# on and try again; then give the forked handlers a second (as pid 1 of the
# pid namespace, our exit kills them).
mk_busybox() {
	mkdir -p "$WORK/rootfs/www/$1"
	echo "busybox $1" > "$WORK/rootfs/www/$1/index.html"
	cat > "$WORK/rootfs/serve-busybox.sh" <<'SH'
#!/bin/sh
httpd -f -p "$1" -h "$2" &
pid=$!
stop() {
	while :; do
		kill -STOP $pid
		until grep -q '^State:.*T' /proc/$pid/status; do :; done
		[ "$(ls /proc/$pid/fd | wc -l)" -le 4 ] && break
		kill -CONT $pid
	done
	kill -KILL $pid
	sleep 1
	exit 0
}
trap stop TERM
wait
SH
	chmod 755 "$WORK/rootfs/serve-busybox.sh"
	ibundle "$1" '["/serve-busybox.sh","'"$PORT"'","/www/'"$1"'"]'
}

# Python's http.server from the host (/usr bind-mounted read-only). The
# script is the stdlib's ThreadingHTTPServer binding ("", PORT) itself; it
# only adds what http.server's main lacks: finish requests on SIGTERM.
# SIGTERM is taken with sigwait, not a handler: a handler that starts the
# shutdown thread can run while the main thread holds threading's lock
# inside Thread.start() for a request, and deadlocks (seen once under
# load: the swap SIGKILLed it after the 30 s grace period).
python_rootfs() {
	command -v /usr/bin/python3 >/dev/null || skip "no /usr/bin/python3"
	mkdir -p "$WORK/rootfs/usr"
	ln -sfn usr/lib "$WORK/rootfs/lib"
	ln -sfn usr/lib64 "$WORK/rootfs/lib64"
	cat > "$WORK/rootfs/serve.py" <<'PY'
import http.server, signal, sys, threading
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])  # every thread
server = http.server.ThreadingHTTPServer(("", int(sys.argv[1])), Quiet)
server.daemon_threads = False  # server_close() then waits for requests in flight
serving = threading.Thread(target=server.serve_forever)
serving.start()
signal.sigwait([signal.SIGTERM])
server.shutdown()
serving.join()
server.server_close()
PY
}
PY_MOUNT=', { "destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind","ro"] }'

mk_python() {
	mkdir -p "$WORK/rootfs/www/$1"
	echo "python $1" > "$WORK/rootfs/www/$1/index.html"
	MOUNTS_EXTRA=$PY_MOUNT ibundle "$1" '["/usr/bin/python3","/serve.py","'"$PORT"'"]' "/www/$1"
}

# The Node app (bundles/out/node-api-v1) with PORT set: server.listen(PORT).
mk_node() {
	local dir=$WORK/b-$1 src=$BATS_TEST_DIRNAME/../../bundles/out/node-api-v1
	mkdir -p "$dir"
	ln -sfn "$(cd "$src" && pwd)/rootfs" "$dir/rootfs"
	jq --arg v "$1" --arg p "$PORT" \
		'.process.env = [.process.env[] | select(test("^(VERSION|PORT)=") | not)] + ["VERSION=" + $v, "PORT=" + $p]' \
		"$src/config.json" > "$dir/config.json"
	echo "$dir"
}

need_node() {
	[ -d "$BATS_TEST_DIRNAME/../../bundles/out/node-api-v1/rootfs/app" ] ||
		skip "bundles/out/node-api-v1 is not built (make node-api-bundles)"
	command -v jq >/dev/null || skip "jq is not installed"
}

# ifirst MAKER: the first version, listening on 127.0.0.1:PORT, serving.
ifirst() {
	local b
	b=$($1 v0)
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT" --intercept --probe-period 50ms --probe-failure-threshold 400 "${EXTRA[@]}"
	zr start "$TEST_ID-v0"
	wait_serving "$URL/" v0
}

# iswaps MAKER N: N swaps in a row from $TEST_ID-v0.
iswaps() {
	local maker=$1 n=$2 i prev=$TEST_ID-v0 id b
	for i in $(seq "$n"); do
		id=$TEST_ID-v$i
		b=$($maker "v$i")
		vcreate "$id" "$b" --intercept --probe-period 50ms --probe-failure-threshold 400 "${EXTRA[@]}"
		zr swap "$prev" "$id" > "$WORK/swap.out" 2>&1 || { cat "$WORK/swap.out" >&2; return 1; }
		assert_version_gone "$prev"
		prev=$id
	done
	wait_serving "$URL/" "v$n"
}

# swap_under_load MAKER N: N swaps while wrk runs; no failed request.
swap_under_load() {
	ifirst "$1"
	wrk_start
	iswaps "$1" "$2"
	sleep 0.3
	wrk_stop
}

# holds_shared PID: one of its fds is the service's listening socket.
holds_shared() {
	local want
	want=$(ss -ltnpe "sport = :$PORT" | grep -o 'ino:[0-9]*' | head -1 | cut -d: -f2)
	[ -n "$want" ] && readlink /proc/"$1"/fd/* 2>/dev/null | grep -q "socket:\[$want\]"
}

@test "intercept_demo_httpd_binding_itself_swaps_under_load_with_no_failed_request" {
	swap_under_load mk_httpd 5
	# no LISTEN_FDS: it bound the port itself, and said so
	grep -q "bound 0.0.0.0:$PORT" "$WORK/containers.log"
}

@test "intercept_demo_httpd_with_its_own_network_namespace_swaps_under_load" {
	EXTRA=(--net own)
	swap_under_load mk_httpd 3
}

@test "intercept_python_http_server_swaps_under_load_with_no_failed_request" {
	python_rootfs
	# its main thread waits for the GIL under load, rarely in poll(2): the
	# accepting probe cannot see it there, an http probe can
	EXTRA=(--probe http)
	swap_under_load mk_python 3
}

@test "intercept_busybox_httpd_swaps_under_load_with_no_failed_request" {
	# its accept loop spins on EAGAIN when another version took the
	# connection (the shared socket is non-blocking), so it is seldom seen
	# blocked in accept(2): prove it ready by a connection it accepted
	EXTRA=(--probe tcp)
	swap_under_load mk_busybox 3
}

@test "intercept_node_app_written_as_listen_port_swaps_under_load_with_no_failed_request" {
	need_node
	swap_under_load mk_node 3
	grep -q "listening on port $PORT" "$WORK/containers.log"
}

@test "intercept_python_dual_stack_bind_gets_the_ipv4_listener" {
	python_rootfs
	mkdir -p "$WORK/rootfs/www/v0"
	echo "python v0" > "$WORK/rootfs/www/v0/index.html"
	# unmodified `python3 -m http.server --bind :: PORT`: binds [::] with
	# IPV6_V6ONLY=0 (its DualStackServer)
	b=$(MOUNTS_EXTRA=$PY_MOUNT ibundle v0 '["/usr/bin/python3","-u","-m","http.server","--bind","::","'"$PORT"'"]' /www/v0)
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT" --intercept
	zr start "$TEST_ID-v0"
	wait_serving "$URL/" "python v0"
	# getsockname now tells the shared listener's address
	grep -q "Serving HTTP on 127.0.0.1 port $PORT" "$WORK/containers.log" || {
		cat "$WORK/containers.log" >&2; echo "expected python to hold the 127.0.0.1 listener" >&2; return 1; }
	local pid
	pid=$(init_pid "$TEST_ID-v0")
	holds_shared "$pid" || { echo "python does not hold the shared listener" >&2; return 1; }
}

@test "intercept_leaves_a_bind_of_an_unrelated_port_alone" {
	local other=$((PORT + 50)) pid
	b=$(ibundle v0 '["/httpd","--version-name","v0","--listen","127.0.0.1:'"$other"'"]')
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT" --intercept
	zr start "$TEST_ID-v0"
	wait_serving "http://127.0.0.1:$other/" v0
	pid=$(init_pid "$TEST_ID-v0")
	# the port is really bound, by the program alone (not the supervisor's socket)
	ss -ltnp "sport = :$other" | grep -q "pid=$pid," || { ss -ltnp >&2; return 1; }
	! ss -ltnp "sport = :$other" | grep -qE 'zrun-(supervisor|fdstore)'
	! holds_shared "$pid"
}

@test "intercept_second_bind_of_the_port_gets_eaddrinuse" {
	python_rootfs
	cat > "$WORK/rootfs/twice.py" <<'PY'
import errno, socket, sys, time
port = int(sys.argv[1])
a = socket.socket()
a.bind(("0.0.0.0", port))
a.listen()
print("first bind: ok", flush=True)
b = socket.socket()
try:
    b.bind(("0.0.0.0", port))
    print("second bind: ok", flush=True)
except OSError as e:
    print("second bind:", errno.errorcode[e.errno], flush=True)
time.sleep(60)
PY
	# own network namespace: there, without zrun's record of the first
	# bind, the port would be free for a real second bind
	b=$(MOUNTS_EXTRA=$PY_MOUNT ibundle v0 '["/usr/bin/python3","/twice.py","'"$PORT"'"]')
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT" --intercept --net own
	zr start "$TEST_ID-v0"
	for _ in $(seq 100); do grep -q "second bind:" "$WORK/containers.log" && break; sleep 0.05; done
	grep -q "first bind: ok" "$WORK/containers.log"
	grep -q "second bind: EADDRINUSE" "$WORK/containers.log" || { cat "$WORK/containers.log" >&2; return 1; }
	holds_shared "$(init_pid "$TEST_ID-v0")"
}

@test "intercept_merges_with_the_bundles_seccomp_profile" {
	b=$(mk_httpd v0)
	# the bundle allows bind/listen itself and denies mkdir: bind/listen
	# are intercepted, the rest of its profile stays
	jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["bind", "listen", "accept4"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT" --intercept
	zr start "$TEST_ID-v0"
	wait_serving "$URL/" v0
	holds_shared "$(init_pid "$TEST_ID-v0")"
	run zr exec "$TEST_ID-v0" /bin/mkdir /tmp/x
	[ "$status" -ne 0 ]
}

@test "intercept_is_refused_when_the_bundle_has_its_own_bind_rule" {
	b=$(mk_httpd v0)
	jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["bind"], "action": "SCMP_ACT_ERRNO"}]}' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
	echo "$TEST_ID-v0" >> "$WORK/ids"
	run zr create --service api --listen "tcp://127.0.0.1:$PORT" --intercept "$TEST_ID-v0" "$b"
	echo "$output"
	assert_one_line_error "keeps precedence"
	assert_version_gone "$TEST_ID-v0"
}

@test "intercept_is_refused_at_create_when_the_kernel_lacks_addfd" {
	b=$(mk_httpd v0)
	echo "$TEST_ID-v0" >> "$WORK/ids"
	run env ZRUN_TEST_FAULT=intercept-addfd:fail=EINVAL "$ZRUN_HOOKS" --root "$ROOT" create --service api --listen "tcp://127.0.0.1:$PORT" --intercept "$TEST_ID-v0" "$b"
	echo "$output"
	assert_one_line_error "SECCOMP_IOCTL_NOTIF_ADDFD"
	assert_version_gone "$TEST_ID-v0"
	# and the port is free again: the service went with its only version
	! ss -ltn "sport = :$PORT" | grep -q LISTEN
}

@test "intercept_annotation_turns_it_on" {
	b=$(mk_httpd v0)
	jq '.annotations = {"zrun.intercept": "true"}' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT"
	zr start "$TEST_ID-v0"
	wait_serving "$URL/" v0
	holds_shared "$(init_pid "$TEST_ID-v0")"
}

@test "intercept_ipv4_wildcard_bind_gets_an_ipv6_listener" {
	b=$(mk_httpd v0)
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://[::1]:$PORT" --intercept
	zr start "$TEST_ID-v0"
	wait_serving "http://[::1]:$PORT/" v0
	holds_shared "$(init_pid "$TEST_ID-v0")"
}

@test "intercept_a_bind_after_the_supervisor_died_still_gets_the_shared_listener" {
	python_rootfs
	# a program that binds, and binds again later (a reload: close, rebind)
	cat > "$WORK/rootfs/rebind.py" <<'PY'
import errno, os, socket, sys, time
port = int(sys.argv[1])
def bind():
    s = socket.socket()
    s.bind(("0.0.0.0", port))
    s.listen()
    return s
a = bind()
print("first bind: ok", flush=True)
t = time.monotonic()
while not os.path.exists("/go") and time.monotonic() - t < 60:
    time.sleep(0.05)
a.close()
try:
    b = bind()
    print("second bind: ok", flush=True)
except OSError as e:
    print("second bind:", errno.errorcode.get(e.errno, e.errno), flush=True)
time.sleep(60)
PY
	b=$(MOUNTS_EXTRA=$PY_MOUNT ibundle v0 '["/usr/bin/python3","/rebind.py","'"$PORT"'"]')
	vcreate "$TEST_ID-v0" "$b" --listen "tcp://127.0.0.1:$PORT" --intercept
	zr start "$TEST_ID-v0"
	wait_until 10 grep -q "first bind: ok" "$WORK/containers.log"
	# the supervisor dies; its fdstore forks the next one
	local g k
	g=$(svc_supervisors)
	k=$(pgrep -x -P "$g" zrun-supervisor)
	[ -n "$k" ] || { echo "no supervisor under the fdstore $g" >&2; return 1; }
	kill -9 "$k"
	wait_until 5 eval '[ -n "$(pgrep -x -P "$g" zrun-supervisor)" ] && [ "$(pgrep -x -P "$g" zrun-supervisor)" != "$k" ]'
	touch "$WORK/rootfs/go"
	wait_until 10 grep -q "second bind:" "$WORK/containers.log"
	grep -q "second bind: ok" "$WORK/containers.log" || { cat "$WORK/containers.log" >&2; return 1; }
	holds_shared "$(init_pid "$TEST_ID-v0")"
	# the fdstore's copy of the notify fd goes when the version does
	notify_fds() { ls -l /proc/"$g"/fd 2>/dev/null | grep -c 'seccomp notify'; }
	expect_eq "$(notify_fds)" 1 "notify fds the fdstore holds"
	kill -9 "$(init_pid "$TEST_ID-v0")"
	wait_until 5 eval 'test "$(notify_fds)" = 0' || { echo "the fdstore still holds $(notify_fds) notify fds" >&2; return 1; }
}
