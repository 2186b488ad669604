#!/usr/bin/env bats
# OCI lifecycle hooks: each runs at its moment, in its namespace, with the
# container's state on stdin, its own args and env only, bounded by its
# timeout; a failing create hook leaves nothing behind.

load helpers

setup() {
	setup_common
	OUT=$WORK/hooks.out
	# hook.sh NAME: append "NAME <mount ns> <state JSON>" to $OUT
	cat > "$WORK/hook.sh" <<SH
#!/bin/sh
state=\$(cat)
echo "\$1 \$(readlink /proc/self/ns/mnt) \$state" >> $OUT
SH
	chmod +x "$WORK/hook.sh"
}
teardown() { teardown_common; }

hook() {  # NAME [extra JSON members]: a hook object running hook.sh NAME
	echo "{\"path\":\"$WORK/hook.sh\",\"args\":[\"hook.sh\",\"$1\"],\"env\":[\"PATH=/usr/bin:/bin\"]${2:-}}"
}

line_of() {  # NAME: the line hook NAME wrote
	grep "^$1 " "$OUT"
}

ns_of() { line_of "$1" | cut -d' ' -f2; }
state_of() { line_of "$1" | cut -d' ' -f3-; }
field() {  # JSON FIELD: a string or number field of a one-line JSON text
	sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$1"
}

@test "hooks_run_at_their_moments_in_their_namespaces_with_the_state" {
	mkdir -p "$WORK/b/rootfs"
	make_rootfs "$WORK/b"
	# startContainer's path resolves in the container: a script in the rootfs
	printf '#!/bin/sh\nstate=$(cat)\necho "startContainer $(readlink /proc/self/ns/mnt) $state" > /tmp/start.out\n' \
		> "$WORK/b/rootfs/start-hook.sh"
	chmod +x "$WORK/b/rootfs/start-hook.sh"
	TOP_EXTRA=",\"hooks\":{\"prestart\":[$(hook prestart)],\"createRuntime\":[$(hook createRuntime)],
		\"createContainer\":[$(hook createContainer)],
		\"startContainer\":[{\"path\":\"/start-hook.sh\"}],
		\"poststart\":[$(hook poststart)],\"poststop\":[$(hook poststop)]}" \
		ARGS='["sleep","100"]' write_config "$WORK/b"
	local host_ns; host_ns=$(readlink /proc/self/ns/mnt)

	zr create -b "$WORK/b" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	local ctr_ns; ctr_ns=$(readlink /proc/$pid/ns/mnt)
	expect_eq "$(ns_of prestart)" "$host_ns" "prestart mount ns"
	expect_eq "$(ns_of createRuntime)" "$host_ns" "createRuntime mount ns"
	expect_eq "$(ns_of createContainer)" "$ctr_ns" "createContainer mount ns"
	for h in prestart createRuntime createContainer; do
		expect_eq "$(field "$(state_of $h)" status)" creating "$h status"
		expect_eq "$(field "$(state_of $h)" id)" "$TEST_ID" "$h id"
		expect_eq "$(field "$(state_of $h)" pid)" "$pid" "$h pid"
		expect_eq "$(field "$(state_of $h)" bundle)" "$WORK/b" "$h bundle"
	done
	[ ! -e "$WORK/b/rootfs/tmp/start.out" ] || { echo "startContainer ran before start"; false; }
	! line_of poststart || { echo "poststart ran before start"; false; }

	zr start "$TEST_ID"
	local start_line; start_line=$(cat "$WORK/b/rootfs/tmp/start.out")
	expect_eq "$(cut -d' ' -f2 <<<"$start_line")" "$ctr_ns" "startContainer mount ns"
	expect_eq "$(field "$(cut -d' ' -f3- <<<"$start_line")" status)" created "startContainer status"
	expect_eq "$(ns_of poststart)" "$host_ns" "poststart mount ns"
	expect_eq "$(field "$(state_of poststart)" status)" running "poststart status"
	! line_of poststop || { echo "poststop ran before delete"; false; }

	zr kill "$TEST_ID" KILL
	zr delete --force "$TEST_ID"
	expect_eq "$(field "$(state_of poststop)" status)" stopped "poststop status"
	expect_eq "$(field "$(state_of poststop)" id)" "$TEST_ID" "poststop id"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/b
}

@test "failing_create_runtime_hook_aborts_create_and_leaves_nothing" {
	printf '#!/bin/sh\necho "no network for you" >&2\nexit 1\n' > "$WORK/fail.sh"
	chmod +x "$WORK/fail.sh"
	TOP_EXTRA=",\"hooks\":{\"createRuntime\":[{\"path\":\"$WORK/fail.sh\"}],\"poststart\":[$(hook poststart)]}"
	B=$(bundle failing)
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"createRuntime hook #0 $WORK/fail.sh: exited with status 1: no network for you"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/failing
	[ ! -e "$OUT" ]
}

@test "failing_create_container_hook_aborts_create_and_leaves_nothing" {
	printf '#!/bin/sh\nexit 3\n' > "$WORK/fail.sh"
	chmod +x "$WORK/fail.sh"
	TOP_EXTRA=",\"hooks\":{\"createContainer\":[{\"path\":\"$WORK/fail.sh\"}]}"
	B=$(bundle failing)
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"createContainer hook #0 $WORK/fail.sh: exited with status 3"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/failing
}

@test "hook_past_its_timeout_is_killed_and_fails_create" {
	printf '#!/bin/sh\necho started >> %s\nsleep 30\necho finished >> %s\n' "$OUT" "$OUT" > "$WORK/slow.sh"
	chmod +x "$WORK/slow.sh"
	TOP_EXTRA=",\"hooks\":{\"createRuntime\":[{\"path\":\"$WORK/slow.sh\",\"timeout\":1}]}"
	B=$(bundle slow)
	local t0=$SECONDS
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"killed after its timeout of 1 s"* ]]
	[ $((SECONDS - t0)) -lt 10 ] || { echo "create took $((SECONDS - t0)) s"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/slow
	expect_eq "$(cat "$OUT")" started "hook output"
}

@test "failing_start_container_hook_fails_start_and_stops_the_container" {
	B=$(bundle startfail)
	printf '#!/bin/sh\necho "not today" >&2\nexit 2\n' > "$B/rootfs/fail.sh"
	chmod +x "$B/rootfs/fail.sh"
	TOP_EXTRA=',"hooks":{"startContainer":[{"path":"/fail.sh"}]}' ARGS='["sleep","100"]' write_config "$B"
	zr create -b "$B" "$TEST_ID"
	run zr start "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"startContainer hook #0 /fail.sh: exited with status 2: not today"* ]]
	wait_until 5 eval 'test "$(status_of "$TEST_ID")" = stopped' || expect_eq "$(status_of "$TEST_ID")" stopped "status"
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/startfail
}

@test "failing_poststart_and_poststop_hooks_only_warn" {
	printf '#!/bin/sh\nexit 1\n' > "$WORK/fail.sh"
	chmod +x "$WORK/fail.sh"
	TOP_EXTRA=",\"hooks\":{\"poststart\":[{\"path\":\"$WORK/fail.sh\"},$(hook poststart)],
		\"poststop\":[{\"path\":\"$WORK/fail.sh\"},$(hook poststop)]}"
	ARGS='["sleep","100"]' B=$(bundle warn)
	zr create -b "$B" "$TEST_ID"
	run zr start "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "start status"
	[[ "$output" == *"warning: poststart hook #0 $WORK/fail.sh: exited with status 1"* ]]
	line_of poststart  # the next hook still ran
	expect_eq "$(status_of "$TEST_ID")" running "status"
	run zr delete --force "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "delete status"
	[[ "$output" == *"warning: poststop hook #0"* ]]
	line_of poststop
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/warn
}

@test "hook_gets_only_its_own_args_and_env" {
	printf '#!/bin/sh\necho "$0 $*" > %s\nenv | sort >> %s\n' "$OUT" "$OUT" > "$WORK/env.sh"
	chmod +x "$WORK/env.sh"
	TOP_EXTRA=",\"hooks\":{\"createRuntime\":[{\"path\":\"$WORK/env.sh\",\"args\":[\"env.sh\",\"a\",\"b c\"],\"env\":[\"FOO=bar\"]}]}"
	B=$(bundle env)
	HOST_ONLY=leak zr create -b "$B" "$TEST_ID"
	cat "$OUT"
	expect_eq "$(head -1 "$OUT")" "$WORK/env.sh a b c" "argv"
	! grep -q HOST_ONLY "$OUT" || { echo "the hook saw zrun's environment"; false; }
	grep -qx FOO=bar "$OUT"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/env
}
