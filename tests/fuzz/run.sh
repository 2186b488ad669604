#!/bin/bash
# Runs the yajl CVE checks, then each libFuzzer target for FUZZ_SECONDS
# (default 20, the short form in `make check`; `make fuzz` passes 300),
# as TAP. Targets start from the committed seeds in corpus/<target>/ and
# grow a scratch copy, so the committed corpus stays small. A crash, a
# sanitizer report, a leak or a timeout fails the target; the input that
# did it is kept in $FUZZ_ARTIFACTS (printed). FUZZ_JOBS targets at a time.
set -u
cd "$(dirname "$0")/../.."
build=build-fuzz
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-$(nproc)}
targets="fuzz_spec fuzz_state fuzz_listen fuzz_probe_spec fuzz_http_status"
work=$(mktemp -d /tmp/zrun-fuzz.XXXXXX)
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
status=0

max_len() {
	case $1 in
	fuzz_spec | fuzz_state) echo 65536 ;;
	fuzz_http_status) echo 8192 ;;
	*) echo 1024 ;;
	esac
}

run_target() {  # target -> $work/<target>.log
	local t=$1
	mkdir -p "$work/corpus/$t"
	cp tests/fuzz/corpus/"$t"/* "$work/corpus/$t/" 2>/dev/null
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1 \
		"$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$artifacts/$t-" "$work/corpus/$t" >"$work/$t.log" 2>&1
	echo $? >"$work/$t.rc"
}

n=0
echo "1..6"
out=$("$build/yajl_caps" 2>&1)
rc=$?
n=$((n + 1))
if [ $rc -eq 0 ] && ! grep -q '^not ok' <<<"$out"; then
	echo "ok $n - yajl_caps: $(grep -c '^ok' <<<"$out") checks (CVE-2022-24795, CVE-2023-33460, CVE-2017-16516, depth)"
else
	echo "not ok $n - yajl_caps (exit $rc)"
	sed 's/^/# /' <<<"$out"
	status=1
fi

running=0
for t in $targets; do
	run_target "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

for t in $targets; do
	n=$((n + 1))
	log=$work/$t.log rc=$(cat "$work/$t.rc")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	corpus=$(ls "$work/corpus/$t" | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $t: ${execs:-?} executions in ${seconds} s, corpus $corpus, no crash, leak or timeout"
	else
		echo "not ok $n - $t: exit $rc after ${execs:-?} executions; inputs kept in $artifacts"
		grep -E 'ERROR|SUMMARY|runtime error|^#[0-9]+ ' "$log" | head -20 | sed 's/^/# /'
		status=1
	fi
done
# Keep the artifacts of a failure; drop the scratch corpora.
if [ $status -eq 0 ]; then rm -rf "$work"; else rm -rf "$work/corpus"; fi
exit $status
