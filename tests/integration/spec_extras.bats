#!/usr/bin/env bats
# The rest of runtime-spec 1.2: seccomp notify with a listener, personality,
# ioPriority, scheduler, time namespace offsets, intelRdt, AppArmor/SELinux
# where the host has them (a clear error where not), idmapped mounts, and
# `features` describing exactly this.

load helpers

setup() { setup_common; }
teardown() {
	[ -z "${LISTENER_PID:-}" ] || kill "$LISTENER_PID" 2>/dev/null || true
	[ -z "${IDMAP_SRC:-}" ] || umount "$IDMAP_SRC" 2>/dev/null || true
	teardown_common
}

@test "seccomp_notify_listener_gets_the_fd_and_answers_the_syscall" {
	ARGS='["sh","-c","mkdir /tmp/one; echo first=$?; cat /tmp/answers; mkdir /tmp/two && echo second=ok"]'
	LINUX_EXTRA=",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",
		\"listenerPath\":\"$WORK/agent.sock\",\"listenerMetadata\":\"hello agent\",
		\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
	B=$(bundle notify)
	python3 "$BATS_TEST_DIRNAME/../lib/seccomp_listener.py" "$WORK/agent.sock" "$WORK/agent.json" \
		"$B/rootfs/tmp/answers" 2 &
	LISTENER_PID=$!
	for _ in $(seq 100); do [ -S "$WORK/agent.sock" ] && break; sleep 0.05; done
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	# The first mkdir waited for the agent (its answer file exists when
	# mkdir returns) and got the agent's EPERM; the second one went through.
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"first=1"*"answer 0"*"second=ok"* ]]
	[ ! -e "$B/rootfs/tmp/one" ] && [ -d "$B/rootfs/tmp/two" ]
	wait "$LISTENER_PID"
	LISTENER_PID=
	python3 - "$WORK/agent.json" "$TEST_ID" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["process_state"]
def want(what, got, exp):
    if got != exp:
        sys.exit("%s: expected %r, saw %r" % (what, exp, got))
want("fds received", r["fds_received"], 1)
want("connection closed after one state", r["closed_after_state"], True)
want("fds", s["fds"], ["seccompFd"])
want("metadata", s["metadata"], "hello agent")
want("state.id", s["state"]["id"], sys.argv[2])
want("state.status", s["state"]["status"], "creating")
want("pid", s["pid"], s["state"]["pid"])
want("syscalls answered", len(r["syscalls"]), 2)
PY
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/notify
}

@test "seccomp_notify_without_listener_path_is_refused" {
	LINUX_EXTRA=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}'
	B=$(bundle nolistener)
	run zr create -b "$B" "$TEST_ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"SCMP_ACT_NOTIFY requires listenerPath"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/nolistener
}

@test "seccomp_notify_with_an_absent_listener_fails_create" {
	LINUX_EXTRA=",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$WORK/nobody.sock\",
		\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
	B=$(bundle absent)
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.listenerPath: connect $WORK/nobody.sock"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/absent
}

@test "seccomp_flags_are_applied" {
	ARGS='["sh","-c","mkdir /tmp/d; echo rc=$?"]'
	LINUX_EXTRA=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
	B=$(bundle flags)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ "$output" == *"rc=1"* ]]
	LINUX_EXTRA=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_BOGUS"]}'
	write_config "$B"
	run zr run -b "$B" "$TEST_ID"
	[[ "$output" == *'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"'* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/flags
}

@test "personality_linux32_makes_uname_say_i686" {
	ARGS='["uname","-m"]' LINUX_EXTRA=',"personality":{"domain":"LINUX32"}' B=$(bundle pers)
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$output" i686 "uname -m"
	LINUX_EXTRA=',"personality":{"domain":"LINUX"}' write_config "$B"
	run zr run -b "$B" "$TEST_ID"
	expect_eq "$output" x86_64 "uname -m"
	LINUX_EXTRA=',"personality":{"domain":"WINDOWS"}' write_config "$B"
	run zr run -b "$B" "$TEST_ID"
	[[ "$output" == *'linux.personality.domain: unknown domain "WINDOWS"'* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/pers
}

@test "io_priority_is_set_on_the_process" {
	ARGS='["sleep","100"]' PROCESS_EXTRA=',"ioPriority":{"class":"IOPRIO_CLASS_IDLE","priority":0}' B=$(bundle ioprio)
	zr create -b "$B" "$TEST_ID"
	expect_eq "$(ionice -p "$(pid_of "$TEST_ID")")" idle "ionice"
	zr delete --force "$TEST_ID"
	PROCESS_EXTRA=',"ioPriority":{"class":"IOPRIO_CLASS_BE","priority":6}' write_config "$B"
	zr create -b "$B" "$TEST_ID"
	expect_eq "$(ionice -p "$(pid_of "$TEST_ID")")" "best-effort: prio 6" "ionice"
	zr delete --force "$TEST_ID"
	PROCESS_EXTRA=',"ioPriority":{"class":"IOPRIO_CLASS_XX"}' write_config "$B"
	run zr create -b "$B" "$TEST_ID"
	[[ "$output" == *'process.ioPriority.class: unknown class "IOPRIO_CLASS_XX"'* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/ioprio
}

@test "scheduler_policy_and_nice_are_set_on_the_process" {
	ARGS='["sleep","100"]' PROCESS_EXTRA=',"scheduler":{"policy":"SCHED_BATCH","nice":7}' B=$(bundle sched)
	zr create -b "$B" "$TEST_ID"
	local pid; pid=$(pid_of "$TEST_ID")
	expect_eq "$(chrt -p "$pid" | sed -n 's/.*policy: //p')" SCHED_BATCH "policy"
	expect_eq "$(awk '{print $19}' /proc/$pid/stat)" 7 "nice"
	zr start "$TEST_ID"
	expect_eq "$(chrt -p "$pid" | sed -n 's/.*policy: //p')" SCHED_BATCH "policy of the program"
	zr delete --force "$TEST_ID"
	PROCESS_EXTRA=',"scheduler":{"policy":"SCHED_BATCH","priority":5}' write_config "$B"
	run zr create -b "$B" "$TEST_ID"
	[[ "$output" == *"process.scheduler.priority: must be 0 unless policy is SCHED_FIFO or SCHED_RR"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/sched
}

@test "time_namespace_offsets_shift_the_boottime_clock" {
	NAMESPACES='[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"},{"type":"time"}]'
	ARGS='["cut","-d.","-f1","/proc/uptime"]'
	LINUX_EXTRA=',"timeOffsets":{"boottime":{"secs":864000000,"nanosecs":0},"monotonic":{"secs":86400}}'
	B=$(bundle timens)
	local before after
	before=$(cut -d. -f1 /proc/uptime)
	run zr run -b "$B" "$TEST_ID"
	after=$(cut -d. -f1 /proc/uptime)
	echo "container uptime $output, host $before-$after"
	[ "$output" -ge $((before + 864000000)) ] && [ "$output" -le $((after + 864000000)) ]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/timens
}

@test "intel_rdt_is_refused_clearly" {
	LINUX_EXTRA=',"intelRdt":{"closID":"x"}' B=$(bundle rdt)
	run zr create -b "$B" "$TEST_ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.intelRdt: not supported by zrun"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/rdt
}

@test "lsm_labels_fail_clearly_where_the_host_lacks_the_lsm" {
	B=$(bundle lsm)
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		PROCESS_EXTRA=',"apparmorProfile":"zrun-test"' write_config "$B"
		run zr create -b "$B" "$TEST_ID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *'process.apparmorProfile: AppArmor profile "zrun-test" requested but AppArmor is not enabled on this host'* ]]
	fi
	if [ ! -e /sys/fs/selinux/enforce ]; then
		PROCESS_EXTRA=',"selinuxLabel":"system_u:system_r:container_t:s0"' write_config "$B"
		run zr create -b "$B" "$TEST_ID"
		[[ "$output" == *'process.selinuxLabel: SELinux label "system_u:system_r:container_t:s0" requested but SELinux is not enabled on this host'* ]]
		PROCESS_EXTRA='' LINUX_EXTRA=',"mountLabel":"system_u:object_r:container_file_t:s0"' write_config "$B"
		run zr create -b "$B" "$TEST_ID"
		[[ "$output" == *'linux.mountLabel: SELinux label'*'SELinux is not enabled on this host'* ]]
	fi
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/lsm
}

@test "idmapped_bind_mount_shows_shifted_owners" {
	IDMAP_SRC=$WORK/src
	mkdir -p "$IDMAP_SRC"
	mount -t tmpfs tmpfs "$IDMAP_SRC"
	touch "$IDMAP_SRC/f1000" "$IDMAP_SRC/f0"
	chown 1000:1000 "$IDMAP_SRC/f1000"
	ARGS='["sh","-c","stat -c %n=%u:%g /mnt/f1000 /mnt/f0"]'
	MOUNTS_EXTRA=",{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$IDMAP_SRC\",\"options\":[\"bind\"],
		\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],
		\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}"
	B=$(bundle idmap)
	run zr run -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$(sed -n 1p <<<"$output")" "/mnt/f1000=101000:101000" "owner of f1000"
	expect_eq "$(sed -n 2p <<<"$output")" "/mnt/f0=100000:100000" "owner of f0"
	# the host's view is untouched
	expect_eq "$(stat -c %u "$IDMAP_SRC/f1000")" 1000 "host owner"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/idmap
}

@test "idmap_option_without_any_mapping_is_refused_clearly" {
	mkdir -p "$WORK/src"
	MOUNTS_EXTRA=",{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$WORK/src\",\"options\":[\"bind\",\"idmap\"]}"
	B=$(bundle idmapnone)
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"idmapped mount: needs uidMappings and gidMappings"* ]]
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/idmapnone
}

# The idmapped mount's user namespace takes its maps through the same
# writer as the container's: more than the kernel takes fails at create,
# naming the mount (it was "write gid_map: Invalid argument" mid-create).
@test "idmapped_mount_with_more_than_340_maps_is_refused_clearly" {
	local i maps='{"containerID":0,"hostID":100000,"size":1}'
	for ((i = 1; i < 341; i++)); do
		maps+=",{\"containerID\":$i,\"hostID\":$((100000 + i)),\"size\":1}"
	done
	mkdir -p "$WORK/src"
	MOUNTS_EXTRA=",{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$WORK/src\",\"options\":[\"bind\"],
		\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],\"gidMappings\":[$maps]}"
	B=$(bundle idmapmany)
	run zr create -b "$B" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 1 "exit status"
	expect_eq "${#lines[@]}" 1 "lines of output"
	[[ "$output" == "zrun: "*"config.json: mounts["*"].gidMappings: 341 mappings, the kernel takes at most 340" ]] ||
		{ echo "expected: zrun: ...config.json: mounts[N].gidMappings: 341 mappings, the kernel takes at most 340"; false; }
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/idmapmany
}

@test "features_lists_what_this_build_supports" {
	run zr features
	expect_eq "$status" 0 "exit status"
	python3 - <<PY
import json, sys
f = json.loads('''$output''')
def want(what, ok):
    if not ok:
        sys.exit("features: " + what)
want("all six hooks", f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
want("idmap mount options", "idmap" in f["mountOptions"] and "ridmap" in f["mountOptions"])
lx = f["linux"]
want("time namespace", "time" in lx["namespaces"])
want("capabilities", "CAP_SYS_ADMIN" in lx["capabilities"] and "CAP_CHOWN" in lx["capabilities"])
sc = lx["seccomp"]
want("notify action", "SCMP_ACT_NOTIFY" in sc["actions"])
want("supportedFlags within knownFlags", set(sc["supportedFlags"]) <= set(sc["knownFlags"]))
want("TSYNC supported", "SECCOMP_FILTER_FLAG_TSYNC" in sc["supportedFlags"])
want("idmap extension", lx["mountExtensions"]["idmap"]["enabled"] is True)
want("no intelRdt", lx["intelRdt"]["enabled"] is False)
PY
}
