#!/usr/bin/env bats
# Runs last in tests/containerd (bats runs the files in name order): neither
# containerd nor podman tests may leave a daemon, shim, conmon, container,
# mount, cgroup or temp dir behind.

load ../lib/leftovers

@test "no_containerd_or_shim_of_the_tests_is_left" {
	expect_nothing_left "pgrep -af 'zrun-ctd\.'"
}

@test "no_conmon_or_podman_of_the_tests_is_left" {
	expect_nothing_left "pgrep -af 'zrun-podman\.'"
}

@test "no_temp_dir_or_mount_of_the_tests_is_left" {
	expect_nothing_left 'ls -d /tmp/zrun-ctd.* /tmp/zrun-podman.* /tmp/zrun-img.* 2>/dev/null; grep -E "zrun-ctd\.|zrun-podman\." /proc/self/mountinfo'
}

@test "no_cgroup_of_the_tests_is_left" {
	expect_nothing_left "find /sys/fs/cgroup -maxdepth 3 -mindepth 1 -type d \\( -path '*/zrun-ctd/*' -o -path '*/libpod_parent/*' \\) 2>/dev/null"
}

@test "no_container_of_podman_is_left_in_zruns_default_root" {
	expect_nothing_left '[ -x "$ZRUN" ] && "$ZRUN" list 2>/dev/null | grep zrun-podman'
}
