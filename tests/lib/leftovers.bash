# shellcheck shell=bash
# Shared by the leftover checks (tests/leftovers.bats, tests/containerd/
# zz_leftovers.bats): the test fails, showing what is left, when the shell
# command CMD prints anything.
expect_nothing_left() {  # CMD
	run sh -c "$1"
	[ -z "$output" ] || { echo "left: $output"; false; }
}
