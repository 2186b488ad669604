#!/usr/bin/env bats
# Services: bad input is refused with one line and leaves nothing; versions
# get socket activation; IPv6, unix listeners and annotations work; the
# exec, tcp and notify probes. Ports 18650-18699 (18650 + test number).

PORT_BASE=18650
load service_helpers

setup() { svc_setup; }
teardown() { svc_teardown; }

# Nothing of a failed first version: no state, no cgroup, no service, and
# no supervisor of this test's root that was not running before the test
# (supervisors_before). Other roots' supervisors (other tests running at the
# same time) are theirs: their command line names their own --root.
assert_nothing_left() {  # id
	assert_version_gone "$1"
	[ ! -e "$ROOT/.services/api" ] || { echo "service dir left: $(ls -A "$ROOT/.services/api")" >&2; return 1; }
	local k
	for k in $(pgrep -x 'zrun-(supervisor|fdstore)'); do
		tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null | grep -qF -- "--root $ROOT " || continue
		if alive "$k" && ! grep -qx "$k" "$WORK/supervisors.before"; then
			echo "a new supervisor $k is left" >&2
			return 1
		fi
	done
}

supervisors_before() { pgrep -x 'zrun-(supervisor|fdstore)' > "$WORK/supervisors.before" || true; }

@test "create_refuses_bad_listen_and_probe_specs_and_leaves_nothing" {
	local b=$(mkver v1) id=$TEST_ID-v1 spec
	supervisors_before
	for spec in tcp://x:99999 tcp://127.0.0.1:0 ftp://127.0.0.1:$PORT unix:relative/path tcp://not-an-ip:$PORT tcp://[::1]$PORT; do
		echo "$id" >> "$WORK/ids"
		run zr create --service api --listen "$spec" "$id" "$b"
		echo "--listen $spec: $output"
		assert_one_line_error "$spec"
		assert_nothing_left "$id"
	done
	run zr create --service api --listen "tcp://127.0.0.1:$PORT" --probe bogus "$id" "$b"
	echo "$output"
	assert_one_line_error "bogus"
	assert_nothing_left "$id"
	run zr create --service api --listen "tcp://127.0.0.1:$PORT" --probe-period soon "$id" "$b"
	assert_one_line_error "soon"
	assert_nothing_left "$id"
}

@test "first_version_without_listen_is_refused_and_leaves_nothing" {
	local b=$(mkver v1) id=$TEST_ID-v1
	supervisors_before
	echo "$id" >> "$WORK/ids"
	run zr create --service api "$id" "$b"
	echo "$output"
	assert_one_line_error "--listen"
	assert_nothing_left "$id"
}

@test "create_on_a_port_in_use_is_refused_and_leaves_nothing" {
	python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$PORT" &
	local py=$!
	wait_until 10 eval 'ss -Hltn "( sport = :$PORT )" | grep -q .'
	local b=$(mkver v1) id=$TEST_ID-v1
	supervisors_before
	echo "$id" >> "$WORK/ids"
	run zr create --service api --listen "tcp://127.0.0.1:$PORT" "$id" "$b"
	kill "$py"; wait "$py" || true
	echo "$output"
	assert_one_line_error "in use"
	[[ "$output" == *"127.0.0.1:$PORT"* ]]
	assert_nothing_left "$id"
}

@test "swap_refuses_unknown_ids_non_versions_self_and_other_services" {
	local old=$TEST_ID-old new=$TEST_ID-new b
	first_version "$old"
	local pid=$(init_pid "$old")
	b=$(mkver new)
	vcreate "$new" "$b"
	# a plain container, not a version
	mkdir -p "$WORK/plain" && ln -sfn "$WORK/rootfs" "$WORK/plain/rootfs"
	ARGS='["sleep","100"]' write_config "$WORK/plain"
	sed -i '/"cgroupsPath"/d' "$WORK/plain/config.json"
	echo "$TEST_ID-plain" >> "$WORK/ids"
	zr create "$TEST_ID-plain" "$WORK/plain"
	# a version of another service, on a unix listener
	b=$(mkver web)
	echo "$TEST_ID-web" >> "$WORK/ids"
	zr create --service web --listen "unix:$WORK/web.sock" "$TEST_ID-web" "$b" >> "$WORK/containers.log" 2>&1
	zr start "$TEST_ID-web"

	run zr swap "$old" "$TEST_ID-nosuch"
	echo "$output"; assert_one_line_error "$TEST_ID-nosuch"
	run zr swap "$TEST_ID-nosuch" "$new"
	echo "$output"; assert_one_line_error "$TEST_ID-nosuch"
	run zr swap "$old" "$TEST_ID-plain"
	echo "$output"; assert_one_line_error "not a version"
	run zr swap "$old" "$old"
	echo "$output"; assert_one_line_error "itself"
	run zr swap "$old" "$TEST_ID-web"
	echo "$output"; assert_one_line_error "service"
	run zr swap "$new" "$old"
	echo "$output"; assert_one_line_error "not running"
	run zr swap
	echo "$output"; [ "$status" -ne 0 ]
	# nothing moved
	assert_untouched "$old" "$pid"
	expect_eq "$(status_of "$new")" created "status of NEW"
	expect_eq "$(status_of "$TEST_ID-web")" running "status of the other service's version"
	[ ! -e "$ROOT/.services/api/swap.json" ] || { echo "a refused swap left a record: $(cat "$ROOT/.services/api/swap.json")" >&2; false; }
	zr delete --force "$TEST_ID-web"
	[ ! -e "$WORK/web.sock" ] || { echo "unix listener left after its service ended" >&2; false; }
}

@test "version_naming_a_different_listener_than_its_service_is_refused" {
	local old=$TEST_ID-old b id=$TEST_ID-v2
	first_version "$old"
	b=$(mkver v2)
	echo "$id" >> "$WORK/ids"
	run zr create --service api --listen "tcp://127.0.0.1:$((PORT + 1))" "$id" "$b"
	echo "$output"
	assert_one_line_error "listens on"
	assert_version_gone "$id"
	# the same listener, written the same way, is accepted
	vcreate "$id" "$b" --listen "tcp://127.0.0.1:$PORT"
	expect_eq "$(status_of "$id")" created "status of v2"
}

@test "second_swap_at_once_fails_clearly_and_waits_with_wait" {
	local old=$TEST_ID-old n1=$TEST_ID-n1 n2=$TEST_ID-n2 b
	first_version "$old"
	b=$(mkver n1 --start-delay-ms 2000)
	vcreate "$n1" "$b" --probe-period 100ms --probe-failure-threshold 100
	b=$(mkver n2)
	vcreate "$n2" "$b" --probe-period 50ms
	zr swap "$old" "$n1" > "$WORK/swap1.out" 2>&1 &
	local s1=$!
	for _ in $(seq 50); do [ "$(status_of "$n1")" = running ] && break; sleep 0.05; done
	run zr swap "$old" "$n2"
	echo "$output"
	assert_one_line_error "another swap of service api is in progress"
	[[ "$output" == *"--wait"* ]]
	expect_eq "$(status_of "$n2")" created "status of n2 after the refused swap"
	# --wait queues behind the first swap, then swaps n1 -> n2
	run zr swap --wait "$n1" "$n2"
	echo "$output"
	wait "$s1"
	cat "$WORK/swap1.out"
	[ "$status" -eq 0 ]
	grep -q "done in" "$WORK/swap1.out"
	assert_version_gone "$old"
	assert_version_gone "$n1"
	wait_serving "$URL/" n2
}

@test "version_gets_listen_fds_listen_pid_and_fdnames" {
	mkdir -p "$WORK/env"
	ln -sfn "$WORK/rootfs" "$WORK/env/rootfs"
	ARGS='["sh","-c","echo env: $LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES; ls /proc/self/fd; sleep 100"]' write_config "$WORK/env"
	sed -i '/"cgroupsPath"/d' "$WORK/env/config.json"
	vcreate "$TEST_ID-env" "$WORK/env" --listen "web=tcp://127.0.0.1:$PORT"
	zr start "$TEST_ID-env"
	wait_until 10 grep -q '^env:' "$WORK/containers.log"
	cat "$WORK/containers.log"
	expect_eq "$(sed -n 's/^env: //p' "$WORK/containers.log")" "1 1 web" "LISTEN_FDS LISTEN_PID LISTEN_FDNAMES"
	# two named listeners: fds 3 and 4, names in order
	mkdir -p "$WORK/env2"
	ln -sfn "$WORK/rootfs" "$WORK/env2/rootfs"
	ARGS='["sh","-c","echo env2: $LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES; sleep 100"]' write_config "$WORK/env2"
	sed -i '/"cgroupsPath"/d' "$WORK/env2/config.json"
	echo "$TEST_ID-env2" >> "$WORK/ids"
	zr create --service two --listen "web=tcp://127.0.0.1:$((PORT + 25))" --listen "admin=unix:$WORK/admin.sock" \
		"$TEST_ID-env2" "$WORK/env2" >> "$WORK/containers.log" 2>&1
	zr start "$TEST_ID-env2"
	wait_until 10 grep -q '^env2:' "$WORK/containers.log"
	expect_eq "$(sed -n 's/^env2: //p' "$WORK/containers.log")" "2 1 web:admin" "two listeners"
}

@test "ipv6_listener_serves_and_swaps_with_an_http_probe" {
	local old=$TEST_ID-old new=$TEST_ID-new b
	b=$(mkver old)
	vcreate "$old" "$b" --listen "tcp://[::1]:$PORT" --probe http:/healthz --probe-period 50ms
	zr start "$old"
	wait_serving "http://[::1]:$PORT/" old
	b=$(mkver new)
	vcreate "$new" "$b" --probe http:/healthz --probe-period 50ms
	run zr swap "$old" "$new"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_serving "http://[::1]:$PORT/" new
	assert_version_gone "$old"
}

@test "unix_listener_serves_and_swaps" {
	local old=$TEST_ID-old new=$TEST_ID-new b sock=$WORK/api.sock
	b=$(mkver old)
	vcreate "$old" "$b" --listen "unix:$sock" --probe-period 50ms
	zr start "$old"
	for _ in $(seq 50); do curl -s --unix-socket "$sock" http://x/ | grep -q old && break; sleep 0.05; done
	curl -s --unix-socket "$sock" http://x/ | grep -q old
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms
	zr swap "$old" "$new"
	curl -s --unix-socket "$sock" http://x/ | grep -q new
	zr delete --force "$new"
	[ ! -e "$sock" ] || { echo "$sock left after the service ended" >&2; false; }
}

@test "annotations_carry_service_listen_and_probe_without_flags" {
	local old=$TEST_ID-old new=$TEST_ID-new b ann
	ann=",\"annotations\": {\"zrun.service\": \"api\", \"zrun.listen\": \"tcp://127.0.0.1:$PORT\",
		\"zrun.probe\": \"http:/healthz\", \"zrun.probe.period\": \"50ms\", \"zrun.grace-period\": \"2s\"}"
	b=$(TOP_EXTRA=$ann mkver old)
	echo "$old" >> "$WORK/ids"
	zr create "$old" "$b" >> "$WORK/containers.log" 2>&1
	zr start "$old"
	wait_serving "$URL/" old
	b=$(TOP_EXTRA=$ann mkver new)
	echo "$new" >> "$WORK/ids"
	zr create "$new" "$b" >> "$WORK/containers.log" 2>&1
	run zr service --format json status api
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | python3 -m json.tool > /dev/null
	[[ "$output" == *"\"probe\":\"http\""* ]]
	[[ "$output" == *"127.0.0.1:$PORT"* ]]
	run zr service --format json list
	echo "$output"
	printf '%s\n' "$output" | python3 -m json.tool > /dev/null
	[[ "$output" == *'"name":"api"'* ]]
	run zr swap "$old" "$new"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_serving "$URL/" new
	zr service list | grep -q "^api "
}

@test "exec_and_tcp_probes_pass_for_a_good_new_version" {
	local v0=$TEST_ID-v0 v1=$TEST_ID-v1 v2=$TEST_ID-v2 v3=$TEST_ID-v3 b
	first_version "$v0"
	b=$(mkver v1)
	# /httpd exists only in the version's rootfs: the probe runs in its namespaces
	vcreate "$v1" "$b" --probe 'exec:test -x /httpd' --probe-period 50ms
	run zr swap "$v0" "$v1"
	echo "$output"
	[ "$status" -eq 0 ]
	b=$(mkver v2)
	vcreate "$v2" "$b" --probe "exec:wget -q -O- http://127.0.0.1:$PORT/healthz" --probe-period 50ms
	run zr swap "$v1" "$v2"
	echo "$output"
	[ "$status" -eq 0 ]
	b=$(mkver v3)
	vcreate "$v3" "$b" --probe tcp --probe-period 50ms
	run zr swap "$v2" "$v3"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_serving "$URL/" v3
}

@test "exec_probe_exit_1_aborts_the_swap" {
	local old=$TEST_ID-old new=$TEST_ID-new b
	first_version "$old"
	local pid=$(init_pid "$old")
	b=$(mkver new)
	vcreate "$new" "$b" --probe 'exec:test -e /nonexistent' --probe-period 50ms --probe-failure-threshold 2
	run zr swap "$old" "$new"
	echo "$output"
	assert_one_line_error "exit 1"
	assert_untouched "$old" "$pid"
	assert_version_gone "$new"
}

@test "exec_probe_runs_with_the_versions_privileges_not_the_probers" {
	# The probe's command comes from the image: it must get what the
	# version's process gets (capabilities, no_new_privs), as a Kubernetes
	# exec probe does, not the full root of zrun swap. Breaks if
	# probe_exec() (src/service/probe.c) runs it with only setns into the version.
	local old=$TEST_ID-old new=$TEST_ID-new b
	first_version "$old"
	b=$(mkver new)
	vcreate "$new" "$b" --probe-period 50ms --probe-failure-threshold 2 --probe \
		'exec:for f in CapEff CapBnd CapPrm NoNewPrivs; do test "$(grep "^$f:" /proc/self/status)" = "$(grep "^$f:" /proc/1/status)" || exit 1; done'
	run zr swap "$old" "$new"
	echo "$output"
	expect_eq "$status" 0 "exit status of the swap with the exec probe"
	wait_serving "$URL/" new
}

@test "notify_probe_passes_when_new_sends_ready_and_aborts_when_it_never_does" {
	local old=$TEST_ID-old new=$TEST_ID-new silent=$TEST_ID-silent b
	first_version "$old"
	local pid=$(init_pid "$old")
	# a NEW that never notifies (no --notify) is never ready, even though it accepts
	b=$(mkver silent)
	vcreate "$silent" "$b" --probe notify --probe-period 50ms --probe-failure-threshold 5
	run zr swap "$old" "$silent"
	echo "$output"
	assert_one_line_error "READY=1"
	assert_untouched "$old" "$pid"
	assert_version_gone "$silent"
	b=$(mkver new --notify --start-delay-ms 300)
	vcreate "$new" "$b" --probe notify --probe-period 50ms --probe-failure-threshold 40
	run zr swap "$old" "$new"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_serving "$URL/" new
	! grep -q "NOTIFY_SOCKET" "$WORK/containers.log" || { cat "$WORK/containers.log" >&2; false; }
}

@test "a_kubernetes_sandbox_with_service_annotations_is_not_a_version" {
	local b ann
	# CRI hands a pod's annotations to its pause container as well
	ann=",\"annotations\": {\"zrun.service\": \"api\", \"zrun.listen\": \"tcp://127.0.0.1:$PORT\",
		\"io.kubernetes.cri.container-type\": \"sandbox\"}"
	b=$(TOP_EXTRA=$ann mkver pause)
	echo "$TEST_ID" >> "$WORK/ids"
	zr create "$TEST_ID" "$b" >> "$WORK/containers.log" 2>&1
	run zr service status api
	[ "$status" -ne 0 ] || { echo "the sandbox made service api: $output"; false; }
	[ ! -e "$ROOT/.services/api" ]
	zr delete --force "$TEST_ID"
}

# issue 15.5 / 20.5: the per-service processes are fresh images, named for
# their service in ps (not the create command line that made them), and a
# supervisor the fdstore starts again is one too. Each holds without
# close-on-exec only the fds passed across its exec (fdstore.h).
@test "ps_names_the_fdstore_and_the_supervisor_by_their_service_after_a_restart_too" {
	first_version "$TEST_ID-v1"
	local fdstore supervisor again
	fdstore=$(svc_supervisors)
	supervisor=$(pgrep -x -P "$fdstore" zrun-supervisor)
	[ -n "$supervisor" ] || { echo "no supervisor under fdstore $fdstore" >&2; return 1; }
	expect_eq "$(ps -o args= -p "$fdstore")" "zrun-fdstore api" "ps of the fdstore $fdstore"
	expect_eq "$(ps -o args= -p "$supervisor")" "zrun-supervisor api" "ps of the supervisor $supervisor"
	expect_eq "$(ps -o comm= -p "$fdstore")" "zrun-fdstore" "name (comm) of the fdstore"
	# the fdstore: supervisor.sock (3) and the listener (5), nothing else inheritable
	local fd inheritable=""
	for fd in $(ls "/proc/$fdstore/fd"); do
		[ "$fd" -gt 2 ] || continue
		(( 0$(awk '/^flags:/ { print $2 }' "/proc/$fdstore/fdinfo/$fd" 2>/dev/null) & 02000000 )) ||
			inheritable+="$fd "
	done
	expect_eq "$inheritable" "3 5 " "fds of the fdstore without close-on-exec"
	kill -9 "$supervisor"
	wait_until 10 eval '[ -n "$(pgrep -x -P "$fdstore" zrun-supervisor)" ]'
	again=$(pgrep -x -P "$fdstore" zrun-supervisor)
	[ "$again" != "$supervisor" ] || { echo "supervisor $supervisor still there after kill -9" >&2; return 1; }
	wait_until 5 eval '[ "$(ps -o args= -p "$again")" = "zrun-supervisor api" ]' ||
		{ echo "restarted supervisor $again: expected \"zrun-supervisor api\", saw \"$(ps -o args= -p "$again")\"" >&2; return 1; }
	wait_serving "$URL/" "$TEST_ID-v1"
}
