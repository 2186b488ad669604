#!/usr/bin/env bats
# Terminals: process.terminal and exec --tty get a pty from the container's
# own devpts; its master goes to --console-socket (SCM_RIGHTS, as
# containerd's shim expects) or, in the foreground, zrun relays it.

load helpers

RECEIVER="$BATS_TEST_DIRNAME/console_receiver.py"

setup() { setup_common; }
teardown() {
	[ -z "${RECV_PID:-}" ] || kill "$RECV_PID" 2>/dev/null || true
	teardown_common
}

# tty_bundle NAME: a bundle whose process has a terminal
tty_bundle() {
	B=$(bundle "$1")
	sed -i 's/"terminal": false/"terminal": true/' "$B/config.json"
}

# start_receiver INPUT: a console socket at $WORK/console.sock that types
# INPUT into the pty it receives and writes what it reads to $WORK/console.out
start_receiver() {
	python3 "$RECEIVER" "$WORK/console.sock" "$1" "$WORK/console.out" 20 > "$WORK/receiver.log" &
	RECV_PID=$!
	for _ in $(seq 100); do
		[ -S "$WORK/console.sock" ] && return 0
		sleep 0.05
	done
	echo "console receiver did not start" >&2
	return 1
}

# wait_receiver: wait for the receiver to finish (the terminal closed, or
# its own time limit), then its transcript is in $output. Not under `run`:
# a subshell cannot wait for the receiver, and would read the transcript
# while the shell is still writing it.
wait_receiver() {
	wait "$RECV_PID" || true
	RECV_PID=
	output=$(cat "$WORK/console.out")
}

# zrun in the foreground on a pty of its own, input from a pipe: `script`
# gives zrun a terminal as an interactive user would have.
on_a_tty() {  # INPUT COMMAND...
	local input=$1
	shift
	printf "$input" | timeout 20 script -qec "$*" /dev/null
}

@test "tty_exec_sends_a_working_pty_to_the_console_socket" {
	ARGS='["sleep","600"]' B=$(bundle ttyexec)
	zr run -d -b "$B" "$TEST_ID"
	start_receiver 'echo hi-$((1+1)); tty\nexit\n'
	zr exec -t -d --console-socket "$WORK/console.sock" --pid-file "$WORK/pid" "$TEST_ID" sh >/dev/null
	kill -0 "$(cat "$WORK/pid")"
	wait_receiver
	echo "$output"
	[[ "$output" == *"hi-2"* ]] || { echo "expected hi-2 from the shell"; false; }
	[[ "$output" == *"name=/dev/pts/0"* ]] || { echo "expected a pty of the container's devpts"; false; }
	[[ "$output" == *"/dev/pts/0"*"/dev/pts/0"* ]] || { echo "expected tty to print /dev/pts/0"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttyexec
}

@test "create_with_a_terminal_sends_the_pty_and_start_runs_the_shell_on_it" {
	ARGS='["sh"]' tty_bundle ttycreate
	start_receiver 'echo hi-$((1+1))\nexit 4\n'
	zr create -b "$B" --console-socket "$WORK/console.sock" "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" created "status"
	zr start "$TEST_ID"
	wait_receiver
	echo "$output"
	[[ "$output" == *"hi-2"* ]] || { echo "expected hi-2 from the shell"; false; }
	for _ in $(seq 100); do
		[ "$(status_of "$TEST_ID")" = stopped ] && break
		sleep 0.05
	done
	expect_eq "$(status_of "$TEST_ID")" stopped "status after exit"
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttycreate
}

@test "run_with_a_terminal_relays_it_in_the_foreground" {
	ARGS='["sh"]' tty_bundle ttyrun
	run on_a_tty 'echo hi-$((1+1))\ntty\nexit 3\n' "$ZRUN" --root "$ROOT" run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 3 "exit status"
	[[ "$output" == *"hi-2"* ]] || { echo "expected hi-2 from the shell"; false; }
	[[ "$output" == *"/dev/pts/0"* ]] || { echo "expected the container's pty"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttyrun
}

@test "run_with_a_terminal_gets_its_console_size" {
	ARGS='["stty","size"]' PROCESS_EXTRA=',"consoleSize":{"height":37,"width":101}' tty_bundle ttysize
	run on_a_tty '' "$ZRUN" --root "$ROOT" run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ "$output" == *"37 101"* ]] || { echo "expected rows cols 37 101"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttysize
}

@test "tty_exec_relays_in_the_foreground_and_exits_with_the_status" {
	ARGS='["sleep","600"]' B=$(bundle ttyfg)
	zr run -d -b "$B" "$TEST_ID"
	run on_a_tty 'echo hi-$((1+1))\nexit 6\n' "$ZRUN" --root "$ROOT" exec -t "$TEST_ID" sh
	echo "$output"
	expect_eq "$status" 6 "exit status"
	[[ "$output" == *"hi-2"* ]] || { echo "expected hi-2 from the shell"; false; }
	run on_a_tty '' "$ZRUN" --root "$ROOT" exec -t "$TEST_ID" sh -c "'test -t 0 && test -t 1 && echo on-a-tty'"
	[[ "$output" == *"on-a-tty"* ]] || { echo "expected stdin and stdout on a tty: $output"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttyfg
}

@test "a_terminal_without_console_socket_fails_clearly_when_detached" {
	ARGS='["sh"]' tty_bundle ttydetach
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot allocate a tty without --console-socket when detached"* ]] ||
		{ echo "expected the console-socket message"; false; }
	run zr run -d -b "$B" "$TEST_ID"
	[[ "$output" == *"cannot allocate a tty without --console-socket when detached"* ]] ||
		{ echo "expected the console-socket message from run -d: $output"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttydetach
	sed -i 's/"terminal": true/"terminal": false/; s/\["sh"\]/["sleep","600"]/' "$B/config.json"
	zr run -d -b "$B" "$TEST_ID"
	run zr exec -t -d "$TEST_ID" sh
	[[ "$output" == *"cannot allocate a tty without --console-socket when detached"* ]] ||
		{ echo "expected the console-socket message from exec -t -d: $output"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ttydetach
}

# `zrun spec` writes "terminal": true (as runc spec), so the first detached
# create of a config a user made with it fails: the error names the setting
# to change, which the console-socket wording alone did not.
@test "a_detached_create_of_a_zrun_spec_config_names_process_terminal" {
	make_rootfs "$WORK/spec"
	(cd "$WORK/spec" && zr spec)
	run zr create -b "$WORK/spec" "$TEST_ID"
	[ "$status" -ne 0 ] || { echo "expected create to fail"; return 1; }
	local want="zrun: create $TEST_ID: cannot allocate a tty without --console-socket when detached (config.json: process.terminal is true; set it to false)"
	[ "$output" = "$want" ] || { echo "expected: $want"; echo "seen: $output"; return 1; }
	assert_gone "$TEST_ID" "$(default_cgroup "$TEST_ID")"
}
