#!/usr/bin/env bats
# zrun exec: a new process joins the running container's namespaces,
# cgroup, capabilities and seccomp filter, gets the overrides it asks for,
# and exits with its own status; setup errors are one clear line.

load helpers

setup() { setup_common; }
teardown() { teardown_common; }

# start_sleeper NAME: a running container $TEST_ID whose init sleeps,
# from bundle $WORK/NAME (write_config variables apply)
start_sleeper() {
	ARGS=${ARGS:-'["sleep","600"]'} B=$(bundle "$1")
	zr run -d -b "$B" "$TEST_ID"
	expect_eq "$(status_of "$TEST_ID")" running "status"
	INIT=$(pid_of "$TEST_ID")
}

stop_and_check_gone() {  # NAME
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" "$CGROUPS_PATH_PARENT/$1"
}

# Processes in the container's pids cgroup (v1 here; v2: the unified dir).
cgroup_procs() {  # NAME
	local f
	for f in /sys/fs/cgroup/pids$CGROUPS_PATH_PARENT/$1/cgroup.procs /sys/fs/cgroup$CGROUPS_PATH_PARENT/$1/cgroup.procs; do
		[ -e "$f" ] && { cat "$f"; return; }
	done
}

@test "exec_sees_the_containers_pid_namespace_and_hostname" {
	start_sleeper pidns
	run zr exec "$TEST_ID" ps -o pid,args
	echo "$output"
	expect_eq "$status" 0 "exit status"
	[[ "$output" == *"    1 sleep 600"* ]] || { echo "expected the init as pid 1"; false; }
	run zr exec "$TEST_ID" hostname
	expect_eq "$output" zrun-test "hostname"
	stop_and_check_gone pidns
}

@test "exec_joins_every_namespace_and_the_cgroup_of_the_init" {
	start_sleeper joins
	zr exec -d --pid-file "$WORK/pid" "$TEST_ID" sleep 600 >/dev/null
	local pid ns
	pid=$(cat "$WORK/pid")
	kill -0 "$pid"
	for ns in mnt pid net ipc uts cgroup user; do
		expect_eq "$(readlink /proc/$pid/ns/$ns)" "$(readlink /proc/$INIT/ns/$ns)" "$ns namespace"
	done
	expect_eq "$(cat /proc/$pid/cgroup)" "$(cat /proc/$INIT/cgroup)" "/proc/PID/cgroup"
	grep -qx "$pid" <<<"$(cgroup_procs joins)" || { echo "pid $pid not in the cgroup"; false; }
	# its root is the container's: the busybox rootfs, not the host's /
	expect_eq "$(stat -L -c %i /proc/$pid/root/bin/busybox)" "$(stat -c %i "$B/rootfs/bin/busybox")" "root"
	run zr exec "$TEST_ID" cat /proc/self/cgroup
	expect_eq "$output" "$(cat /proc/$INIT/cgroup)" "cgroup seen inside"
	stop_and_check_gone joins
	! kill -0 "$pid" 2>/dev/null || { echo "exec'd process outlived the container"; false; }
}

@test "exec_sees_the_containers_mounts" {
	start_sleeper mounts
	run zr exec "$TEST_ID" cat /proc/self/mountinfo
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "$(cat /proc/$INIT/mountinfo)" "mountinfo"
	run zr exec "$TEST_ID" sh -c 'grep " /dev/pts " /proc/mounts | cut -d" " -f3'
	expect_eq "$output" devpts "/dev/pts"
	stop_and_check_gone mounts
}

@test "exec_has_the_containers_capabilities_and_cap_adds_one" {
	start_sleeper caps
	local want
	want=$(grep ^CapEff /proc/$INIT/status)
	run zr exec "$TEST_ID" grep ^CapEff /proc/self/status
	expect_eq "$output" "$want" "CapEff"
	run zr exec "$TEST_ID" grep ^CapBnd /proc/self/status
	expect_eq "$output" "$(grep ^CapBnd /proc/$INIT/status)" "CapBnd"
	# CAP_SYS_ADMIN is bit 21
	run zr exec --cap CAP_SYS_ADMIN "$TEST_ID" grep ^CapEff /proc/self/status
	local eff=$(( 0x$(cut -f2 <<<"$output") )) base=$(( 0x$(cut -f2 <<<"$want") ))
	expect_eq "$(( eff & (1 << 21) ))" "$(( 1 << 21 ))" "CAP_SYS_ADMIN added"
	expect_eq "$(( eff & ~(1 << 21) ))" "$base" "the other capabilities"
	run zr exec --cap CAP_BOGUS "$TEST_ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"CAP_BOGUS"* ]] || { echo "expected the bad name in: $output"; false; }
	stop_and_check_gone caps
}

@test "exec_exits_with_its_own_status" {
	start_sleeper status
	run zr exec "$TEST_ID" sh -c 'exit 5'
	expect_eq "$status" 5 "exit status"
	run zr exec "$TEST_ID" sh -c 'kill -9 $$'
	expect_eq "$status" 137 "killed by SIGKILL"
	expect_eq "$(status_of "$TEST_ID")" running "container status"
	stop_and_check_gone status
}

@test "exec_forwards_signals_to_the_process" {
	start_sleeper signals
	# exec: $! must be zrun itself, not a subshell running `zr`
	(exec "$ZRUN" --root "$ROOT" exec "$TEST_ID" sleep 600 3>&-) &
	local zpid=$!
	# wait until the exec'd sleep is in the container
	for _ in $(seq 100); do
		[ "$(cgroup_procs signals | wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	kill -TERM "$zpid"
	local rc=0
	wait "$zpid" || rc=$?
	expect_eq "$rc" 143 "exit status after SIGTERM"
	# the signal reached the exec'd sleep (zrun dying of it would leave it)
	wait_until 5 eval 'test "$(cgroup_procs signals | wc -l)" = 1' ||
		{ echo "the exec'd sleep outlived the SIGTERM: $(cgroup_procs signals)"; false; }
	stop_and_check_gone signals
}

@test "exec_env_cwd_and_user_override_the_config" {
	start_sleeper overrides
	run zr exec --env FOO=bar -e HOME=/tmp --cwd /tmp --user 1000:1001 -g 2000 "$TEST_ID" \
		sh -c 'echo "$FOO $HOME $(pwd) $(id -u) $(id -g) $(id -G)"'
	echo "$output"
	expect_eq "$status" 0 "exit status"
	expect_eq "$output" "bar /tmp /tmp 1000 1001 1001 2000" "env, cwd, user"
	run zr exec "$TEST_ID" sh -c 'echo "$HOME $(pwd) $(id -u)"'
	expect_eq "$output" "/root / 0" "defaults from config.json"
	run zr exec --cwd /nonexistent "$TEST_ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent"*"No such file"* ]] || { echo "expected a cwd error: $output"; false; }
	stop_and_check_gone overrides
}

@test "exec_takes_the_whole_process_from_a_process_file" {
	start_sleeper procfile
	cat > "$WORK/process.json" <<'JSON'
{
	"terminal": false,
	"user": { "uid": 1000, "gid": 1000 },
	"args": ["sh", "-c", "echo \"$GREETING $(pwd) $(id -u)\"; grep ^CapEff /proc/self/status; exit 7"],
	"env": ["PATH=/bin", "GREETING=hello"],
	"cwd": "/tmp",
	"capabilities": { "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
		"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"] },
	"noNewPrivileges": true
}
JSON
	run zr exec --process "$WORK/process.json" "$TEST_ID"
	echo "$output"
	expect_eq "$status" 7 "exit status"
	# CAP_KILL is bit 5
	expect_eq "$output" "$(printf 'hello /tmp 1000\nCapEff:\t0000000000000020')" "output"
	run zr exec --process "$WORK/process.json" "$TEST_ID" echo extra
	[ "$status" -ne 0 ]
	stop_and_check_gone procfile
}

@test "exec_detach_writes_the_pid_file_of_a_running_process" {
	start_sleeper detach
	# not under `run`: the detached program keeps our stdout open
	zr exec --detach --pid-file "$WORK/exec.pid" "$TEST_ID" sleep 600 >/dev/null
	local pid
	pid=$(cat "$WORK/exec.pid")
	kill -0 "$pid"
	# the kernel fills cmdline in a moment after the exec
	wait_until 5 eval 'test "$(tr "\0" " " < /proc/$pid/cmdline)" = "sleep 600 "'
	grep -qx "$pid" <<<"$(cgroup_procs detach)" || { echo "pid $pid not in the cgroup"; false; }
	stop_and_check_gone detach
}

@test "exec_preserve_fds_passes_exactly_those_fds" {
	start_sleeper fds
	echo secret-from-fd-3 > "$WORK/f3"
	run zr exec --preserve-fds 1 "$TEST_ID" sh -c 'cat <&3' 3<"$WORK/f3"
	expect_eq "$output" secret-from-fd-3 "read from fd 3"
	# without the flag it is not there, and nothing of zrun's is either
	run zr exec "$TEST_ID" ls /proc/self/fd 3<"$WORK/f3"
	echo "$output"
	expect_eq "$(tr '\n' ' ' <<<"$output")" "0 1 2 3 " "fds of ls (3 is its own dir)"
	stop_and_check_gone fds
}

@test "exec_of_a_missing_program_fails_clearly_and_leaves_nothing" {
	start_sleeper missing
	run zr exec "$TEST_ID" no-such-program arg
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]] ||
		{ echo "expected the not-found message"; false; }
	expect_eq "$(wc -l <<<"$output")" 1 "lines of error"
	expect_eq "$(cgroup_procs missing)" "$INIT" "processes in the cgroup"
	run zr exec "$TEST_ID" /bin/nope
	[[ "$output" == *"no such file or directory"* ]] || { echo "expected no such file: $output"; false; }
	stop_and_check_gone missing
}

@test "exec_into_a_stopped_container_fails_with_container_not_running" {
	ARGS='["true"]' B=$(bundle stopped)
	zr create -b "$B" "$TEST_ID"
	zr start "$TEST_ID"
	for _ in $(seq 100); do
		[ "$(status_of "$TEST_ID")" = stopped ] && break
		sleep 0.05
	done
	run zr exec "$TEST_ID" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]] || { echo "expected container not running"; false; }
	run zr exec no-such-container true
	[[ "$output" == *"does not exist"* ]] || { echo "expected does not exist: $output"; false; }
	stop_and_check_gone stopped
}

@test "exec_gets_the_containers_seccomp_filter" {
	LINUX_EXTRA=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[
		{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
	start_sleeper seccomp
	run zr exec "$TEST_ID" mkdir /tmp/d
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]] || { echo "expected EPERM from mkdir"; false; }
	[ ! -e "$B/rootfs/tmp/d" ]
	run zr exec "$TEST_ID" touch /tmp/f
	expect_eq "$status" 0 "other syscalls"
	stop_and_check_gone seccomp
}

@test "exec_apparmor_without_apparmor_fails_clearly" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled here"
	start_sleeper apparmor
	run zr exec --apparmor some-profile "$TEST_ID" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"AppArmor is not enabled"* ]] || { echo "expected the AppArmor message"; false; }
	expect_eq "$(cgroup_procs apparmor)" "$INIT" "processes in the cgroup"
	stop_and_check_gone apparmor
}
