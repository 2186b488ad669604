# Shared set-up for the integration tests: each test gets its own --root,
# bundle dir and cgroup parent, and teardown removes whatever is left.
load "$BATS_TEST_DIRNAME/../lib/bundle.sh"

# The cgroup every test's containers go under (bundle.sh's default
# cgroupsPath is CGROUPS_PATH_PARENT/<bundle name>). tests/run.sh gives the
# ASan suite its own (ZRUN_TEST_CGROUP), so that it runs beside the
# integration suite: both make bundles named b1 in the same order.
export CGROUPS_PATH_PARENT=${ZRUN_TEST_CGROUP:-/zrun-test}

ZRUN=${ZRUN:-$BATS_TEST_DIRNAME/../../zrun}
# The zrun with the test hooks (ZRUN_TEST_FAULT, runtime/fault.h), which only
# the test build has (`make zrun-test`; tests/run.sh sets ZRUN_TEST_BIN, to
# the ASan build in the asan suite). Fault-injection tests run this one.
ZRUN_HOOKS=${ZRUN_TEST_BIN:-$BATS_TEST_DIRNAME/../../build-test/zrun}

setup_common() {
	TEST_ID="t$$-${BATS_TEST_NUMBER}"
	WORK=$(mktemp -d /tmp/zrun-it.XXXXXX)
	ROOT=$WORK/root
}

teardown_common() {
	local id
	for id in $("$ZRUN" --root "$ROOT" list -q 2>/dev/null); do
		"$ZRUN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$WORK"
	remove_parent_cgroups
}

# zrun never removes a parent cgroup (other containers may share it); the
# tests made /zrun-test and /zrun, so they remove them once empty (rmdir
# refuses a cgroup that still has children or processes). The race test's
# parent is this test's own only: any teardown removing every empty
# zrun-race-* cgroup took another run's from under its create (between its
# mkdir and its cgroup.procs write: ENOENT).
remove_parent_cgroups() {
	local d own= race="zrun-race-${TEST_ID:-none}"
	[ -z "${ROOT:-}" ] || own=$(dirname "$(default_cgroup x)")
	for d in ${own:+/sys/fs/cgroup/*$own /sys/fs/cgroup$own} /sys/fs/cgroup/*$CGROUPS_PATH_PARENT /sys/fs/cgroup/*/zrun /sys/fs/cgroup$CGROUPS_PATH_PARENT /sys/fs/cgroup/zrun /sys/fs/cgroup/*/"$race"/race /sys/fs/cgroup/*/"$race"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}

zr() {  # zrun with this test's root
	"$ZRUN" --root "$ROOT" "$@"
}

# bundle NAME: a fresh busybox bundle at $WORK/NAME (config from the
# write_config variables in effect)
bundle() {
	make_rootfs "$WORK/$1"
	write_config "$WORK/$1"
	echo "$WORK/$1"
}

# wait_until SECONDS CMD...: poll CMD every 50 ms; fail after SECONDS.
# CMD's arguments are expanded once, by the caller: to test something
# computed anew each time, `wait_until 5 eval 'test "$(f)" = x'`.
wait_until() {
	local limit=$(( $1 * 20 )) i; shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# in_flight PORT: a TCP connection to PORT is established and accepted
# (the listener's accept queue, its Recv-Q, is empty)
in_flight() {  # PORT: a connection to PORT is established and accepted
	# (every listening socket's queue empty: a steered service has one per
	# version besides the service's)
	ss -Htn state established "( sport = :$1 )" | grep -q . &&
		ss -Hltn "( sport = :$1 )" | awk '$2 != 0 { queued = 1 } END { exit queued }'
}

# The status field of `zrun state`.
status_of() {
	zr state "$1" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'
}

pid_of() {
	zr state "$1" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'
}

# Fail with what was expected and what was seen.
expect_eq() {  # got want [what]
	if [ "$1" != "$2" ]; then
		echo "${3:-value}: expected \"$2\", saw \"$1\"" >&2
		return 1
	fi
}

# Nothing of container $1 is left: no state dir, no cgroup in any hierarchy.
assert_gone() {
	local id=$1 cg=${2:-$CGROUPS_PATH_PARENT/$1}
	[ ! -e "$ROOT/$id" ] || { echo "state dir $ROOT/$id left" >&2; return 1; }
	local d
	for d in /sys/fs/cgroup/*/; do
		[ ! -d "$d${cg#/}" ] || { echo "cgroup $d${cg#/} left" >&2; return 1; }
	done
}
