#!/usr/bin/env bats
# The short soak: 30 swaps of the demo httpd under wrk load (tests/soak.sh,
# whose long form is `make soak`): no failed request, the supervisor's RSS and
# fds flat, no zombie, no leftover cgroup, within 50 s. Port 18951.

@test "soak_30_swaps_under_load_fails_no_request_and_leaks_nothing" {
	local here=$BATS_TEST_DIRNAME/../..
	[ -e "$here/bundles/out/httpd-v1/config.json" ] || skip "bundles/out/httpd-v1 is not built"
	command -v wrk >/dev/null || skip "wrk is not installed"
	run env SOAK_SWAPS=30 SOAK_PORT=18951 SOAK_MAX_SECONDS=50 "$here/tests/soak.sh"
	printf '%s\n' "$output" | grep '^soak: ' | sed 's/^/# /' >&3
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}
