#!/usr/bin/env bats
# Runs after every other suite: no test may leave a zrun state dir, cgroup,
# mount or process behind.

load lib/leftovers

@test "no_state_dir_is_left_in_test_roots" {
	expect_nothing_left 'ls -d /tmp/zrun-it.* 2>/dev/null'
}

@test "no_test_cgroup_is_left" {
	expect_nothing_left "find /sys/fs/cgroup -maxdepth 4 -mindepth 1 -type d \\( -path '*/zrun-test*/*' -o -path '*/zrun/*' -o -path '*/zrun-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]/*' -o -name 'zrun-unit-*' \\) 2>/dev/null"
}

@test "no_mount_of_a_test_is_left" {
	expect_nothing_left "grep -E 'zrun-it\.|zrun-test' /proc/self/mountinfo"
}

@test "no_container_process_is_left" {
	expect_nothing_left 'for d in /sys/fs/cgroup/pids/zrun-test* /sys/fs/cgroup/zrun-test*; do [ -d $d ] && find $d -name cgroup.procs -exec cat {} +; done'
}

@test "no_service_supervisor_or_demo_server_is_left" {
	# a zombie is gone already, waiting for pid 1 (not ours) to reap it
	expect_nothing_left "ps -eo pid=,stat=,comm= | awk '(\$3 == \"zrun-supervisor\" || \$3 == \"zrun-fdstore\" || \$3 == \"httpd\") && \$2 !~ /Z/'"
}

@test "no_parent_cgroup_of_the_tests_or_demo_is_left" {
	expect_nothing_left "find /sys/fs/cgroup -maxdepth 2 -mindepth 1 -type d \\( -name zrun -o -name 'zrun-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' -o -name 'zrun-test*' -o -name zrun-demo -o -name 'zrun-unit-*' -o -name 'zrun-race-*' \\) 2>/dev/null"
}

@test "the_default_state_root_is_left_empty" {
	# podman's tests use zrun's default root; nothing may stay in it
	[ ! -d /run/zrun ] || [ -z "$(ls -A /run/zrun)" ] || { echo "left in /run/zrun: $(ls -A /run/zrun)"; false; }
}

@test "no_network_namespace_of_a_test_is_left" {
	expect_nothing_left "ip netns list 2>/dev/null | grep -E '^zrun-'"
}

@test "no_user_or_subid_range_of_the_rootless_tests_is_left" {
	# rootless.bats makes users zrunrl-a<pid>, zrunrl-b<pid> and removes them
	expect_nothing_left "grep -h '^zrunrl-' /etc/passwd /etc/group /etc/subuid /etc/subgid 2>/dev/null"
}

@test "no_state_root_or_delegated_cgroup_of_the_rootless_tests_is_left" {
	expect_nothing_left "ls -d /tmp/zrun-[0-9]* /sys/fs/cgroup/unified/zrunrl-* 2>/dev/null"
}
