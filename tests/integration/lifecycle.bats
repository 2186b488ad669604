#!/usr/bin/env bats
# The runc lifecycle: create -> created -> start -> running -> stopped -> delete,
# and what each command promises along the way (exit codes, signals, state
# JSON, fds and dumpability of the init, serialization on the lock).

load helpers

bats_require_minimum_version 1.5.0

setup() { setup_common; }
teardown() { teardown_common; }

NO_PID_NS='[{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]'

assert_no_cgroup() {
	local d
	for d in /sys/fs/cgroup/*/; do
		[ ! -d "$d${1#/}" ] || { echo "cgroup $d${1#/} left" >&2; return 1; }
	done
}
status_is() { [ "$(status_of "$1")" = "$2" ]; }
file_has() { [ -s "$1" ] && grep -q "$2" "$1"; }
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# A detached container must not hold bats' pipes open: its stdio goes to
# files of the test.
zr_quiet() { zr "$@" </dev/null >"$WORK/out" 2>"$WORK/err" 3>&-; }

@test "run_exits_with_the_programs_status" {
	ARGS='["sh","-c","exit 7"]' B=$(bundle b1)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 7 "exit status"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "run_exits_128_plus_the_signal_that_killed_the_program" {
	# No pid namespace: as pid 1 of its own namespace sh could not SIGKILL itself.
	NAMESPACES=$NO_PID_NS ARGS='["sh","-c","kill -9 $$"]' B=$(bundle b1)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 137 "exit status"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "run_forwards_sigterm_to_the_program" {
	ARGS='["sh","-c","trap \"exit 42\" TERM; echo ready > /tmp/ready; while :; do sleep 0.05; done"]' B=$(bundle b1)
	# exec: $! must be zrun itself, not a subshell running the zr function
	(exec "$ZRUN" --root "$ROOT" run -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-) &
	local run_pid=$!
	wait_until 5 test -e "$B/rootfs/tmp/ready"
	kill -TERM "$run_pid"
	local rc=0
	wait "$run_pid" || rc=$?
	expect_eq "$rc" 42 "exit status of run after SIGTERM"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "run_detach_returns_while_the_program_runs" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	local t0=$SECONDS
	zr_quiet run --detach -b "$B" "$TEST_ID"
	[ $((SECONDS - t0)) -lt 10 ] || { echo "run --detach took $((SECONDS - t0)) s"; false; }
	expect_eq "$(status_of "$TEST_ID")" running
	kill -0 "$(pid_of "$TEST_ID")"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "create_leaves_the_program_waiting_until_start" {
	ARGS='["sh","-c","echo started > /tmp/marker; sleep 30"]' B=$(bundle b1)
	zr_quiet create -b "$B" "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" created
	sleep 0.2
	[ ! -e "$B/rootfs/tmp/marker" ] || { echo "program ran before start"; false; }
	zr start "$TEST_ID"
	wait_until 5 test -e "$B/rootfs/tmp/marker"
	expect_eq "$(status_of "$TEST_ID")" running
	zr kill "$TEST_ID" KILL
	wait_until 5 status_is "$TEST_ID" stopped
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "status_is_stopped_with_pid_0_once_the_program_exits" {
	ARGS='["sh","-c","exit 3"]' B=$(bundle b1)
	zr_quiet create -b "$B" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	[ "$pid" -gt 0 ]
	zr start "$TEST_ID"
	wait_until 5 status_is "$TEST_ID" stopped
	expect_eq "$(pid_of "$TEST_ID")" 0 "pid of a stopped container"
	run zr list
	[[ "$output" == *"$TEST_ID"*stopped* ]] || { echo "list: $output"; false; }
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "status_is_creating_while_create_is_in_progress" {
	# Opening a namespace path that is a fifo blocks create (before the init
	# exists) until something writes to it; setns on it then fails.
	mkfifo "$WORK/nsfifo"
	NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"network","path":"'"$WORK"'/nsfifo"}]' B=$(bundle b1)
	zr create -b "$B" "$TEST_ID" </dev/null >"$WORK/out" 2>"$WORK/err" 3>&- &
	local create_pid=$!
	wait_until 5 test -e "$ROOT/$TEST_ID/state.json"
	expect_eq "$(status_of "$TEST_ID")" creating
	run zr list
	[[ "$output" == *"$TEST_ID"*creating* ]] || { echo "list: $output"; false; }
	run zr create -b "$B" "$TEST_ID"
	[ "$status" -ne 0 ] && [[ "$output" == *"already exists"* ]] || { echo "second create: $status $output"; false; }
	timeout 5 sh -c "echo x > $WORK/nsfifo"
	local rc=0
	wait "$create_pid" || rc=$?
	[ "$rc" -ne 0 ] || { echo "create with a fifo as netns succeeded"; false; }
	grep -q 'network' "$WORK/err" || { echo "create error: $(cat "$WORK/err")"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "delete_cleans_up_after_a_create_that_was_killed" {
	mkfifo "$WORK/nsfifo"
	NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"uts"},{"type":"network","path":"'"$WORK"'/nsfifo"}]' B=$(bundle b1)
	(exec "$ZRUN" --root "$ROOT" create -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-) &
	local create_pid=$!
	wait_until 5 test -e "$ROOT/$TEST_ID/state.json"
	expect_eq "$(status_of "$TEST_ID")" creating
	kill -KILL "$create_pid"
	wait "$create_pid" || true
	# Nobody holds the lock any more: the create is over, and not created.
	expect_eq "$(status_of "$TEST_ID")" stopped
	run zr kill "$TEST_ID" KILL
	[ "$status" -ne 0 ] || { echo "kill of a dead create succeeded"; false; }
	run zr start "$TEST_ID"
	[ "$status" -ne 0 ] || { echo "start of a dead create succeeded"; false; }
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "kill_sends_sigterm_by_default" {
	ARGS='["sh","-c","trap \"echo TERM > /tmp/got; exit 0\" TERM; echo ready > /tmp/ready; while :; do sleep 0.05; done"]' B=$(bundle b1)
	zr_quiet run -d -b "$B" "$TEST_ID"
	wait_until 5 test -e "$B/rootfs/tmp/ready"
	zr kill "$TEST_ID"
	wait_until 5 file_has "$B/rootfs/tmp/got" TERM
	wait_until 5 status_is "$TEST_ID" stopped
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "kill_takes_a_signal_by_name_number_or_with_sig_prefix" {
	ARGS='["sh","-c","for s in USR1 USR2 HUP; do trap \"echo $s >> /tmp/got\" $s; done; echo ready > /tmp/ready; while :; do sleep 0.05; done"]' B=$(bundle b1)
	zr_quiet run -d -b "$B" "$TEST_ID"
	wait_until 5 test -e "$B/rootfs/tmp/ready"
	zr kill "$TEST_ID" USR1
	wait_until 5 file_has "$B/rootfs/tmp/got" USR1
	zr kill "$TEST_ID" 12          # SIGUSR2 on x86
	wait_until 5 file_has "$B/rootfs/tmp/got" USR2
	zr kill "$TEST_ID" SIGHUP
	wait_until 5 file_has "$B/rootfs/tmp/got" HUP
	zr kill "$TEST_ID" sigkill
	wait_until 5 status_is "$TEST_ID" stopped
	expect_eq "$(tr '\n' ' ' < "$B/rootfs/tmp/got")" "USR1 USR2 HUP " "signals received"
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "kill_all_reaches_every_process_without_a_pid_namespace" {
	NAMESPACES=$NO_PID_NS ARGS='["sh","-c","sleep 60 & echo $! > /tmp/pids; sleep 61 & echo $! >> /tmp/pids; wait"]' B=$(bundle b1)
	zr_quiet run -d -b "$B" "$TEST_ID"
	wait_until 5 eval 'test "$(wc -l < "$B/rootfs/tmp/pids" 2>/dev/null)" = 2'
	local init; init=$(pid_of "$TEST_ID")
	local pids; pids="$init $(cat "$B/rootfs/tmp/pids")"
	for p in $pids; do kill -0 "$p"; done
	zr kill --all "$TEST_ID" KILL
	for p in $pids; do wait_until 5 pid_gone "$p"; done
	wait_until 5 status_is "$TEST_ID" stopped
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "delete_of_a_created_container_needs_no_force" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr_quiet create -b "$B" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	zr delete "$TEST_ID"
	wait_until 5 pid_gone "$pid"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "delete_force_kills_a_running_container" {
	ARGS='["sh","-c","trap \"\" TERM; sleep 30"]' B=$(bundle b1)
	zr_quiet run -d -b "$B" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	zr delete --force "$TEST_ID"
	pid_gone "$pid" || { echo "init $pid still alive"; false; }
	run zr state "$TEST_ID"
	[ "$status" -ne 0 ] && [[ "$output" == *"does not exist"* ]] || { echo "state after delete: $output"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "delete_force_of_a_missing_container_succeeds_silently" {
	run --separate-stderr zr delete --force "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output$stderr" "" "output"
	mkdir -p "$ROOT"
	run --separate-stderr zr delete --force "$TEST_ID"
	expect_eq "$status" 0 "exit status with an existing root"
	expect_eq "$output$stderr" "" "output with an existing root"
	assert_gone "$TEST_ID"
}

@test "state_json_has_every_runc_field" {
	ARGS='["sleep","30"]' TOP_EXTRA=',"annotations":{"org.example.key":"a value"}' B=$(bundle b1)
	zr_quiet create -b "$B" --pid-file "$WORK/pid" "$TEST_ID"
	run zr state "$TEST_ID"
	[ "$status" -eq 0 ]
	echo "$output" > "$WORK/state.json"
	python3 - "$WORK/state.json" "$TEST_ID" "$(cat "$WORK/pid")" "$(realpath "$B")" <<'PY'
import json, re, sys
path, cid, pid, bundle = sys.argv[1:]
s = json.load(open(path))
want = {"ociVersion": "1.2.0", "id": cid, "pid": int(pid), "status": "created",
        "bundle": bundle, "rootfs": bundle + "/rootfs", "owner": "root",
        "annotations": {"org.example.key": "a value"}}
bad = [f"{k}: expected {v!r}, saw {s.get(k, '<missing>')!r}" for k, v in want.items() if s.get(k) != v]
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", str(s.get("created"))):
    bad.append(f"created: not RFC 3339: {s.get('created')!r}")
if bad:
    sys.exit("\n".join(bad))
PY
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "list_prints_a_table_quiet_ids_and_json" {
	ARGS='["sleep","30"]' B1=$(bundle b1)
	ARGS='["sleep","30"]' B2=$(bundle b2)
	zr_quiet create -b "$B1" "$TEST_ID-a"
	zr_quiet run -d -b "$B2" "$TEST_ID-b"
	run zr list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]] || { echo "header: ${lines[0]}"; false; }
	[[ "${lines[1]}" =~ ^$TEST_ID-a\ +[0-9]+\ +created\ +$B1\ .*root$ ]] || { echo "row 1: ${lines[1]}"; false; }
	[[ "${lines[2]}" =~ ^$TEST_ID-b\ +[0-9]+\ +running\ +$B2\ .*root$ ]] || { echo "row 2: ${lines[2]}"; false; }
	expect_eq "${#lines[@]}" 3 "table lines"
	run zr list -q
	expect_eq "$output" "$TEST_ID-a"$'\n'"$TEST_ID-b" "list -q"
	run zr list --format json
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
l = json.load(sys.stdin)
got = sorted((c["id"], c["status"]) for c in l)
want = sorted([(sys.argv[1] + "-a", "created"), (sys.argv[1] + "-b", "running")])
assert got == want, f"expected {want}, saw {got}"
for c in l:
    for k in ("ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"):
        assert k in c, f"{k} missing in {c}"
' "$TEST_ID"
	zr delete --force "$TEST_ID-a"
	zr delete --force "$TEST_ID-b"
	run zr list --format json
	expect_eq "$output" "[]" "list of an empty root"
	assert_gone "$TEST_ID-a" $CGROUPS_PATH_PARENT/b1
	assert_gone "$TEST_ID-b" $CGROUPS_PATH_PARENT/b2
}

# process.env reaches the program as written: an empty LISTEN_PID= of a
# plain container's config used to be filled in with the init's pid (the
# service layer's marker, matched by its text in every environment).
@test "process_env_reaches_the_program_as_written_even_an_empty_listen_pid" {
	ARGS='["sh","-c","echo \"LISTEN_PID=[$LISTEN_PID]\""]' B=$(bundle b1)
	sed -i 's|"HOME=/root"|"HOME=/root", "LISTEN_PID="|' "$B/config.json"
	grep -q '"LISTEN_PID="' "$B/config.json"
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "LISTEN_PID=[]" "what the program saw"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

# The fault hooks are compiled into the test build only (runtime/fault.h):
# the shipped zrun does not read ZRUN_TEST_FAULT, which would make create
# kill itself half-way. (The ASan build has them, for the asan suite.)
@test "shipped_zrun_ignores_the_test_hooks" {
	if grep -q __asan_init "$ZRUN"; then skip "the ASan build has the test hooks"; fi
	ARGS='["sleep","30"]' B=$(bundle b1)
	local rc=0
	ZRUN_TEST_FAULT=create-after-state-dir zr_quiet create -b "$B" "$TEST_ID" || rc=$?
	expect_eq "$rc" 0 "create's exit status with ZRUN_TEST_FAULT=create-after-state-dir"
	expect_eq "$(status_of "$TEST_ID")" created "status after that create"
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "pid_file_is_written_before_create_returns" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr_quiet create -b "$B" --pid-file "$WORK/pid" "$TEST_ID"
	[ -s "$WORK/pid" ]
	expect_eq "$(cat "$WORK/pid")" "$(pid_of "$TEST_ID")" "pid file"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

# The program is pid 1 of its pid namespace; `ls /proc/1/fd` from a child
# (the "; true" keeps sh from exec'ing ls) lists exactly what it was given.
@test "preserve_fds_passes_exactly_stdio_and_the_preserved_fds" {
	ARGS='["sh","-c","ls /proc/1/fd; true"]' B=$(bundle b1)
	exec 7</etc/hostname
	run zr run --preserve-fds 2 -b "$B" "$TEST_ID" 3</etc/hostname 4</etc/hostname 5</etc/hostname
	exec 7<&-
	expect_eq "$status" 0 "exit status"
	expect_eq "$(echo $output)" "0 1 2 3 4" "fds of the container's pid 1"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "no_fd_of_the_caller_leaks_into_the_container" {
	ARGS='["sh","-c","ls /proc/1/fd; true"]' B=$(bundle b1)
	exec 7</etc/hostname
	run zr run -b "$B" "$TEST_ID" 3</etc/hostname 9</etc/hostname
	exec 7<&-
	expect_eq "$status" 0 "exit status"
	expect_eq "$(echo $output)" "0 1 2" "fds of the container's pid 1"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

# CVE-2019-5736 class: before exec the init is a clone of the host zrun; a
# process of the same uid without CAP_SYS_PTRACE must not reach its exe. After
# exec the program is dumpable again, which shows the check can succeed.
@test "init_is_not_dumpable_before_start" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr_quiet create -b "$B" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	run setpriv --bounding-set -sys_ptrace readlink "/proc/$pid/exe"
	[ "$status" -ne 0 ] || { echo "exe of the created init readable: $output"; false; }
	zr start "$TEST_ID"
	wait_until 5 sh -c "setpriv --bounding-set -sys_ptrace readlink /proc/$pid/exe | grep -q busybox"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "concurrent_starts_run_the_program_once" {
	ARGS='["sh","-c","echo x >> /tmp/starts; sleep 30"]' B=$(bundle b1)
	zr_quiet create -b "$B" "$TEST_ID"
	local i pids=() ok=0
	for i in 1 2 3 4; do zr start "$TEST_ID" 2>/dev/null & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i" && ok=$((ok + 1)); done
	expect_eq "$ok" 1 "starts that succeeded"
	wait_until 5 test -s "$B/rootfs/tmp/starts"
	sleep 0.2
	expect_eq "$(wc -l < "$B/rootfs/tmp/starts")" 1 "times the program ran"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "concurrent_force_deletes_all_succeed_and_leave_nothing" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr_quiet run -d -b "$B" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	local i pids=() failed=0
	for i in 1 2 3 4 5 6 7 8; do zr delete --force "$TEST_ID" 2>>"$WORK/del.err" & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
	expect_eq "$failed" 0 "deletes that failed ($(cat "$WORK/del.err"))"
	pid_gone "$pid"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "second_create_with_the_same_id_fails_and_leaves_the_first_alone" {
	ARGS='["sleep","30"]' B1=$(bundle b1)
	ARGS='["sleep","30"]' B2=$(bundle b2)
	zr_quiet create -b "$B1" "$TEST_ID"
	local before; before=$(zr state "$TEST_ID")
	run --separate-stderr zr create -b "$B2" "$TEST_ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"already exists"* ]] || { echo "stderr: $stderr"; false; }
	expect_eq "$(zr state "$TEST_ID")" "$before" "state of the first container"
	kill -0 "$(pid_of "$TEST_ID")"
	assert_no_cgroup $CGROUPS_PATH_PARENT/b2
	zr start "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" running
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}
