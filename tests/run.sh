#!/bin/bash
# Runs every test suite (C unit tests, bats integration tests, the cgroup v2
# tests inside a qemu VM, the leftover check last), each producing TAP, and
# ends with the one line "N passed, N failed". Exit status 1 if any failed.
# ZRUN_TESTS="unit integration" limits which suites run (for development).
# containerd: ctr and podman driving zrun (tests/containerd, docs/containerd.md).
# asan: the integration tests again with build-asan/zrun (ASAN_TESTS picks
# the files); fuzz: the yajl checks and each fuzz target for FUZZ_SECONDS.
set -u
cd "$(dirname "$0")/.."
export ZRUN="$PWD/zrun"
# A hung test fails after 5 minutes instead of holding up the whole run.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
suites="${ZRUN_TESTS:-unit integration asan fuzz containerd vm leftovers}"
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

# The integration tests with the ASan+UBSan zrun, then one more TAP line:
# no sanitizer report anywhere (a keeper or an init has no terminal, so
# reports go to files). Leaks are not checked: zrun exits without freeing.
run_asan() {
	local reports=$log_dir/asan-reports
	mkdir -p "$reports"
	ZRUN="$PWD/build-asan/zrun" \
	ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$reports/asan:log_exe_name=1" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1" \
		bats --tap ${ASAN_TESTS:-tests/integration}
	local rc=$?
	if [ -z "$(ls -A "$reports")" ]; then
		echo "ok - asan: no AddressSanitizer or UBSan report"
	else
		echo "not ok - asan: sanitizer reports:"
		cat "$reports"/* | sed 's/^/# /' | head -60
		rc=1
	fi
	return $rc
}

for suite in $suites; do
	case $suite in
	unit)
		for t in build/tests/test_*; do
			[ -x "$t" ] && run_suite "unit-$(basename "$t")" "$t"
		done ;;
	integration)
		run_suite integration bats --tap tests/integration ;;
	asan)
		run_suite asan run_asan ;;
	fuzz)
		run_suite fuzz tests/fuzz/run.sh ;;
	containerd)  # zrun under Debian's containerd and podman
		run_suite containerd bats --tap tests/containerd ;;
	vm)
		[ -x tests/vm/run.sh ] && run_suite vm-cgroup2 tests/vm/run.sh ;;
	leftovers)
		run_suite leftovers bats --tap tests/leftovers.bats ;;
	esac
done
rm -rf "$log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
