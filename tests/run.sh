#!/bin/bash
# Runs every test suite (C unit tests, bats integration tests, the cgroup v2
# tests inside a qemu VM, the leftover check last), each producing TAP, and
# ends with the one line "N passed, N failed". Exit status 1 if any failed.
# ZRUN_TESTS="unit integration" limits which suites run (for development).
set -u
cd "$(dirname "$0")/.."
export ZRUN="$PWD/zrun"
suites="${ZRUN_TESTS:-unit integration vm leftovers}"
passed=0 failed=0
log_dir=$(mktemp -d /tmp/zrun-check.XXXXXX)

count() {  # count TAP lines of file $1 into the totals
	local p f
	p=$(grep -cE '^ok ' "$1")
	f=$(grep -cE '^not ok ' "$1")
	passed=$((passed + p)); failed=$((failed + f))
}

run_suite() {  # name, command...
	local name=$1; shift
	local out="$log_dir/$name.tap"
	echo "== $name"
	"$@" 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	count "$out"
	# A suite that crashed before reporting must still count as a failure.
	if [ "$rc" -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		echo "not ok - $name exited $rc without reporting a failing test"
		failed=$((failed + 1))
	fi
}

for suite in $suites; do
	case $suite in
	unit)
		for t in build/tests/test_*; do
			[ -x "$t" ] && run_suite "unit-$(basename "$t")" "$t"
		done ;;
	integration)
		run_suite integration bats --tap tests/integration ;;
	vm)
		[ -x tests/vm/run.sh ] && run_suite vm-cgroup2 tests/vm/run.sh ;;
	leftovers)
		run_suite leftovers bats --tap tests/leftovers.bats ;;
	esac
done
rm -rf "$log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
