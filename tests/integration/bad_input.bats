#!/usr/bin/env bats
# Bad input: each is refused with one line on stderr that names what was
# wrong, a non-zero exit, nothing on stdout, and nothing left behind (no
# state dir under --root, no cgroup, no process).

load helpers

bats_require_minimum_version 1.5.0

setup() { setup_common; }
teardown() { teardown_common; }

# No process anywhere refers to this test's files: a left init would still
# have zrun's command line (with $ROOT in it) or a root inside $WORK.
assert_no_process() {
	local left
	left=$( { grep -lsF -- "$ROOT" /proc/[0-9]*/cmdline
		  find /proc/[0-9]*/root -maxdepth 0 -lname "$WORK*" 2>/dev/null; } |
		cut -d/ -f3 | grep -vx "$$" | sort -u | tr '\n' ' ')
	[ -z "$left" ] || { echo "processes left: $left" >&2; ps -o pid,args -p "${left// /,}0" >&2; return 1; }
}

root_is_empty() {
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { echo "left under --root: $(ls -A "$ROOT")" >&2; return 1; }
}

# refused PATTERN CMD...: CMD fails with exactly one "zrun: " line on stderr
# that matches the extended regex PATTERN (case-insensitive), and prints
# nothing on stdout.
refused() {
	local pattern=$1; shift
	run --separate-stderr "$@"
	if [ "$status" -eq 0 ]; then
		echo "expected a failure of: $*; it exited 0 (stdout: $output)" >&2
		return 1
	fi
	if [ "${#stderr_lines[@]}" -ne 1 ]; then
		echo "expected one line on stderr, saw ${#stderr_lines[@]}: $stderr" >&2
		return 1
	fi
	[[ "$stderr" == "zrun: "* ]] || { echo "stderr does not start with \"zrun: \": $stderr" >&2; return 1; }
	if ! grep -qiE -- "$pattern" <<<"$stderr"; then
		echo "expected stderr to match /$pattern/, saw: $stderr" >&2
		return 1
	fi
	[ -z "$output" ] || { echo "expected nothing on stdout, saw: $output" >&2; return 1; }
}

# refused_create PATTERN BUNDLE: create and run of BUNDLE both fail this
# way, and leave nothing.
refused_create() {
	local pattern=$1 b=$2 cmd
	for cmd in create run; do
		refused "$pattern" zr "$cmd" -b "$b" "$TEST_ID"
		assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$(basename "$b")"
		root_is_empty
		assert_no_process
	done
}

@test "missing_bundle_dir_is_refused" {
	refused_create "$WORK/nope.*no such file" "$WORK/nope"
}

@test "missing_config_json_is_refused" {
	make_rootfs "$WORK/b1"
	refused_create "b1/config.json.*no such file" "$WORK/b1"
}

@test "config_json_that_is_a_directory_is_refused" {
	make_rootfs "$WORK/b1"
	mkdir "$WORK/b1/config.json"
	refused_create "config.json.*not a regular file" "$WORK/b1"
}

@test "config_json_that_is_a_fifo_is_refused_without_hanging" {
	make_rootfs "$WORK/b1"
	mkfifo "$WORK/b1/config.json"
	refused "config.json.*not a regular file" timeout 10 "$ZRUN" --root "$ROOT" create -b "$WORK/b1" "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
	root_is_empty
}

@test "invalid_json_is_refused" {
	B=$(bundle b1)
	echo '{"ociVersion": "1.2.0", "process": {' > "$B/config.json"
	refused_create "config.json: invalid JSON" "$B"
}

@test "process_args_of_the_wrong_type_is_refused" {
	ARGS='"sh -c true"' B=$(bundle b1)
	refused_create "config.json: process.args: .*array of strings" "$B"
}

@test "process_cwd_of_the_wrong_type_is_refused" {
	PROCESS_EXTRA=',"cwd": 5' B=$(bundle b1)
	# a duplicate key: the last one wins in yajl's tree
	refused_create "process.cwd" "$B"
}

@test "oversized_config_is_refused" {
	B=$(bundle b1)
	python3 - "$B/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["annotations"] = {"padding": "x" * (5 * 1024 * 1024)}
json.dump(c, open(sys.argv[1], "w"))
PY
	refused_create "config.json.*too large" "$B"
}

@test "missing_rootfs_is_refused" {
	B=$(bundle b1)
	rm -rf "$B/rootfs"
	refused_create "root.path.*rootfs.*no such file" "$B"
}

@test "program_not_in_path_is_refused_at_create" {
	ARGS='["no-such-program"]' B=$(bundle b1)
	refused_create "no-such-program.*not found" "$B"
}

@test "program_path_that_does_not_exist_is_refused_at_create" {
	ARGS='["/bin/no-such-program"]' B=$(bundle b1)
	refused_create "/bin/no-such-program.*no such file" "$B"
}

@test "program_that_is_not_executable_is_refused_at_create" {
	ARGS='["/etc/passwd"]' B=$(bundle b1)
	refused_create "/etc/passwd.*permission denied" "$B"
}

@test "id_with_a_slash_is_refused" {
	B=$(bundle b1)
	refused "invalid container id" zr create -b "$B" "a/b"
	refused "invalid container id" zr run -b "$B" "../$TEST_ID"
	assert_no_cgroup_of b1
	root_is_empty
	[ ! -e "$WORK/$TEST_ID" ] || { echo "created $WORK/$TEST_ID"; false; }
	assert_no_process
}

@test "id_dot_dot_is_refused" {
	B=$(bundle b1)
	refused "invalid container id" zr create -b "$B" ".."
	refused "invalid container id" zr create -b "$B" "."
	refused "container id must not be empty" zr create -b "$B" ""
	refused "invalid container id" zr state ".."
	refused "invalid container id" zr delete --force ".."
	assert_no_cgroup_of b1
	root_is_empty
	assert_no_process
}

@test "duplicate_id_is_refused_and_the_first_container_kept" {
	ARGS='["sleep","30"]' B1=$(bundle b1)
	ARGS='["sleep","30"]' B2=$(bundle b2)
	zr create -b "$B1" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	refused "$TEST_ID.*already exists" zr create -b "$B2" "$TEST_ID"
	refused "$TEST_ID.*already exists" zr run -b "$B2" "$TEST_ID"
	assert_no_cgroup_of b2
	expect_eq "$(status_of "$TEST_ID")" created
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
	assert_no_process
}

@test "start_of_a_running_container_is_refused" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	refused "start $TEST_ID: .*already running" zr start "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" running
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "start_of_a_stopped_container_is_refused" {
	ARGS='["true"]' B=$(bundle b1)
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	for i in $(seq 100); do [ "$(status_of "$TEST_ID")" = stopped ] && break; sleep 0.05; done
	refused "start $TEST_ID: .*stopped" zr start "$TEST_ID"
	refused "kill $TEST_ID: .*not running" zr kill "$TEST_ID" KILL
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "start_of_a_missing_container_is_refused" {
	refused "start $TEST_ID: .*does not exist" zr start "$TEST_ID"
	refused "state $TEST_ID: .*does not exist" zr state "$TEST_ID"
	refused "kill $TEST_ID: .*does not exist" zr kill "$TEST_ID"
	refused "delete $TEST_ID: .*does not exist" zr delete "$TEST_ID"
	root_is_empty
}

@test "delete_of_a_running_container_without_force_is_refused" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	refused "delete $TEST_ID: .*not stopped" zr delete "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" running
	kill -0 "$(pid_of "$TEST_ID")"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "unknown_signal_is_refused" {
	ARGS='["sleep","30"]' B=$(bundle b1)
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	refused "unknown signal \"SIGFOO\"" zr kill "$TEST_ID" SIGFOO
	refused "unknown signal \"0x9\"" zr kill "$TEST_ID" 0x9
	refused "unknown signal \"999\"" zr kill "$TEST_ID" 999
	# options are taken after the id too: `kill ID -9` is an unknown option
	refused "kill: unknown option -9" zr kill "$TEST_ID" -9
	refused "unknown signal \"-9\"" zr kill "$TEST_ID" -- -9
	expect_eq "$(status_of "$TEST_ID")" running
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
}

@test "unknown_option_is_refused" {
	B=$(bundle b1)
	refused "unknown option --bogus" zr create --bogus -b "$B" "$TEST_ID"
	refused "unknown option --bogus" zr kill --bogus "$TEST_ID"
	refused "unknown global option --bogus" zr --bogus list
	refused "unknown command \"bogus\"" zr bogus
	refused "unknown option -x" zr list -qx
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
	root_is_empty
}

@test "missing_id_argument_is_refused" {
	local c
	for c in create start run state kill delete; do
		refused "$c: expects <container-id>" zr "$c"
	done
	refused "too many arguments" zr state a b
	refused "too many arguments" zr list extra
	root_is_empty
}

@test "option_without_its_value_is_refused" {
	refused "create: option --pid-file needs a value" zr create --pid-file
	refused "create: option -b needs a value" zr create -b
	refused "list: option -f needs a value" zr list -qf
	refused "global option --root needs a value" "$ZRUN" --root
	root_is_empty
}

@test "bad_log_format_is_refused" {
	refused "log-format.*\"xml\"" zr --log-format xml list
	refused "global option --log-format needs a value" zr --log-format
	refused "list: --format: \"yaml\"" zr list --format yaml
}

@test "preserve_fds_that_is_not_a_number_is_refused" {
	B=$(bundle b1)
	refused "preserve-fds.*\"abc\"" zr create --preserve-fds abc -b "$B" "$TEST_ID"
	refused "preserve-fds.*\"-1\"" zr run --preserve-fds -1 -b "$B" "$TEST_ID"
	refused "preserve-fds" zr create --preserve-fds 99999999 -b "$B" "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b1
	root_is_empty
}

@test "root_that_is_a_regular_file_is_refused" {
	B=$(bundle b1)
	: > "$WORK/rootfile"
	local Z=("$ZRUN" --root "$WORK/rootfile")
	refused "$WORK/rootfile.*not a directory" "${Z[@]}" create -b "$B" "$TEST_ID"
	refused "$WORK/rootfile.*not a directory" "${Z[@]}" run -b "$B" "$TEST_ID"
	refused "$WORK/rootfile.*not a directory" "${Z[@]}" list
	refused "not a directory" "${Z[@]}" state "$TEST_ID"
	assert_no_cgroup_of b1
	[ -f "$WORK/rootfile" ] && [ ! -s "$WORK/rootfile" ]
	assert_no_process
}

assert_no_cgroup_of() {
	local d
	for d in /sys/fs/cgroup/*/; do
		[ ! -d "${d}${CGROUPS_PATH_PARENT#/}/$1" ] || { echo "cgroup ${d}${CGROUPS_PATH_PARENT#/}/$1 left" >&2; return 1; }
	done
}
