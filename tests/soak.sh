#!/bin/bash
# make soak: SOAK_SWAPS (default 1000) swaps of the demo httpd
# (bundles/out/httpd-v1 and -v2, alternately) under wrk load, within
# SOAK_MAX_SECONDS (default 60 + 0.5 s per swap). Reports the requests and
# failed requests (must be 0), the supervisor's RSS and open fds at the start,
# middle and end (must stay flat), zombies (none), leftover cgroups (none),
# the total time and swaps/s. Exit status 1 if any check fails. Needs root,
# wrk, curl and `make zrun bundles`. Port SOAK_PORT (default 18990; the
# tests use 18900-18999).
set -u
cd "$(dirname "$0")/.."
ZRUN=${ZRUN:-$PWD/zrun}
V1=$PWD/bundles/out/httpd-v1
V2=$PWD/bundles/out/httpd-v2
SWAPS=${SOAK_SWAPS:-1000}
PORT=${SOAK_PORT:-18990}
MAX_SECONDS=${SOAK_MAX_SECONDS:-$((60 + SWAPS / 2))}
# Growth allowed between the start and the end: fds 2 (one may be in use at
# the moment of a sample; a leak of one per swap would show as SWAPS), RSS
# SOAK_RSS_SLACK_KB (allocator noise).
# An ASan build's supervisor keeps freed memory in quarantine (up to 256 MiB):
# its RSS grows by design, so only a gross leak is caught there.
if grep -qa __asan_init "$ZRUN" 2>/dev/null; then
	RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-65536}
else
	RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-1024}
fi
FD_SLACK=${SOAK_FD_SLACK:-2}
SVC=soak$$
URL=http://127.0.0.1:$PORT/
PROBE=(--probe http:/healthz --probe-period 20ms)

for f in "$ZRUN" "$V1/config.json" "$V2/config.json"; do
	[ -e "$f" ] || { echo "soak: $f is missing (make zrun bundles)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "soak: wrk is not installed" >&2; exit 2; }

ROOT=$(mktemp -d /tmp/zrun-soak.XXXXXX)
z() { "$ZRUN" --root "$ROOT" "$@"; }
fail=0 W1= W2= supervisor=
problem() { echo "soak: FAIL: $*" >&2; fail=1; }

cleanup() {
	[ -z "$W1" ] || kill "$W1" 2>/dev/null
	[ -z "$W2" ] || kill "$W2" 2>/dev/null
	local id
	for id in $(z list -q 2>/dev/null); do z delete --force "$id" >/dev/null 2>&1 || true; done
	rm -rf "$ROOT"
}
trap cleanup EXIT

# The cgroups of this soak's versions, in every hierarchy.
cgroups() { ls -d /sys/fs/cgroup/*/zrun*/"$SVC"-* /sys/fs/cgroup/zrun*/"$SVC"-* 2>/dev/null; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# Zombies whose parent is the supervisor or a process of this soak (its
# command line names $ROOT), and this script's own.
zombies() {
	local pid ppid
	grep -h ') Z ' /proc/[0-9]*/stat 2>/dev/null | sed 's/^\([0-9]*\) (.*) Z \([0-9]*\) .*/\1 \2/' |
	while read -r pid ppid; do
		if [ "$ppid" = "$supervisor" ] || [ "$ppid" = "$$" ] ||
		   grep -qsF -- "$ROOT" "/proc/$ppid/cmdline"; then
			echo "$pid"
		fi
	done
}
declare -A RSS FDS
sample() {  # label: supervisor RSS and fds, zombies, cgroups of versions other than $cur
	RSS[$1]=$(rss_kb "$supervisor")
	FDS[$1]=$(nfds "$supervisor")
	local zs extra
	zs=$(zombies | tr '\n' ' ')
	[ -z "$zs" ] || problem "$1: zombies: $zs"
	extra=$(cgroups | grep -v "/$cur\$" | tr '\n' ' ')
	[ -z "$extra" ] || problem "$1: cgroups of gone versions: $extra"
	printf 'soak: %-6s after %4d swaps: supervisor RSS %s kB, %s fds\n' "$1" "$2" "${RSS[$1]}" "${FDS[$1]}"
}

if ss -Hltn "sport = :$PORT" | grep -q .; then
	echo "soak: port $PORT is in use (set SOAK_PORT)" >&2
	exit 2
fi
start=$(date +%s.%N)
cur=$SVC-0
z create --service "$SVC" --listen "tcp://127.0.0.1:$PORT" "${PROBE[@]}" "$cur" "$V1" > "$ROOT/first.out" 2>&1 &&
	z start "$cur" >> "$ROOT/first.out" 2>&1 || { echo "soak: the first version did not start" >&2; exit 1; }
for _ in $(seq 100); do curl -s --max-time 1 "$URL" >/dev/null && break; sleep 0.05; done
# The service records the supervisor's fdstore (src/service/fdstore.c); the supervisor,
# which does the work and would leak, is its child.
fdstore=$(grep -o '"supervisor_pid":[0-9]*' "$ROOT/.services/$SVC/service.json" | cut -d: -f2)
supervisor=$(pgrep -x -P "${fdstore:-0}" zrun-supervisor)
[ -n "$supervisor" ] && [ -d "/proc/$supervisor" ] || { echo "soak: no supervisor under fdstore '$fdstore'" >&2; exit 1; }

# Load for the whole soak: keep-alive connections, and some that reconnect
# per request (each a new accept on whichever version holds the listener).
wrk -t2 -c16 -d"${MAX_SECONDS}s" "$URL" > "$ROOT/wrk-keepalive.txt" 2>&1 &
W1=$!
wrk -t1 -c4 -d"${MAX_SECONDS}s" -H 'Connection: close' "$URL" > "$ROOT/wrk-close.txt" 2>&1 &
W2=$!
sleep 1
sample start 0
: > "$ROOT/durations"
t0=$(date +%s.%N)
deadline=$(( $(date +%s) + MAX_SECONDS - 5 ))
done_swaps=0
for i in $(seq "$SWAPS"); do
	new=$SVC-$i
	if [ $((i % 2)) -eq 1 ]; then b=$V2; else b=$V1; fi
	# The version inherits create's stdout and stderr: all in versions.log.
	if ! z create --service "$SVC" "${PROBE[@]}" "$new" "$b" >> "$ROOT/versions.log" 2>&1; then
		tail -3 "$ROOT/versions.log" >&2; problem "create of version $i failed"; break
	fi
	if ! z swap "$cur" "$new" > "$ROOT/swap.out" 2>&1; then
		cat "$ROOT/swap.out" >&2; problem "swap $i ($cur -> $new) failed"; break
	fi
	sed -n 's/.*done in \([0-9.]*\) s.*/\1/p' "$ROOT/swap.out" >> "$ROOT/durations"
	[ ! -e "$ROOT/$cur" ] || problem "swap $i: state of $cur left"
	cur=$new
	done_swaps=$i
	[ "$i" -ne $((SWAPS / 2)) ] || sample middle "$i"
	if [ "$(date +%s)" -ge "$deadline" ]; then
		problem "out of time after $i of $SWAPS swaps (SOAK_MAX_SECONDS=$MAX_SECONDS)"
		break
	fi
done
t1=$(date +%s.%N)
sleep 0.5
body=$(curl -s --max-time 2 "$URL")
want=v1; [ $((done_swaps % 2)) -eq 0 ] || want=v2
[[ "$body" == *"$want"* ]] || problem "after $done_swaps swaps / answers \"$body\", expected $want"
sample end "$done_swaps"
kill -INT "$W1" "$W2"
wait "$W1" "$W2"
W1= W2=

# Requests and failures (socket errors + non-2xx) of both wrk runs.
count() {
	local req err non2xx
	req=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1")
	err=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$1" |
		awk '{print $1+$2+$3+$4}')
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1")
	echo "${req:-0} $(( ${err:-0} + ${non2xx:-0} ))"
}
read -r r1 f1 < <(count "$ROOT/wrk-keepalive.txt")
read -r r2 f2 < <(count "$ROOT/wrk-close.txt")
requests=$((r1 + r2)) failed=$((f1 + f2))
printf 'soak: keep-alive load: %d requests, %d failed; connection-per-request: %d requests, %d failed\n' \
	"$r1" "$f1" "$r2" "$f2"
for f in "$ROOT"/wrk-*.txt; do
	grep -qE 'Socket errors|Non-2xx' "$f" && sed -n 's/^ *\(Socket errors.*\|Non-2xx.*\|Latency.*\)/soak: '"$(basename "$f" .txt)"': \1/p' "$f"
done
[ "$requests" -gt 0 ] || problem "wrk made no requests"
if [ "$failed" -ne 0 ]; then
	problem "$failed failed requests"
	# What the versions said that is not the usual start and drain.
	grep -vE 'listening on fd|Terminated, draining|drained, [0-9]+ requests' "$ROOT/versions.log" |
		sort | uniq -c | sort -rn | head -10 | sed 's/^/soak: versions said: /' >&2
fi

# Flat: the supervisor's fds and RSS at the end against the start (and the middle).
[ "${FDS[end]:-0}" -le $(( ${FDS[start]:-0} + FD_SLACK )) ] ||
	problem "supervisor fds grew: ${FDS[start]} -> ${FDS[middle]:-?} -> ${FDS[end]}"
[ "${RSS[end]:-0}" -le $(( ${RSS[start]:-0} + RSS_SLACK_KB )) ] ||
	problem "supervisor RSS grew: ${RSS[start]} -> ${RSS[middle]:-?} -> ${RSS[end]} kB"

# The last version deleted: the supervisor exits, nothing is left.
z delete --force "$cur" >/dev/null 2>&1 || problem "delete --force $cur failed"
for _ in $(seq 50); do [ -d "/proc/$supervisor" ] || break; sleep 0.1; done
[ ! -d "/proc/$supervisor" ] || problem "supervisor $supervisor still running after the last version went"
left=$(cgroups | tr '\n' ' ')
[ -z "$left" ] || problem "cgroups left: $left"
[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ] || problem "left in .services: $(ls -A "$ROOT/.services")"
zs=$(zombies | tr '\n' ' ')
[ -z "$zs" ] || problem "zombies left: $zs"

elapsed=$(echo "$t1 - $t0" | bc -l)
total=$(echo "$(date +%s.%N) - $start" | bc -l)
sort -n "$ROOT/durations" | awk -v n="$done_swaps" -v el="$elapsed" -v tot="$total" \
	-v req="$requests" -v failed="$failed" '{a[NR]=$1; s+=$1} END {
	printf "soak: %d swaps in %.1f s (%.2f swaps/s, %.1f s in all); swap done in: median %.3f s, max %.3f s\n",
		n, el, (el > 0 ? n / el : 0), tot, a[int((NR+1)/2)], a[NR]
	printf "soak: %d requests, %d failed\n", req, failed }'
printf 'soak: supervisor RSS %s -> %s -> %s kB, fds %s -> %s -> %s (start -> middle -> end)\n' \
	"${RSS[start]}" "${RSS[middle]:-?}" "${RSS[end]}" "${FDS[start]}" "${FDS[middle]:-?}" "${FDS[end]}"
if [ "$fail" -eq 0 ]; then echo "soak: PASS"; else echo "soak: FAIL" >&2; fi
exit "$fail"
