#!/usr/bin/env bats
# zrun-daemon: the per-service daemons (fdstore, supervisor) run from the
# zrun-daemon file beside the zrun that made the service, also when that
# zrun runs from its sealed copy, and from the zrun itself when it was
# copied alone (docs/decisions.md, "The fdstore and the supervisor are
# exec'd images"). Each test uses its own copy of the binaries.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	setup_common
	DAEMON=$(dirname "$ZRUN")/zrun-daemon
}

teardown() {
	teardown_common
}

# daemons_of SERVICE: "FDSTORE SUPERVISOR" pids, once both run
daemons_of() {
	local fdstore sup
	fdstore=$(grep -o '"supervisor_pid":[0-9]*' "$ROOT/.services/$1/service.json" | cut -d: -f2)
	wait_until 5 eval 'sup=$(pgrep -x -P "$fdstore" zrun-supervisor)' || { echo "no supervisor under $fdstore" >&2; return 1; }
	echo "$fdstore $sup"
}

# end_service ID SERVICE FDSTORE: delete the version; the daemons, the
# service dir and the version's cgroup are gone
end_service() {
	zr delete --force "$1"
	wait_until 10 eval '! kill -0 "$3" 2>/dev/null' || { echo "fdstore $3 left" >&2; return 1; }
	[ ! -e "$ROOT/.services/$2" ] || { echo "service dir $2 left" >&2; return 1; }
	assert_gone "$1" "$(default_cgroup "$1")"
}

# httpd_version: the demo httpd as a bundle of this test ($WORK/v1)
httpd_version() {
	cp -a "$BATS_TEST_DIRNAME/../../bundles/out/httpd-v1" "$WORK/v1"
	echo "$WORK/v1"
}

# serves SOCK: the version answers through the service's listener
serves() {
	local sock=$1
	wait_until 5 eval 'curl -s --max-time 1 --unix-socket "$sock" http://x/ | grep -q v1' ||
		{ echo "$1: no answer from v1" >&2; return 1; }
}

# service_up SERVICE: a version of the demo httpd in a new service made
# with $ZRUN, serving on the unix listener $WORK/SERVICE.sock
service_up() {
	zr create --service "$1" --listen "unix:$WORK/$1.sock" "$TEST_ID" "$(httpd_version)" >/dev/null
	zr start "$TEST_ID"
	serves "$WORK/$1.sock"
}

# daemons_run_from SERVICE EXE: both daemons' /proc/PID/exe is EXE, ps
# shows `zrun-supervisor SERVICE`, a supervisor killed is started again by
# its fdstore from the same file and the service still serves; then the
# service ends and leaves nothing.
daemons_run_from() {
	local svc=$1 want=$2 pids p sup
	pids=$(daemons_of "$svc")
	for p in $pids; do
		expect_eq "$(readlink "/proc/$p/exe")" "$want" "exe of $(cat /proc/$p/comm) $p"
	done
	sup=${pids#* }
	expect_eq "$(ps -o args= -p "$sup")" "zrun-supervisor $svc" "ps of the supervisor"
	kill -KILL "$sup"
	wait_until 5 eval '[ "$(daemons_of "$svc")" != "$pids" ]' || { echo "supervisor $sup not replaced" >&2; return 1; }
	pids=$(daemons_of "$svc")
	expect_eq "$(readlink "/proc/${pids#* }/exe")" "$want" "exe of the new supervisor"
	serves "$WORK/$svc.sock"
	zr service status "$svc" >/dev/null
	end_service "$TEST_ID" "$svc" "${pids%% *}"
}

@test "service_daemons_run_zrun_daemon_beside_the_zrun_that_made_them_even_from_a_memfd_copy" {
	[ -x "$DAEMON" ] || skip "no zrun-daemon beside $ZRUN (make zrun-daemon)"
	# ":" in the directory: zrun runs from a sealed memfd copy, which has
	# no path of its own (src/cloned_binary.c); the daemons still come
	# from beside the host file it was copied from, which the service
	# record keeps for the supervisor's restarts.
	mkdir -p "$WORK/with:colon"
	cp "$ZRUN" "$DAEMON" "$WORK/with:colon/"
	ZRUN=$WORK/with:colon/zrun
	service_up dbin
	grep -q "\"zrun_path\":\"$ZRUN\"" "$ROOT/.services/dbin/service.json" ||
		{ echo "zrun_path: expected $ZRUN, saw $(grep -o '"zrun_path":"[^"]*"' "$ROOT/.services/dbin/service.json")" >&2; false; }
	daemons_run_from dbin "$WORK/with:colon/zrun-daemon"
}

@test "service_daemons_fall_back_to_zrun_itself_when_zrun_is_copied_alone" {
	mkdir -p "$WORK/alone"
	cp "$ZRUN" "$WORK/alone/zrun"
	ZRUN=$WORK/alone/zrun
	service_up dalone
	# the read-only overlay copy of this zrun (a detached mount: the link
	# names the file at its root), as the command that made them
	daemons_run_from dalone /zrun
}

@test "zrun_daemon_run_by_hand_refuses_with_a_clear_error" {
	[ -x "$DAEMON" ] || skip "no zrun-daemon beside $ZRUN (make zrun-daemon)"
	run --separate-stderr "$DAEMON" api
	expect_eq "$status" 2 "exit status"
	expect_eq "$stderr" "zrun-daemon: $DAEMON: not a daemon of a zrun service (zrun starts it, not a user)" "stderr"
	# the daemon's name without the state root in the environment is refused too
	run --separate-stderr env -i "$DAEMON" x
	expect_eq "$status" 2 "exit status without the environment"
}
