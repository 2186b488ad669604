#!/usr/bin/env bats
# OCI runtime-spec 1.2 requirements that no other file proved, one test
# each, and the check that keeps docs/spec-coverage.md honest: every row of
# its table names a test that exists (or says why there is none).

load helpers

bats_require_minimum_version 1.5.0

setup() { setup_common; }
teardown() {
	[ -z "${NETNS_FILE:-}" ] || umount "$NETNS_FILE" 2>/dev/null || true
	[ -z "${HOST_MOUNT:-}" ] || umount "$HOST_MOUNT" 2>/dev/null || true
	teardown_common
	# the parent cgroup of delete_leaves_what_the_container_did_not_create,
	# then $CGROUPS_PATH_PARENT again (teardown_common could not remove it before)
	local d
	for d in ${PARENT_CGROUPS:-}; do rmdir "$d" 2>/dev/null || true; done
	remove_parent_cgroups
}

ALL_NS='{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}'

# One "zrun: " line on stderr matching $1, a non-zero exit, nothing left.
refused_and_gone() {  # PATTERN BUNDLE
	run --separate-stderr zr run -b "$2" "$TEST_ID"
	[ "$status" -ne 0 ] || { echo "expected a failure, saw exit 0: $output"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] && [[ "${stderr_lines[0]}" =~ ^zrun:\ .*$1 ]] ||
		{ echo "expected one line \"zrun: ...$1...\", saw: $stderr"; return 1; }
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$(basename "$2")"
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { echo "left under --root: $(ls -A "$ROOT")"; return 1; }
}

@test "spec_coverage_table_names_only_tests_that_exist" {
	run "$BATS_TEST_DIRNAME/../lib/spec_coverage_check.sh"
	echo "$output"
	expect_eq "$status" 0 "exit status of the checker"
	[[ "${lines[-1]}" == *"; 0 problems" ]] || { echo "expected \"; 0 problems\" last"; false; }
	# the checker itself fails on a row naming a missing test, a row with
	# no reason, and a deviation missing from its section
	sed '0,/lifecycle.bats: [a-z0-9_]*/s//lifecycle.bats: no_such_test/' \
		"$BATS_TEST_DIRNAME/../../docs/spec-coverage.md" > "$WORK/bad.md"
	run "$BATS_TEST_DIRNAME/../lib/spec_coverage_check.sh" "$WORK/bad.md"
	[ "$status" -ne 0 ] && [[ "$output" == *"no @test \"no_such_test\" in tests/integration/lifecycle.bats"* ]] ||
		{ echo "expected the checker to name the missing test, saw: $output"; false; }
	printf '<!-- BEGIN TABLE -->\n| X1 | s | r | MUST | |\n| X2 | s | r | MUST | deviation: d |\n| X3 | s | r | MUST | pending: a fix |\n<!-- END TABLE -->\n## Deviations\n' > "$WORK/bad2.md"
	run "$BATS_TEST_DIRNAME/../lib/spec_coverage_check.sh" "$WORK/bad2.md"
	[ "$status" -ne 0 ] && [[ "$output" == *"row X1: neither a test nor a reason"* ]] &&
		[[ "$output" == *"row X2: a deviation missing from the Deviations section"* ]] &&
		[[ "$output" == *"row X3: still pending"* ]] ||
		{ echo "expected the checker to refuse rows X1, X2 and X3, saw: $output"; false; }
}

# config.md "Mounts": "The runtime MUST mount entries in the listed order."
@test "mounts_are_made_in_the_listed_order" {
	ARGS='["sh","-c","df -k /ord /ord/inner /last | tail -3 | awk \"{print \\$2}\"; awk \"\\$5 ~ /^\\/(ord|last)/ {print \\$5}\" /proc/self/mountinfo"]'
	MOUNTS_EXTRA=',{"destination":"/ord","type":"tmpfs","source":"tmpfs","options":["size=1m"]},
		{"destination":"/ord/inner","type":"tmpfs","source":"tmpfs","options":["size=2m"]},
		{"destination":"/last","type":"tmpfs","source":"tmpfs","options":["size=1m"]},
		{"destination":"/last","type":"tmpfs","source":"tmpfs","options":["size=3m"]}'
	B=$(bundle order)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[*]:0:3}" "1024 2048 3072" "KiB of /ord, /ord/inner (mounted second, on top) and /last (second mount wins)"
	expect_eq "${lines[*]:3}" "/ord /ord/inner /last /last" "mountinfo order"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/order
}

# config.md "Mounts", Linux: a destination "MAY be a relative path, in which
# case it MUST be interpreted as relative to /" (deprecated); ".." stays in
# the rootfs.
@test "relative_mount_destination_is_relative_to_root" {
	ARGS='["sh","-c","df -k /rel/dir /up | tail -2 | awk \"{print \\$2}\""]'
	MOUNTS_EXTRA=',{"destination":"rel/dir","type":"tmpfs","source":"tmpfs","options":["size=1m"]},
		{"destination":"../../up","type":"tmpfs","source":"tmpfs","options":["size=2m"]}'
	B=$(bundle reldest)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[*]}" "1024 2048" "KiB of /rel/dir and /up"
	[ -d "$B/rootfs/rel/dir" ] && [ -d "$B/rootfs/up" ] || { echo "mount points not made inside the rootfs"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/reldest
}

# config.md "Linux mount options": the MUST options of the atime family,
# sync, dirsync, lazytime and remount reach the kernel (mountinfo shows them).
@test "atime_sync_lazytime_and_remount_options_show_in_mountinfo" {
	ARGS='["sh","-c","for m in na sa nd sd lt rm; do grep \" /$m \" /proc/self/mountinfo | cut -d\" \" -f6-; done"]'
	local m='' o
	for o in 'na:"noatime"' 'sa:"strictatime"' 'nd:"nodiratime"' 'sd:"sync","dirsync"' 'lt:"lazytime"' 'rm:"remount","ro"'; do
		m+=",{\"destination\":\"/${o%%:*}\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[${o#*:}]}"
	done
	MOUNTS_EXTRA=$m B=$(bundle mopts)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${#lines[@]}" 6 "mounts found"
	mount_opts() { cut -d' ' -f1 <<<"${lines[$1]}"; }
	super_opts() { sed 's/.* - tmpfs tmpfs //' <<<"${lines[$1]}"; }
	expect_eq "$(mount_opts 0)" rw,noatime "noatime"
	expect_eq "$(mount_opts 1)" rw "strictatime (neither relatime nor noatime)"
	expect_eq "$(mount_opts 2)" rw,nodiratime,relatime "nodiratime"
	expect_eq "$(super_opts 3)" rw,sync,dirsync "sync,dirsync"
	expect_eq "$(super_opts 4)" rw,lazytime "lazytime"
	expect_eq "$(mount_opts 5)" ro,relatime "remount,ro"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/mopts
}

# config.md "Linux mount options": slave/rslave and unbindable/runbindable
# (propagation_flags_show_in_mountinfo proves shared and private).
@test "slave_and_unbindable_propagation_show_in_mountinfo" {
	HOST_MOUNT=$WORK/shared
	mkdir "$HOST_MOUNT" "$WORK/ub"
	mount -t tmpfs tmpfs "$HOST_MOUNT"
	mount --make-shared "$HOST_MOUNT"
	ARGS='["sh","-c","grep -E \" /(sl|ub) \" /proc/self/mountinfo"]'
	MOUNTS_EXTRA=",{\"destination\":\"/sl\",\"type\":\"bind\",\"source\":\"$HOST_MOUNT\",\"options\":[\"rbind\",\"rslave\"]},
		{\"destination\":\"/ub\",\"type\":\"bind\",\"source\":\"$WORK/ub\",\"options\":[\"rbind\",\"runbindable\"]}"
	B=$(bundle prop2)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	local sl ub
	sl=$(grep " /sl " <<<"$output"); ub=$(grep " /ub " <<<"$output")
	[[ "$sl" == *" master:"* && "$sl" != *" shared:"* ]] || { echo "expected /sl a slave (master:N, no shared:N), saw: $sl"; false; }
	[[ "$ub" == *" unbindable "* ]] || { echo "expected /ub unbindable, saw: $ub"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/prop2
}

# config.md "Linux mount options": `defaults`, `iversion`, `noiversion`,
# `silent`, `loud` are MUST options: flags, never filesystem data (tmpfs
# refuses them as data with EINVAL).
@test "defaults_iversion_silent_and_loud_are_mount_flags" {
	ARGS='["sh","-c","for m in d1 d2 d3 d4; do grep -c \" /$m .* - tmpfs \" /proc/self/mountinfo; done"]'
	local m='' o
	for o in 'd1:"defaults"' 'd2:"iversion"' 'd3:"noiversion","silent"' 'd4:"loud"'; do
		m+=",{\"destination\":\"/${o%%:*}\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[${o#*:}]}"
	done
	MOUNTS_EXTRA=$m B=$(bundle mflags)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "${lines[*]}" "1 1 1 1" "tmpfs mounts made"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/mflags
}

# config.md "Linux mount options": `nosymfollow` and `symfollow` (SHOULD).
@test "nosymfollow_refuses_symlinks_and_symfollow_allows_them" {
	ARGS='["sh","-c","for m in ns sf; do ln -s /bin/busybox /$m/true; /$m/true && echo $m=followed || echo $m=refused; grep \" /$m \" /proc/self/mountinfo | cut -d\" \" -f6; done"]'
	MOUNTS_EXTRA=',{"destination":"/ns","type":"tmpfs","source":"tmpfs","options":["nosymfollow"]},
		{"destination":"/sf","type":"tmpfs","source":"tmpfs","options":["nosymfollow","symfollow"]}'
	B=$(bundle symf)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ "$output" == *"ns=refused"* && "$output" == *"sf=followed"* ]] || { echo "expected /ns to refuse and /sf to follow the symlink"; false; }
	[[ ",${lines[-3]}," == *,nosymfollow,* && ",${lines[-1]}," != *,nosymfollow,* ]] ||
		{ echo "expected nosymfollow on /ns only: ${lines[-3]} / ${lines[-1]}"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/symf
}

# config.md "Linux mount options": the recursive options (SHOULD) reach every
# mount below the destination, where the plain ones stop at the top.
@test "recursive_mount_options_reach_submounts" {
	HOST_MOUNT=$WORK/tree/sub
	mkdir -p "$HOST_MOUNT"
	mount -t tmpfs tmpfs "$HOST_MOUNT"
	ARGS='["sh","-c","for m in /r /r/sub /p /p/sub; do grep \" $m \" /proc/self/mountinfo | cut -d\" \" -f6; done"]'
	MOUNTS_EXTRA=",{\"destination\":\"/r\",\"type\":\"bind\",\"source\":\"$WORK/tree\",\"options\":[\"rbind\",\"rro\",\"rnosuid\",\"rnoexec\",\"rnoatime\"]},
		{\"destination\":\"/p\",\"type\":\"bind\",\"source\":\"$WORK/tree\",\"options\":[\"rbind\",\"ro\",\"nosuid\"]}"
	B=$(bundle recur)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	local i o
	for i in 0 1; do
		for o in ro nosuid noexec noatime; do
			[[ ",${lines[$i]}," == *",$o,"* ]] || { echo "line $i: expected $o in ${lines[$i]}"; false; }
		done
	done
	[[ ",${lines[2]}," == *,ro,* ]] || { echo "/p: expected ro in ${lines[2]}"; false; }
	[[ ",${lines[3]}," == *,rw,* ]] || { echo "/p/sub: plain ro must not reach the submount: ${lines[3]}"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/recur
}

# config.md "Process": "Runtimes MUST ignore consoleSize if terminal is false or unset."
@test "console_size_is_ignored_without_a_terminal" {
	ARGS='["sh","-c","test -t 0 && echo on-a-tty || echo no-tty; echo done"]'
	PROCESS_EXTRA=',"consoleSize":{"height":37,"width":101}' B=$(bundle nosize)
	run zr run -b "$B" "$TEST_ID" </dev/null
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(printf 'no-tty\ndone')" "output"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/nosize
}

# config.md "Linux Process": "If oomScoreAdj is not set,
# the runtime MUST NOT change the value of oom_score_adj."
@test "oom_score_adj_is_left_as_inherited_when_not_set" {
	ARGS='["cat","/proc/self/oom_score_adj"]' B=$(bundle oomkeep)
	run bash -c 'echo 345 > /proc/self/oom_score_adj && exec "$@"' _ "$ZRUN" --root "$ROOT" run -b "$B" "$TEST_ID"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" 345 "oom_score_adj of the container (the caller's)"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/oomkeep
}

# config-linux.md "Namespaces": "The runtime MUST generate an error if path
# is not associated with a namespace of type type."
@test "namespace_path_of_another_type_is_refused_and_leaves_nothing" {
	NAMESPACES="[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"ipc\",\"path\":\"/proc/$$/ns/net\"}]"
	B=$(bundle nstype)
	refused_and_gone "ipc namespace" "$B"
}

# runtime.md "Lifecycle" step 2: "Any updates to config.json after this step
# MUST NOT affect the container."
@test "config_json_changes_after_create_do_not_affect_the_container" {
	ARGS='["sh","-c","echo $WHICH > /tmp/which"]' B=$(bundle frozen)
	sed -i 's|"HOME=/root"|"HOME=/root", "WHICH=created"|' "$B/config.json"
	zr create -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	sed -i 's|WHICH=created|WHICH=edited|; s|echo \$WHICH|echo edited-args|' "$B/config.json"
	grep -q edited-args "$B/config.json"
	zr start "$TEST_ID"
	wait_until 5 eval 'test "$(status_of "$TEST_ID")" = stopped'
	expect_eq "$(cat "$B/rootfs/tmp/which")" created "what the program wrote"
	zr delete "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/frozen
}

# config.md "POSIX-platform Hooks": "Hooks MUST be called in the listed
# order"; prestart "MUST be called before the createRuntime hooks";
# createContainer "MUST be called after the createRuntime hooks".
@test "hooks_run_in_listed_order_and_create_hooks_in_spec_order" {
	printf '#!/bin/sh\ncat > /dev/null\necho "$1" >> %s\n' "$WORK/order" > "$WORK/h.sh"
	chmod +x "$WORK/h.sh"
	B=$(bundle hookorder)
	printf '#!/bin/sh\ncat > /dev/null\necho "$1" >> /tmp/order\n' > "$B/rootfs/h.sh"
	chmod +x "$B/rootfs/h.sh"
	h() { echo "{\"path\":\"$2\",\"args\":[\"h.sh\",\"$1\"]}"; }
	local hooks='' kind
	for kind in prestart createRuntime createContainer poststart poststop; do
		hooks+="\"$kind\":[$(h "${kind}-1" "$WORK/h.sh"),$(h "${kind}-2" "$WORK/h.sh")],"
	done
	hooks+="\"startContainer\":[$(h start-1 /h.sh),$(h start-2 /h.sh)]"
	TOP_EXTRA=",\"hooks\":{$hooks}" ARGS='["sleep","100"]' write_config "$B"
	zr create -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	expect_eq "$(tr '\n' ' ' < "$WORK/order")" \
		"prestart-1 prestart-2 createRuntime-1 createRuntime-2 createContainer-1 createContainer-2 " "hooks run by create"
	zr start "$TEST_ID"
	expect_eq "$(tr '\n' ' ' < "$B/rootfs/tmp/order")" "start-1 start-2 " "startContainer hooks"
	zr delete --force "$TEST_ID"
	expect_eq "$(tr '\n' ' ' < "$WORK/order" | cut -d' ' -f7-)" "poststart-1 poststart-2 poststop-1 poststop-2 " "hooks run by start and delete"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/hookorder
}

# runtime.md "Lifecycle": "If any prestart hook fails, the runtime MUST
# generate an error, stop the container, and continue the lifecycle at step 12."
@test "failing_prestart_hook_aborts_create_and_leaves_nothing" {
	printf '#!/bin/sh\necho "prestart says no" >&2\nexit 5\n' > "$WORK/fail.sh"
	chmod +x "$WORK/fail.sh"
	TOP_EXTRA=",\"hooks\":{\"prestart\":[{\"path\":\"$WORK/fail.sh\"}]}" B=$(bundle prefail)
	refused_and_gone "prestart hook #0 $WORK/fail.sh: exited with status 5" "$B"
}

# config-linux.md "User namespace mappings": "The runtime SHOULD NOT modify
# the ownership of referenced filesystems to realize the mapping."
@test "user_namespace_leaves_the_rootfs_ownership_alone" {
	chmod 755 "$WORK"
	ARGS='["sh","-c","id -u; stat -c %u /bin/busybox"]'
	NAMESPACES="[$ALL_NS,{\"type\":\"user\"}]"
	LINUX_EXTRA=',"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]'
	B=$(bundle userown)
	local before; before=$(find "$B/rootfs" -printf '%U:%G %p\n' | sort | md5sum)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	# host root is unmapped inside: the files show as the overflow uid
	expect_eq "${lines[*]}" "0 65534" "uid inside and owner of /bin/busybox inside"
	expect_eq "$(find "$B/rootfs" -printf '%U:%G %p\n' | sort | md5sum)" "$before" "owners of the rootfs files on the host"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/userown
}

# config-linux.md "Allowed Device list": "The runtime MUST apply entries in
# the listed order."
@test "device_allow_rules_apply_in_the_listed_order" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	LINUX_EXTRA=',"devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438}]'
	ARGS='["sh","-c","exec 3</dev/fuse && echo fuse-opened"]'
	local allow='{"allow":true,"type":"c","major":10,"minor":229,"access":"rw"}'
	local deny='{"allow":false,"type":"c","major":10,"minor":229,"access":"rw"}'
	RESOURCES="{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},$allow,$deny]}" B=$(bundle devlast)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	[[ "$output" == *"fuse: Operation not permitted"* ]] || { echo "expected the later deny to win: EPERM"; false; }
	RESOURCES="{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},$deny,$allow]}" B=$(bundle devfirst)
	run zr run -b "$B" "$TEST_ID-2"
	echo "$output"
	expect_eq "$output" fuse-opened "with the allow rule last"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/devlast
	assert_gone "$TEST_ID-2" $CGROUPS_PATH_PARENT/devfirst
}

# runtime.md "Delete": "resources associated with the container, but not
# created by this container, MUST NOT be deleted."
@test "delete_leaves_what_the_container_did_not_create" {
	NETNS_FILE=$WORK/netns
	touch "$NETNS_FILE"
	unshare --net="$NETNS_FILE" true
	local parent=${CGROUPS_PATH_PARENT#/}/$TEST_ID-parent
	mkdir -p "/sys/fs/cgroup/pids/$parent"
	local h
	for h in /sys/fs/cgroup/*/; do PARENT_CGROUPS="${PARENT_CGROUPS:-} $h$parent"; done
	mkdir "$WORK/src"; echo keep > "$WORK/src/f"
	ARGS='["sleep","30"]' CGROUPS_PATH="/$parent/c"
	NAMESPACES="[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"network\",\"path\":\"$NETNS_FILE\"}]"
	MOUNTS_EXTRA=",{\"destination\":\"/src\",\"type\":\"bind\",\"source\":\"$WORK/src\",\"options\":[\"rbind\"]}"
	B=$(bundle supervisors)
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	expect_eq "$(readlink "/proc/$(pid_of "$TEST_ID")/ns/net")" "$(nsenter --net="$NETNS_FILE" readlink /proc/self/ns/net)" "the container's network namespace"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" "/$parent/c"
	[ -d "/sys/fs/cgroup/pids/$parent" ] || { echo "the parent cgroup the test made was removed"; false; }
	nsenter --net="$NETNS_FILE" true || { echo "the joined network namespace is gone"; false; }
	expect_eq "$(cat "$WORK/src/f")" keep "the bind source"
}

# config.md "Annotations": "Keys MUST NOT be an empty string."
@test "annotation_with_an_empty_key_is_refused" {
	TOP_EXTRA=',"annotations":{"":"x"}' B=$(bundle emptykey)
	refused_and_gone "annotations: keys must not be empty" "$B"
}

# config-linux.md "Cgroup ownership": "Runtimes SHOULD NOT change the
# ownership of container cgroups when cgroups v1 is in use", even for a
# non-root user with a cgroup namespace and a read-write cgroup mount (the
# case where cgroup v2 delegation would chown).
@test "cgroup_ownership_stays_with_root_on_cgroup_v1" {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "not a cgroup v1 host"
	ARGS='["sleep","30"]' NAMESPACES="[$ALL_NS,{\"type\":\"cgroup\"}]"
	MOUNTS_EXTRA=',{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","rw"]}'
	B=$(bundle cgown)
	sed -i 's|"user": { "uid": 0, "gid": 0 }|"user": { "uid": 1000, "gid": 1000 }|' "$B/config.json"
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	expect_eq "$(status_of "$TEST_ID")" running "status"
	local owners d n=0
	for d in /sys/fs/cgroup/*$CGROUPS_PATH_PARENT/cgown; do
		[ -d "$d" ] || continue
		n=$((n + 1))
		owners+=$(find "$d" -maxdepth 1 ! -uid 0 -printf '%u:%g %p\n')
	done
	[ "$n" -gt 0 ] || { echo "no cgroup ${CGROUPS_PATH_PARENT#/}/cgown found"; false; }
	expect_eq "$owners" "" "cgroup files not owned by root"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cgown
}

# config-linux.md "Devices": "If a file already exists at path that does not
# match the requested device, the runtime MUST generate an error." (zrun used
# to unlink it: with a rootfs that is the bundle's directory, the bundle's
# own file on the host.) The same device already there is fine.
@test "device_over_a_different_file_is_refused_and_the_file_kept" {
	LINUX_EXTRA=',"devices":[{"path":"/etc/passwd","type":"c","major":1,"minor":3}]' B=$(bundle devfile)
	local before; before=$(cat "$B/rootfs/etc/passwd")
	refused_and_gone 'linux.devices\[0\]: /etc/passwd is a regular file, not the requested c 1:3 device' "$B"
	[ -f "$B/rootfs/etc/passwd" ] && [ ! -L "$B/rootfs/etc/passwd" ] ||
		{ echo "the bundle's rootfs/etc/passwd is no longer a regular file: $(ls -l "$B/rootfs/etc/passwd")"; false; }
	expect_eq "$(cat "$B/rootfs/etc/passwd")" "$before" "the bundle's rootfs/etc/passwd"
	LINUX_EXTRA=',"devices":[{"path":"/dev/null","type":"c","major":1,"minor":5}]' B=$(bundle devother)
	refused_and_gone 'linux.devices\[0\]: /dev/null is a character device, not the requested c 1:5 device' "$B"
	ARGS='["sh","-c","test -c /dev/null && test -c /dev/fuse2 && echo ok"]'
	LINUX_EXTRA=',"devices":[{"path":"/dev/null","type":"c","major":1,"minor":3},{"path":"/dev/fuse2","type":"c","major":10,"minor":229}]'
	B=$(bundle devsame)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status with the same device already at the path"
	expect_eq "$output" ok "output"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/devsame
}

# config.md "Linux Process": a capability that cannot be mapped "MUST be
# logged as a warning"; runtimes "SHOULD NOT fail". The known ones apply.
@test "unknown_capability_is_a_warning_and_the_known_ones_apply" {
	CAPS='["CAP_CHOWN","CAP_FOO_BAR"]' ARGS='["grep","^CapBnd","/proc/self/status"]' B=$(bundle capwarn)
	run --separate-stderr zr run -b "$B" "$TEST_ID"
	echo "$output"; echo "$stderr"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "CapBnd:	0000000000000001" "bounding set (CAP_CHOWN only)"
	[[ "$stderr" == *"zrun: warning: process.capabilities.bounding: unknown capability CAP_FOO_BAR: ignored"* ]] ||
		{ echo "expected a warning naming CAP_FOO_BAR, saw: $stderr"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/capwarn
}
