#!/usr/bin/env bats
# pause/resume, update, events, ps and device rules on this cgroup v1 host,
# driven through the zrun binary as containerd drives runc. (The same on
# pure cgroup v2 is covered by tests/vm/guest-tests.sh.)

load helpers

setup() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "not a cgroup v1 host"
	setup_common
}
teardown() { teardown_common; }

V1=/sys/fs/cgroup
BUSY='["sh","-c","while :; do :; done"]'

# A detached container must not hold bats' pipes open.
zr_quiet() { zr "$@" </dev/null >"$WORK/out" 2>"$WORK/err" 3>&-; }
usage_of() { cat "$V1/cpuacct$CGROUPS_PATH_PARENT/$1/cpuacct.usage"; }

# The error contract: one line, "zrun: ...", non-zero status.
expect_one_line_error() {  # what
	[ "$status" -ne 0 ] || { echo "$1: expected a failure, saw status 0: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "$1: expected one line, saw: $output"; return 1; }
	case $output in zrun:*) ;; *) echo "$1: expected 'zrun: ...', saw: $output"; return 1 ;; esac
}

@test "pause_stops_a_busy_loop_and_resume_restarts_it" {
	ARGS=$BUSY B=$(bundle busy)
	zr_quiet run -d -b "$B" "$TEST_ID"
	zr pause "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" paused "status after pause"
	expect_eq "$(cat $V1/freezer$CGROUPS_PATH_PARENT/busy/freezer.state)" FROZEN freezer.state
	a=$(usage_of busy); sleep 1; b=$(usage_of busy)
	expect_eq "$b" "$a" "cpuacct.usage across 1 s while paused"
	zr resume "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" running "status after resume"
	a=$(usage_of busy)
	wait_until 5 eval '[ "$(usage_of busy)" -gt $((a + 100000000)) ]' ||
		{ echo "cpu usage after resume: expected +100 ms within 5 s, saw $a -> $(usage_of busy)"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/busy
}

@test "delete_force_removes_a_paused_container" {
	ARGS=$BUSY B=$(bundle pausedel)
	zr_quiet run -d -b "$B" "$TEST_ID"
	zr pause "$TEST_ID"
	run zr delete "$TEST_ID"
	expect_one_line_error "delete of a paused container without --force"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/pausedel
}

@test "update_memory_limit_takes_effect_from_flags_and_stdin" {
	ARGS='["sleep","60"]' RESOURCES='{"memory":{"limit":67108864}}' B=$(bundle upmem)
	zr_quiet run -d -b "$B" "$TEST_ID"
	d=$V1/memory$CGROUPS_PATH_PARENT/upmem
	expect_eq "$(cat $d/memory.limit_in_bytes)" 67108864 "memory.limit_in_bytes at create"
	zr update --memory 128m "$TEST_ID"
	expect_eq "$(cat $d/memory.limit_in_bytes)" 134217728 "memory.limit_in_bytes after --memory 128m"
	echo '{"memory":{"limit":33554432},"cpu":{"shares":256}}' | zr update --resources - "$TEST_ID"
	expect_eq "$(cat $d/memory.limit_in_bytes)" 33554432 "memory.limit_in_bytes after --resources -"
	expect_eq "$(cat $V1/cpu$CGROUPS_PATH_PARENT/upmem/cpu.shares)" 256 "cpu.shares after --resources -"
	# a flag wins over the JSON, as in runc
	echo '{"memory":{"limit":33554432}}' >"$WORK/res.json"
	zr update --resources "$WORK/res.json" --memory 1G "$TEST_ID"
	expect_eq "$(cat $d/memory.limit_in_bytes)" 1073741824 "memory.limit_in_bytes after --resources FILE --memory 1G"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/upmem
}

@test "update_pids_limit_takes_effect" {
	ARGS='["sleep","60"]' B=$(bundle uppids)
	zr_quiet run -d -b "$B" "$TEST_ID"
	zr update --pids-limit 7 "$TEST_ID"
	expect_eq "$(cat $V1/pids$CGROUPS_PATH_PARENT/uppids/pids.max)" 7 pids.max
	zr update --pids-limit -1 "$TEST_ID"
	expect_eq "$(cat $V1/pids$CGROUPS_PATH_PARENT/uppids/pids.max)" max "pids.max after -1"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/uppids
}

@test "events_stats_numbers_move_as_the_container_works" {
	ARGS=$BUSY RESOURCES='{"pids":{"limit":30}}' B=$(bundle evstats)
	zr_quiet run -d -b "$B" "$TEST_ID"
	one=$(zr events --stats "$TEST_ID")
	sleep 0.5
	two=$(zr events --stats "$TEST_ID")
	echo "$one" | grep -q '^{"type":"stats","id":"'"$TEST_ID"'","data":{"cpu":{"usage":{"total":' ||
		{ echo "not a runc stats event: ${one:0:300}"; false; }
	t1=$(echo "$one" | sed 's/.*"usage":{"total":\([0-9]*\).*/\1/')
	t2=$(echo "$two" | sed 's/.*"usage":{"total":\([0-9]*\).*/\1/')
	[ "$t2" -gt "$t1" ] || { echo "cpu.usage.total did not grow: $t1 then $t2"; false; }
	echo "$two" | grep -q '"pids":{"current":1,"limit":30}' || { echo "pids: ${two:0:600}"; false; }
	echo "$two" | grep -q '"memory":{.*"usage":{"limit":[0-9]*,"usage":[1-9]' || { echo "memory: ${two:0:600}"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/evstats
}

@test "events_stream_reports_an_oom_kill_and_ends_with_the_container" {
	ARGS='["sh","-c","sleep 1; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done"]'
	RESOURCES='{"memory":{"limit":16777216,"swap":16777216}}'
	B=$(bundle evoom)
	zr_quiet run -d -b "$B" "$TEST_ID"
	run timeout 30 "$ZRUN" --root "$ROOT" events --interval 200ms "$TEST_ID"
	[ "$status" -eq 0 ] || { echo "events: status $status (124: still running after 30 s): ${output:0:300}"; false; }
	echo "$output" | grep -qx '{"type":"oom","id":"'"$TEST_ID"'"}' || { echo "no oom event in: ${output:0:600}"; false; }
	echo "$output" | grep -q '^{"type":"stats"' || { echo "no stats event in: ${output:0:300}"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/evoom
}

@test "ps_json_lists_every_pid_of_the_container" {
	NAMESPACES='[{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]'
	ARGS='["sh","-c","sleep 100 & sleep 100 & sleep 100 & wait"]' B=$(bundle psjson)
	zr_quiet run -d -b "$B" "$TEST_ID"
	want=""
	for i in $(seq 50); do
		want=$(sort -n $V1/freezer$CGROUPS_PATH_PARENT/psjson/cgroup.procs | paste -sd, -)
		[ "$(echo "$want" | tr ',' '\n' | wc -l)" -ge 4 ] && break; sleep 0.1
	done
	expect_eq "$(zr ps --format json "$TEST_ID")" "[$want]" "ps --format json"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/psjson
}

@test "ps_table_keeps_the_header_and_the_containers_lines" {
	ARGS='["sleep","77"]' B=$(bundle pstable)
	zr_quiet run -d -b "$B" "$TEST_ID"
	pid=$(pid_of "$TEST_ID")
	run zr ps "$TEST_ID"
	[ "$status" -eq 0 ] || { echo "ps: $output"; false; }
	expect_eq "${#lines[@]}" 2 "lines (header + sleep)"
	echo "${lines[0]}" | grep -q PID || { echo "no header: ${lines[0]}"; false; }
	echo "${lines[1]}" | grep -q " $pid .*sleep 77" || { echo "expected pid $pid running sleep 77: ${lines[1]}"; false; }
	run zr ps "$TEST_ID" -o pid,comm
	expect_eq "$(echo "${lines[1]}" | awk '{print $1, $2}')" "$pid sleep" "ps -o pid,comm"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/pstable
}

@test "a_device_without_an_allow_rule_cannot_be_opened" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	LINUX_EXTRA=',"devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438}]'
	ARGS='["sh","-c","echo x >/dev/null && echo null-ok; exec 3</dev/fuse && echo fuse-opened"]'
	RESOURCES='{"devices":[{"allow":false,"access":"rwm"}]}' B=$(bundle devdeny)
	run zr run -b "$B" "$TEST_ID"
	echo "$output" | grep -qx null-ok || { echo "/dev/null must stay usable: $output"; false; }
	echo "$output" | grep -q "fuse.*Operation not permitted" || { echo "expected EPERM opening /dev/fuse: $output"; false; }
	# the same node with an allow rule opens
	RESOURCES='{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":229,"access":"rw"}]}'
	B=$(bundle devallow)
	run zr run -b "$B" "$TEST_ID-2"
	echo "$output" | grep -qx fuse-opened || { echo "expected the allowed /dev/fuse to open: $output"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/devdeny
	assert_gone "$TEST_ID-2" $CGROUPS_PATH_PARENT/devallow
}

@test "errors_are_one_line_and_leave_nothing" {
	ARGS='["true"]' B=$(bundle errs)
	zr_quiet create -b "$B" "$TEST_ID"
	run zr pause "$TEST_ID"
	expect_one_line_error "pause of a created container"
	echo "$output" | grep -q "not running" || { echo "expected 'not running': $output"; false; }
	zr start "$TEST_ID"
	for i in $(seq 50); do [ "$(status_of "$TEST_ID")" = stopped ] && break; sleep 0.1; done
	run zr pause "$TEST_ID"
	expect_one_line_error "pause of a stopped container"
	echo "$output" | grep -q "container not running" || { echo "expected 'container not running': $output"; false; }
	run zr resume "$TEST_ID"
	expect_one_line_error "resume of a stopped container"
	run zr update --memory 1G nosuch-$TEST_ID
	expect_one_line_error "update of a missing container"
	echo "$output" | grep -q "does not exist" || { echo "expected 'does not exist': $output"; false; }
	run zr update --memory 12zz "$TEST_ID"
	expect_one_line_error "update --memory 12zz"
	echo "$output" | grep -q -- '--memory: invalid value "12zz"' || { echo "expected the bad value named: $output"; false; }
	run zr events --stats "$TEST_ID"
	expect_one_line_error "events --stats of a stopped container"
	echo '{"memory":{"limit":"big"}}' >"$WORK/bad.json"
	run zr update --resources "$WORK/bad.json" "$TEST_ID"
	expect_one_line_error "update --resources with a string limit"
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/errs
	[ ! -e "$ROOT/nosuch-$TEST_ID" ] || { echo "update of a missing container left $ROOT/nosuch-$TEST_ID"; false; }
}
