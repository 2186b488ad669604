#!/usr/bin/env bats
# linux.resources on this cgroup v1 host: the values land in the container's
# own cgroup, the limits are enforced, and delete removes the cgroup in every
# hierarchy. (Pure cgroup v2 is covered by tests/vm; a relative cgroupsPath
# by cgroups_relative.bats.)

load helpers

setup() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "not a cgroup v1 host"
	setup_common
}
teardown() { teardown_common; }

V1=/sys/fs/cgroup

@test "memory_limits_are_written" {
	ARGS='["sleep","30"]'
	RESOURCES='{"memory":{"limit":33554432,"reservation":16777216,"swap":67108864}}'
	B=$(bundle memlimit)
	zr create -b "$B" "$TEST_ID"
	d=$V1/memory$CGROUPS_PATH_PARENT/memlimit
	expect_eq "$(cat $d/memory.limit_in_bytes)" 33554432 memory.limit_in_bytes
	expect_eq "$(cat $d/memory.soft_limit_in_bytes)" 16777216 memory.soft_limit_in_bytes
	if [ -e $d/memory.memsw.limit_in_bytes ]; then
		expect_eq "$(cat $d/memory.memsw.limit_in_bytes)" 67108864 memory.memsw.limit_in_bytes
	fi
	grep -qx "$(pid_of "$TEST_ID")" $d/cgroup.procs || { echo "init not in $d"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/memlimit
}

@test "allocating_past_the_memory_limit_is_oom_killed" {
	ARGS='["sh","-c","x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done"]'
	RESOURCES='{"memory":{"limit":16777216,"swap":16777216}}'
	B=$(bundle oomkill)
	run timeout 60 "$ZRUN" --root "$ROOT" run -b "$B" "$TEST_ID"
	echo "status $status: $output"
	expect_eq "$status" 137 "exit status (SIGKILL by the OOM killer)"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/oomkill
}

@test "pids_limit_stops_a_fork_bomb" {
	ARGS='["sh","-c","i=0; while [ $i -lt 60 ]; do sleep 60 & i=$((i+1)); done; wait"]'
	RESOURCES='{"pids":{"limit":10}}'
	B=$(bundle pidsmax)
	zr run -d -b "$B" "$TEST_ID" </dev/null >/dev/null 2>&1
	d=$V1/pids$CGROUPS_PATH_PARENT/pidsmax
	expect_eq "$(cat $d/pids.max)" 10 pids.max
	# wait until the bomb has hit the limit
	for i in $(seq 100); do grep -q "^max [1-9]" $d/pids.events 2>/dev/null && break; sleep 0.05; done
	cur=$(cat $d/pids.current)
	[ "$cur" -le 10 ] || { echo "pids.current $cur above the limit 10"; false; }
	grep "^max [1-9]" $d/pids.events || { echo "no fork was refused: $(cat $d/pids.events)"; false; }
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/pidsmax
}

@test "cpu_and_cpuset_values_are_written" {
	ARGS='["sleep","30"]'
	RESOURCES='{"cpu":{"shares":512,"quota":50000,"period":200000,"cpus":"0","mems":"0"}}'
	B=$(bundle cpu)
	zr create -b "$B" "$TEST_ID"
	expect_eq "$(cat $V1/cpu$CGROUPS_PATH_PARENT/cpu/cpu.shares)" 512 cpu.shares
	expect_eq "$(cat $V1/cpu$CGROUPS_PATH_PARENT/cpu/cpu.cfs_quota_us)" 50000 cpu.cfs_quota_us
	expect_eq "$(cat $V1/cpu$CGROUPS_PATH_PARENT/cpu/cpu.cfs_period_us)" 200000 cpu.cfs_period_us
	expect_eq "$(cat $V1/cpuset$CGROUPS_PATH_PARENT/cpu/cpuset.cpus)" 0 cpuset.cpus
	expect_eq "$(cat $V1/cpuset$CGROUPS_PATH_PARENT/cpu/cpuset.mems)" 0 cpuset.mems
	expect_eq "$(grep Cpus_allowed_list /proc/$(pid_of "$TEST_ID")/status | cut -f2)" 0 "init's allowed cpus"
	zr delete --force "$TEST_ID"
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cpu
}

@test "delete_removes_the_cgroup_in_every_hierarchy" {
	ARGS='["sleep","30"]' B=$(bundle cgdel)
	zr create -b "$B" "$TEST_ID"
	pid=$(pid_of "$TEST_ID")
	n=0
	for d in $V1/*/; do
		[ "$(stat -fc %T "$d")" = cgroupfs ] || continue
		# every v1 hierarchy holds the init in ${CGROUPS_PATH_PARENT#/}/cgdel
		c=$(basename "$d")
		[ "$c" = unified ] && continue
		grep -qx "$pid" "${d}${CGROUPS_PATH_PARENT#/}/cgdel/cgroup.procs" || { echo "init not in ${d}${CGROUPS_PATH_PARENT#/}/cgdel"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 5 ] || { echo "only $n hierarchies"; false; }
	zr delete --force "$TEST_ID"
	for d in $V1/*/; do
		[ ! -e "${d}${CGROUPS_PATH_PARENT#/}/cgdel" ] || { echo "${d}${CGROUPS_PATH_PARENT#/}/cgdel left"; false; }
	done
	assert_gone "$TEST_ID" $CGROUPS_PATH_PARENT/cgdel
}
