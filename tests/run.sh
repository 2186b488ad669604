#!/bin/bash
# Runs every test suite (C unit tests, bats integration tests, the cgroup v2
# tests inside a qemu VM, the systemd driver in a qemu VM whose PID 1 is
# systemd (vm-systemd), the leftover check last), each producing TAP, and
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
suites="${ZRUN_TESTS:-unit integration integration-b asan static fuzz containerd vm vm-systemd leftovers}"
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
	report_suite "$name" "$out" "$rc" "$limit" "$start"
}

report_suite() {  # name, TAP file, exit status, limit, start (SECONDS)
	local name=$1 out=$2 rc=$3 limit=$4 start=$5
	count "$out"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok - $name did not finish within ${limit}s (stopped)"
		failed=$((failed + 1))
	# A suite that crashed before reporting must still count as a failure.
	elif [ "$rc" -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		echo "not ok - $name exited $rc without reporting a failing test"
		failed=$((failed + 1))
	fi
	local end=$SECONDS
	[ -s "$log_dir/$name.end" ] && end=$(cat "$log_dir/$name.end")
	echo "# $name: $((end - start)) s"
}

# The integration and ASan suites run side by side: their tests mostly
# wait (probes, grace periods, load runs), and the ASan suite has its own
# test cgroup parent and ports (run_asan), so the two never share a cgroup,
# a port or a root. The suites that touch nothing on the host the others
# use (static analysis and the fuzzers in scratch build dirs, the VMs in
# their own guests) run beside them. The first of the two in the list runs
# in the foreground; the others' output is shown when they end.
BG_SUITES="asan integration integration-b static fuzz vm vm-systemd"
bg_names=() bg_pids=() bg_limits=() bg_starts=()
start_bg() {  # name, limit in seconds, command...
	local name=$1 limit=$2; shift 2
	echo "== $name (in the background; its output when it ends)"
	# The suite's own time is written when it ends: it is shown later.
	( timeout -k 20 "$limit" "$@"; rc=$?; echo "$SECONDS" > "$log_dir/$name.end"; exit "$rc" ) \
		> "$log_dir/$name.tap" 2>&1 < /dev/null &
	bg_pids+=("$!") bg_names+=("$name") bg_limits+=("$limit") bg_starts+=("$SECONDS")
}
finish_bg() {
	local i rc
	for i in "${!bg_pids[@]}"; do
		rc=0
		wait "${bg_pids[$i]}" || rc=$?
		echo "== ${bg_names[$i]} (ran in the background)"
		cat "$log_dir/${bg_names[$i]}.tap"
		report_suite "${bg_names[$i]}" "$log_dir/${bg_names[$i]}.tap" "$rc" "${bg_limits[$i]}" "${bg_starts[$i]}"
	done
	bg_pids=()
}
in_list() { [[ " $2 " == *" $1 "* ]]; }

# The integration suite is the longest (over 1,100 s at 1,490 tests): these
# files of the service engine run as a suite of their own beside it, with
# their own test cgroup parent and ports (the ASan suite runs them so too,
# so they are known to share the host). integration runs the others.
INTEGRATION_B="service swap deploy deploy_settings faults_service canary hostile_versions status_logs"
integration_files() {
	local f
	for f in tests/integration/*.bats; do
		in_list "$(basename "$f" .bats)" "$INTEGRATION_B" || echo "$f"
	done
}

# The files the ASan suite runs: the container runtime's own (every command,
# config parsing, namespaces, mounts, cgroups, seccomp, the fault points
# where error paths free what they made) and the service engine's core
# (service, swap, deploy, status and logs, intercept, hostile versions, the
# supervisor's faults, canaries). The other files drive the same code again in
# bigger numbers or other orders (deploy_property, faults_swap,
# faults_deploy, swap_engine, linear, roots_service, pod_network,
# hostile_service, soak, steer), test the host binary's protection (cve),
# or no zrun code path at all (layout, spec_coverage, httpd, docs,
# docs_ansible, install, node_bundle, rootless' user set-up): left out to
# keep make check well under 20 minutes.
asan_files() {
	local f
	for f in lifecycle exec bad_input bad_input_table config_fuzz foreign_configs namespaces mounts \
		 cgroups cgroups_relative cgroup_ops security hooks terminal spec_extras hostile cli \
		 cli_options roots faults service swap deploy deploy_settings status_logs intercept \
		 hostile_versions faults_service canary; do
		echo "tests/integration/$f.bats"
	done
}

# The integration tests with the ASan+UBSan zrun, then one more TAP line:
# no sanitizer report anywhere (a supervisor or an init has no terminal, so
# reports go to files). Leaks are checked too: LeakSanitizer reports only
# what no pointer reaches at exit, so what zrun keeps until it exits is no
# report, and a tree it drops is (state.json's service data leaked so on
# every state write). The tests that trace zrun or make it join a pid
# namespace turn it off for that command (LeakSanitizer can not run there).
run_asan() {
	local reports=$log_dir/asan-reports
	mkdir -p "$reports"
	# Its own cgroup parent and ports (tests/integration/helpers.bash,
	# service_helpers.bash): the integration suite runs at the same time
	# and makes bundles of the same names, on the same port numbers.
	ZRUN_TEST_CGROUP=/zrun-test-asan PORT_SHIFT=4000 \
	ZRUN="$PWD/build-asan/zrun" ZRUN_TEST_BIN="$PWD/build-asan/zrun" \
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$reports/asan:log_exe_name=1" \
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
# run_named SUITE [bg]: one suite, in the foreground or (bg) beside another.
run_named() {
	local run=run_suite
	[ "${2:-}" = bg ] && run=start_bg
	case $1 in
	unit)
		for t in build/tests/test_*; do
			[ -x "$t" ] && run_suite "unit-$(basename "$t")" 120 "$t"
		done ;;
	static)  # about 1 min of CPU on 2 cores
		$run static 600 tests/static/run.sh ;;
	integration)  # all but integration-b's files
		# shellcheck disable=SC2046 # one word per file
		$run integration 1800 bats --tap $(integration_files) ;;
	integration-b)  # beside it, with its own test cgroup parent and ports
		# shellcheck disable=SC2046
		ZRUN_TEST_CGROUP=/zrun-test-b PORT_SHIFT=8000 \
			$run integration-b 1800 bats --tap $(for f in $INTEGRATION_B; do echo "tests/integration/$f.bats"; done) ;;
	asan)
		$run asan 1500 "$PWD/tests/run.sh" --asan "$log_dir" ;;
	fuzz)
		$run fuzz 480 tests/fuzz/run.sh ;;
	containerd)  # zrun under Debian's containerd and podman
		run_suite containerd 600 bats --tap tests/containerd ;;
	vm)
		[ -x tests/vm/run.sh ] && $run vm-cgroup2 900 tests/vm/run.sh ;;
	vm-systemd)  # --systemd-cgroup with systemd as PID 1 (a Debian root, cached),
		# booted once, on pure cgroup v2 as most users run; the timing is
		# bench/lifecycle-systemd's
		ZRUN_VM_BENCH=0 $run vm-systemd 600 tests/vm/systemd-run.sh ;;
	vm-systemd-v1)  # the same guest booted hybrid (cgroup v1 controllers): by
		# name only (ZRUN_TESTS=vm-systemd-v1), to keep make check short
		VM_SYSTEMD_CGROUP=v1 ZRUN_VM_BENCH=0 run_suite vm-systemd-v1 600 tests/vm/systemd-run.sh ;;
	leftovers)
		run_suite leftovers 180 bats --tap tests/leftovers.bats ;;
	esac
}

# The first of BG_SUITES in the list runs in the foreground, every other
# one of them that is asked for beside it.
bg_done=
for suite in $suites; do
	in_list "$suite" "$bg_done" && continue
	if in_list "$suite" "$BG_SUITES"; then
		for s in $BG_SUITES; do
			[ "$s" != "$suite" ] && in_list "$s" "$suites" && run_named "$s" bg
		done
		bg_done=$BG_SUITES
		run_named "$suite"
		finish_bg
		continue
	fi
	run_named "$suite"
done
rm -rf "$log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
