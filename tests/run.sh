#!/bin/bash
# Runs every test suite (C unit tests, bats integration tests, the cgroup v2
# tests inside a qemu VM, the leftover check last), each producing TAP, and
# ends with the one line "N passed, N failed". Exit status 1 if any failed.
# ZRUN_TESTS="unit integration" limits which suites run (for development).
# containerd: ctr and podman driving zrun (tests/containerd, docs/containerd.md).
# asan: the integration tests again with build-asan/zrun, which has the test
# hooks too (ASAN_TESTS picks the files, asan_files by default; the config
# fuzzer runs 10 of its seeds there, 40 in integration); fuzz: the yajl
# checks and each fuzz target for FUZZ_SECONDS.
# static: scan-build and cppcheck, no finding (tests/static/run.sh).
set -u
cd "$(dirname "$0")/.."
export ZRUN="$PWD/zrun"
# The tests that inject faults run the test build (test hooks compiled in,
# runtime/fault.h); the others the zrun that ships.
export ZRUN_TEST_BIN="$PWD/build-test/zrun"
# A hung test fails after 5 minutes instead of holding up the whole run.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
suites="${ZRUN_TESTS:-unit static integration asan fuzz containerd vm leftovers}"
passed=0 failed=0

count() {  # count TAP lines of file $1 into the totals
	local p f
	p=$(grep -cE '^ok ' "$1")
	f=$(grep -cE '^not ok ' "$1")
	passed=$((passed + p)); failed=$((failed + f))
}

# Runs one suite with a deadline, so a hang is one failure and the rest of
# the run goes on instead of the whole run hitting CI's limit. The suite
# writes to a file, shown live by `tail --pid`: a process a test left
# behind that still holds the output can not keep the run waiting (a pipe
# to tee would wait for its last writer). `timeout` signals the suite's
# whole process group; whatever escaped it the leftovers suite reports.
run_suite() {  # name, limit in seconds, command...
	local name=$1 limit=$2; shift 2
	local out="$log_dir/$name.tap" start=$SECONDS
	echo "== $name"
	: > "$out"
	timeout -k 20 "$limit" "$@" > "$out" 2>&1 < /dev/null &
	local pid=$!
	tail -n +1 -f --pid="$pid" "$out" &
	local tail_pid=$!
	wait "$pid"
	local rc=$?
	wait "$tail_pid"
	count "$out"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok - $name did not finish within ${limit}s (stopped)"
		failed=$((failed + 1))
	# A suite that crashed before reporting must still count as a failure.
	elif [ "$rc" -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		echo "not ok - $name exited $rc without reporting a failing test"
		failed=$((failed + 1))
	fi
	echo "# $name: $((SECONDS - start)) s"
}

# The files the ASan suite runs: every integration file but those that
# test no zrun code path the others miss: the source-layout and doc checks
# (layout, spec_coverage), the demo httpd's own HTTP behaviour (httpd),
# the 30-swap soak (soak: swap.bats and faults_swap.bats drive the same
# code under ASan), and the docs, install and bundle-script checks (docs,
# docs_ansible, install, node_bundle: shell and Ansible around commands the
# other files run), to keep make check near 20 minutes.
asan_files() {
	local f
	for f in tests/integration/*.bats; do
		case $(basename "$f" .bats) in
		layout|spec_coverage|httpd|soak|docs|docs_ansible|install|node_bundle) ;;
		*) echo "$f" ;;
		esac
	done
}

# The integration tests with the ASan+UBSan zrun, then one more TAP line:
# no sanitizer report anywhere (a supervisor or an init has no terminal, so
# reports go to files). Leaks are not checked: zrun exits without freeing.
run_asan() {
	local reports=$log_dir/asan-reports
	mkdir -p "$reports"
	ZRUN="$PWD/build-asan/zrun" ZRUN_TEST_BIN="$PWD/build-asan/zrun" \
	ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$reports/asan:log_exe_name=1" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1" \
		CONFIG_FUZZ_SEEDS=${CONFIG_FUZZ_SEEDS:-10} bats --tap ${ASAN_TESTS:-$(asan_files)}
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

# `run.sh --asan LOG_DIR`: the asan suite as a command, so that run_suite
# can put a deadline on it.
if [ "${1:-}" = --asan ]; then
	log_dir=$2
	run_asan
	exit
fi
log_dir=$(mktemp -d /tmp/zrun-check.XXXXXX)

# Each suite's limit is several times what it takes on a 2-core machine
# (the times are printed after each suite); all of them together stay
# under CI's 90 minutes even if every suite hung.
for suite in $suites; do
	case $suite in
	unit)
		for t in build/tests/test_*; do
			[ -x "$t" ] && run_suite "unit-$(basename "$t")" 120 "$t"
		done ;;
	static)  # about 1 min of CPU on 2 cores
		run_suite static 600 tests/static/run.sh ;;
	integration)
		run_suite integration 900 bats --tap tests/integration ;;
	asan)
		run_suite asan 1200 "$PWD/tests/run.sh" --asan "$log_dir" ;;
	fuzz)
		run_suite fuzz 480 tests/fuzz/run.sh ;;
	containerd)  # zrun under Debian's containerd and podman
		run_suite containerd 600 bats --tap tests/containerd ;;
	vm)
		[ -x tests/vm/run.sh ] && run_suite vm-cgroup2 900 tests/vm/run.sh ;;
	leftovers)
		run_suite leftovers 180 bats --tap tests/leftovers.bats ;;
	esac
done
rm -rf "$log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
