#!/usr/bin/env bats
# A hostile or clumsy version cannot hurt the others (issue 18): ids that are
# not real ids, configs whose state could not be read back, corrupt state,
# ids that name zrun's own files, NUL bytes in JSON strings, an unsafe --root.
# Each refusal is one "zrun: " line on stderr naming what was wrong, a
# non-zero exit, and nothing left behind.

load helpers

bats_require_minimum_version 1.5.0

setup() { setup_common; }
teardown() {
	# Bundles are named $TEST_ID-*, and so are their cgroups: whatever a
	# binary under test hid from `list` (the old one did) dies here too.
	local p d
	for p in $(grep -ls "$CGROUPS_PATH_PARENT/$TEST_ID-" /proc/[0-9]*/cgroup | cut -d/ -f3); do
		kill -9 "$p" 2>/dev/null
	done
	teardown_common
	for d in /sys/fs/cgroup/*$CGROUPS_PATH_PARENT/"$TEST_ID"-*; do
		[ -d "$d" ] && { wait_until 5 rmdir "$d" || true; }
	done
	return 0
}

# tb NAME: a bundle named $TEST_ID-NAME (its cgroup too, see teardown).
tb() { bundle "$TEST_ID-$1"; }

# refused PATTERN CMD...: CMD fails with exactly one "zrun: " line on stderr
# matching the extended regex PATTERN, and prints nothing on stdout. Output
# goes to files, not pipes: a container wrongly created keeps its stdio open
# and a pipe would wait for it forever.
refused() {
	local pattern=$1 rc=0 err out; shift
	"$@" >"$WORK/refused.out" 2>"$WORK/refused.err" || rc=$?
	out=$(cat "$WORK/refused.out"); err=$(cat "$WORK/refused.err")
	if [ "$rc" -eq 0 ]; then
		echo "expected a failure of: $*; it exited 0 (stdout: $out)" >&2
		return 1
	fi
	if [ "$(wc -l < "$WORK/refused.err")" -ne 1 ] || [[ "$err" != "zrun: "* ]]; then
		echo "expected one \"zrun: \" line on stderr, saw: $err" >&2
		return 1
	fi
	grep -qE -- "$pattern" <<<"$err" ||
		{ echo "expected stderr to match /$pattern/, saw: $err" >&2; return 1; }
	[ -z "$out" ] || { echo "expected nothing on stdout, saw: $out" >&2; return 1; }
}

root_is_empty() {
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { echo "left under --root: $(ls -A "$ROOT")" >&2; return 1; }
}

# No process refers to this test's files (a left init has $ROOT in its
# command line or a root inside $WORK, a service's fdstore or supervisor
# has it in its environment).
assert_no_process() {
	local left
	left=$( { grep -lsF -- "$ROOT" /proc/[0-9]*/cmdline
		  grep -lsF -- "ZRUN_SERVICE_ROOT=$ROOT" /proc/[0-9]*/environ  # a service's fdstore or supervisor
		  find /proc/[0-9]*/root -maxdepth 0 -lname "$WORK*" 2>/dev/null; } |
		cut -d/ -f3 | grep -vx "$$" | sort -u | tr '\n' ' ')
	[ -z "$left" ] || { echo "processes left: $left" >&2; return 1; }
}

# refused_create PATTERN BUNDLE: create of BUNDLE fails that way, leaves nothing.
refused_create() {
	refused "$1" zr create -b "$2" "$TEST_ID"
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$(basename "$2")"
	root_is_empty
	assert_no_process
}

# edit_config BUNDLE JQ-FILTER: rewrite BUNDLE/config.json through jq.
edit_config() {
	jq "$2" "$1/config.json" > "$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# ---- ids that are not real ids (4294967295 is -1: "unchanged" to the kernel)

@test "uid_4294967295_is_refused_naming_the_json_path" {
	local field
	for field in uid gid; do
		B=$(tb "b$field")
		edit_config "$B" ".process.user.$field = 4294967295"
		refused_create "config.json: process.user.$field: 4294967295 is not a valid id" "$B"
	done
	B=$(tb bgids)
	edit_config "$B" '.process.user.additionalGids = [5, 4294967295]'
	refused_create "config.json: process.user.additionalGids\[1\]: 4294967295 is not a valid gid" "$B"
	# negative and beyond 32 bits (refused before too, kept so)
	B=$(tb bneg)
	edit_config "$B" '.process.user.uid = -1'
	refused_create "config.json: process.user.uid: must be an integer between 0 and" "$B"
	B=$(tb bbig)
	edit_config "$B" '.process.user.gid = 4294967296'
	refused_create "config.json: process.user.gid: " "$B"
}

@test "uid_4294967295_is_refused_by_exec_process_and_user" {
	ARGS='["sleep","60"]' B=$(tb b1)
	zr run -d -b "$B" "$TEST_ID" >/dev/null
	jq -n '{args: ["id","-u"], cwd: "/", user: {uid: 4294967295, gid: 0}}' > "$WORK/p.json"
	refused "p.json: user.uid: 4294967295 is not a valid id" zr exec --process "$WORK/p.json" "$TEST_ID"
	jq -n '{args: ["id","-u"], cwd: "/", user: {uid: 0, gid: 0, additionalGids: [4294967295]}}' > "$WORK/p.json"
	refused "user.additionalGids\[0\]: 4294967295 is not a valid gid" zr exec --process "$WORK/p.json" "$TEST_ID"
	refused "exec: --user: 4294967295 is out of range" zr exec -u 4294967295 "$TEST_ID" id -u
	refused "exec: --user: 4294967295 is out of range" zr exec -u 0:4294967295 "$TEST_ID" id -u
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/$TEST_ID-b1
}

@test "id_mapping_that_runs_past_the_last_id_is_refused" {
	local m
	for m in '{containerID: 0, hostID: 4294967000, size: 1000}' \
		 '{containerID: 4294967295, hostID: 100000, size: 1}'; do
		B=$(tb b1)
		edit_config "$B" ".linux.namespaces += [{type: \"user\"}] |
			.linux.uidMappings = [$m] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]"
		refused_create "config.json: linux.uidMappings\[0\]\.(hostID|containerID): .*(runs past the last valid id|is not a valid id)" "$B"
		rm -rf "$B"
	done
}

@test "device_uid_4294967295_is_refused" {
	B=$(tb b1)
	edit_config "$B" '.linux.devices = [{path: "/dev/zr", type: "c", major: 1, minor: 3, uid: 4294967295}]'
	refused_create "config.json: linux.devices\[0\]\.uid: 4294967295 is not a valid id" "$B"
}

# ---- state that could not be read back

@test "annotations_over_the_state_limit_are_refused_at_create" {
	B=$(tb b1)
	# 1.1 MiB: under config.json's 4 MiB, over state.json's 1 MiB
	edit_config "$B" '.annotations = {big: ("x" * 1153434)}'
	refused_create "state of $TEST_ID: would be [0-9]+ bytes, over the 1048576 bytes zrun reads back \(config.json annotations: 1153437 bytes\)" "$B"
	# just under the limit is still fine, and readable afterwards
	edit_config "$B" '.annotations = {big: ("x" * 1000000)}'
	zr create -b "$B" "$TEST_ID" >/dev/null 2>&1 </dev/null
	expect_eq "$(status_of "$TEST_ID")" created "status of a container with 1 MB of annotations"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/$TEST_ID-b1
}

# corrupt_state HOW ID: truncate, garble or empty ID's state.json, or make
# it valid JSON without what zrun needs (id, a known status, cgroup_path).
corrupt_state() {
	local f=$ROOT/$2/state.json
	case $1 in
	truncated) head -c 40 "$f" > "$f.new" && mv "$f.new" "$f" ;;
	garbage)   printf '\x01\xffnot json at all{{{' > "$f" ;;
	empty)     : > "$f" ;;
	fieldless) echo '{"status": "flying", "annotations": {}}' > "$f" ;;
	esac
}

@test "a_container_with_a_corrupt_state_json_is_listed_and_delete_force_removes_it" {
	local how id pid cg left
	for how in truncated garbage empty fieldless; do
		id=$TEST_ID-$how
		ARGS='["sleep","600"]' B=$(tb "b-$how")
		if [ "$how" = garbage ]; then
			zr create -b "$B" "$id" >/dev/null 2>&1 </dev/null   # left created
		else
			zr run -d -b "$B" "$id" >/dev/null 2>&1 </dev/null
		fi
		pid=$(pid_of "$id")
		[ -n "$pid" ] && kill -0 "$pid" || { echo "no init for $id" >&2; return 1; }
		corrupt_state "$how" "$id"
		zr list | grep -qE "^$id +0 +unknown" ||
			{ echo "$how: expected \"$id 0 unknown\" in list, saw:" >&2; zr list >&2; return 1; }
		expect_eq "$(zr list -q | grep -cx "$id")" 1 "$how: ids in list -q"
		zr list -f json | jq -e --arg id "$id" '.[] | select(.id == $id and .status == "unknown")' >/dev/null ||
			{ echo "$how: $id not unknown in list -f json: $(zr list -f json)" >&2; return 1; }
		refused "delete $id \(delete --force removes it\): .*state.json" zr delete "$id"
		kill -0 "$pid" || { echo "$how: delete without --force killed the init" >&2; return 1; }
		zr delete --force "$id" ||
			{ echo "$how: delete --force of a container with a $how state.json failed" >&2; return 1; }
		wait_until 5 eval "! kill -0 $pid 2>/dev/null" || { echo "$how: init $pid left running" >&2; return 1; }
		assert_gone "$id" "$CGROUPS_PATH_PARENT/$TEST_ID-b-$how"
	done
	root_is_empty
	assert_no_process
}

# ---- ids that name zrun's own files

@test "ids_naming_zruns_own_files_under_root_are_refused" {
	local id
	B=$(tb b1)
	# what a service leaves under --root: its record in .services/NAME
	mkdir -p "$ROOT/.services/api"
	echo '{"name":"api"}' > "$ROOT/.services/api/service.json"
	for id in .services services.json services.json.tmp .hidden; do
		refused "create $id: invalid container id \"$id\": (must not start with '.'|a name zrun uses)" \
			zr create -b "$B" "$id"
		refused "delete $id: invalid container id \"$id\"" zr delete --force "$id"
		refused "state $id: invalid container id \"$id\"" zr state "$id"
	done
	expect_eq "$(cat "$ROOT/.services/api/service.json" 2>&1)" '{"name":"api"}' "the service record after delete --force .services"
	rm -rf "$ROOT/.services"
	root_is_empty
	assert_no_process
	# a dot inside an id is still fine
	zr create -b "$B" "$TEST_ID.v1" >/dev/null 2>&1 </dev/null
	expect_eq "$(status_of "$TEST_ID.v1")" created "status of $TEST_ID.v1"
	zr delete --force "$TEST_ID.v1"
	assert_gone "$TEST_ID.v1" "$CGROUPS_PATH_PARENT/$TEST_ID-b1"
}

@test "control_characters_in_an_id_are_escaped_in_errors" {
	local id
	for id in $'a\e[31mred' $'two\nlines' $'bell\a' $'del\x7f'; do
		refused "invalid container id" zr state "$id"
		if LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$WORK/refused.err"; then
			echo "a raw control character reached stderr: $(od -c "$WORK/refused.err" | head -3)" >&2
			return 1
		fi
	done
	refused 'invalid container id "a\\x1b\[31mred"' zr delete --force $'a\e[31mred'
	refused 'invalid container id "two\\x0alines"' zr create -b /nonexistent $'two\nlines'
	root_is_empty
}

# ---- NUL bytes in JSON strings (yajl's C strings ended there)

@test "a_nul_character_in_a_config_string_is_refused_naming_the_path" {
	B=$(tb b1)
	edit_config "$B" '.process.args = ["sh", "-c", "true\u0000; rm -rf /"]'
	refused_create "config.json: process.args\[2\]: must not contain a NUL character \(\\\\u0000\)" "$B"
	B=$(tb b2)
	edit_config "$B" '.mounts[1].destination = "/dev\u0000/../etc"'
	refused_create "config.json: mounts\[1\]\.destination: must not contain a NUL character" "$B"
	B=$(tb b3)
	edit_config "$B" '.hostname = "zr\u0000evil"'
	refused_create "config.json: hostname: must not contain a NUL character" "$B"
	B=$(tb b4)
	edit_config "$B" '.annotations = {"zrun.service\u0000x": "api"}'
	refused_create "config.json: annotations: a member name must not contain a NUL character" "$B"
	# exec --process goes through the same parser
	ARGS='["sleep","60"]' B=$(tb b5)
	zr run -d -b "$B" "$TEST_ID" >/dev/null 2>&1 </dev/null
	printf '%s' '{"args": ["echo", "a\u0000b"], "cwd": "/"}' > "$WORK/p.json"
	refused "p.json: args\[1\]: must not contain a NUL character" zr exec --process "$WORK/p.json" "$TEST_ID"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$TEST_ID-b5"
}

# ---- a --root others can write

@test "a_root_writable_by_others_or_owned_by_another_user_is_refused" {
	local r mode
	B=$(tb b1)
	for mode in 1777 0777 0770; do
		r=$WORK/shared-$mode
		mkdir "$r" && chmod "$mode" "$r"
		refused "--root $r: writable by (everyone|its group) \(mode $mode\)" "$ZRUN" --root "$r" create -b "$B" "$TEST_ID"
		refused "--root $r: writable by" "$ZRUN" --root "$r" list
		refused "--root $r: writable by" "$ZRUN" --root "$r" delete --force "$TEST_ID"
		expect_eq "$(ls -A "$r")" "" "entries made under --root $r"
	done
	r=$WORK/nobodys
	mkdir "$r" && chmod 0700 "$r" && chown nobody "$r"
	refused "--root $r: owned by uid $(id -u nobody), not by this user \(uid 0\)" "$ZRUN" --root "$r" create -b "$B" "$TEST_ID"
	expect_eq "$(ls -A "$r")" "" "entries made under --root $r"
	# a root inside a sticky /tmp-like dir is fine when it is the user's own
	zr create -b "$B" "$TEST_ID" >/dev/null 2>&1 </dev/null
	expect_eq "$(status_of "$TEST_ID")" created "status under a private --root"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$TEST_ID-b1"
	assert_no_process
}
