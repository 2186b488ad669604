#!/bin/bash
# make demo: v1 of a small web service serving under load, a swap to v2, a
# swap back, and the count of failed requests (zero). Needs root.
set -eu
cd "$(dirname "$0")/.."
ZRUN=$PWD/zrun
V1=$PWD/bundles/out/httpd-v1
V2=$PWD/bundles/out/httpd-v2
ROOT=$(mktemp -d /tmp/zrun-demo.XXXXXX)
PORT=${DEMO_PORT:-8080}
if ss -Hltn "sport = :$PORT" | grep -q .; then PORT=18080; fi
URL=http://127.0.0.1:$PORT/
z() { "$ZRUN" --root "$ROOT" "$@"; }

cleanup() {
	for id in $(z list -q 2>/dev/null); do z delete --force "$id" >/dev/null 2>&1 || true; done
	rm -rf "$ROOT"
	# the versions' parent cgroup, once empty (zrun leaves parents alone)
	for d in /sys/fs/cgroup/*/zrun /sys/fs/cgroup/zrun; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	return 0
}
trap cleanup EXIT

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
probe=(--probe http:/healthz --probe-period 100ms)

bold "1. v1 of service 'web' on $URL (zrun holds the listening socket; v1 gets it as fd 3)"
echo "\$ zrun create --service web --listen tcp://127.0.0.1:$PORT ${probe[*]} web-v1 bundles/out/httpd-v1"
z create --service web --listen "tcp://127.0.0.1:$PORT" "${probe[@]}" web-v1 "$V1" 2>/dev/null
z start web-v1 2>/dev/null
sleep 0.3
echo "\$ curl $URL  ->  $(curl -s "$URL")"

bold "2. 12 s of load: wrk, 2 threads x 16 keep-alive connections, plus 4 that reconnect per request"
wrk -t2 -c16 -d12s "$URL" > "$ROOT/wrk-keepalive.txt" 2>&1 &
w1=$!
wrk -t1 -c4 -d12s -H 'Connection: close' "$URL" > "$ROOT/wrk-close.txt" 2>&1 &
w2=$!
sleep 2

bold "3. swap to v2 under that load"
z create --service web "${probe[@]}" web-v2 "$V2" 2>/dev/null
echo "\$ zrun swap web-v1 web-v2"
z swap web-v1 web-v2 2>/dev/null | sed 's/^/   /'
echo "\$ curl $URL  ->  $(curl -s "$URL")"
sleep 3

bold "4. and back to v1 (a rollback is a swap)"
z create --service web "${probe[@]}" web-v1b "$V1" 2>/dev/null
echo "\$ zrun swap web-v2 web-v1b"
z swap web-v2 web-v1b 2>/dev/null | sed 's/^/   /'
echo "\$ curl $URL  ->  $(curl -s "$URL")"
wait $w1 $w2 || true

count() {  # file: requests, failures (socket errors + non-2xx)
	local req err non2xx
	req=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1")
	err=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$1" | awk '{print $1+$2+$3+$4}')
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1")
	echo "${req:-0} $(( ${err:-0} + ${non2xx:-0} ))"
}
read -r r1 f1 < <(count "$ROOT/wrk-keepalive.txt")
read -r r2 f2 < <(count "$ROOT/wrk-close.txt")
bold "5. result"
printf '   keep-alive clients:          %8d requests, %d failed\n' "$r1" "$f1"
printf '   connection-per-request:      %8d requests, %d failed\n' "$r2" "$f2"
printf '   two swaps, %d failed requests in all.\n' $((f1 + f2))
[ $((f1 + f2)) -eq 0 ]
