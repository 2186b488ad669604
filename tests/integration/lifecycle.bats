#!/usr/bin/env bats
# The runc lifecycle: create -> created -> start -> running -> stopped -> delete.

load helpers

setup() { setup_common; }
teardown() { teardown_common; }

@test "run_exits_with_the_programs_status" {
	ARGS='["sh","-c","exit 7"]' B=$(bundle b1)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$status" 7 "exit status"
	assert_gone "$TEST_ID" /zrun-test/b1
}

@test "create_leaves_the_program_waiting_until_start" {
	ARGS='["sh","-c","echo started > /tmp/marker; sleep 30"]' B=$(bundle b1)
	zr create -b "$B" "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" created
	[ ! -e "$B/rootfs/tmp/marker" ]
	zr start "$TEST_ID"
	for i in $(seq 50); do [ -e "$B/rootfs/tmp/marker" ] && break; sleep 0.1; done
	[ -e "$B/rootfs/tmp/marker" ]
	expect_eq "$(status_of "$TEST_ID")" running
	zr kill "$TEST_ID" KILL
	for i in $(seq 50); do [ "$(status_of "$TEST_ID")" = stopped ] && break; sleep 0.1; done
	expect_eq "$(status_of "$TEST_ID")" stopped
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" /zrun-test/b1
}

@test "pid_file_is_written_before_create_returns" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr create -b "$B" --pid-file "$WORK/pid" "$TEST_ID"
	[ -s "$WORK/pid" ]
	expect_eq "$(cat "$WORK/pid")" "$(pid_of "$TEST_ID")" "pid file"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" /zrun-test/b1
}
