#!/usr/bin/env bats
# bundles/node-api/bundle-app.sh: an app directory becomes a release that
# holds only the app, the Node runtime being one layer shared read-only by
# every release (issue 15, item 6).
load service_helpers

PORT_BASE=18440
TOP=$BATS_TEST_DIRNAME/../..
BUNDLE_APP=$TOP/bundles/node-api/bundle-app.sh

setup() {
	setup_common
	command -v node >/dev/null || skip "node is not installed"
	[ -d "$TOP/bundles/out/node-api-app/node_modules" ] ||
		skip "bundles/out/node-api-app is not built (make node-api-bundles)"
	PORT=$((PORT_BASE + ${PORT_SHIFT:-0} + BATS_TEST_NUMBER))
	URL=http://127.0.0.1:$PORT
	SVC=zbsnb$$-$BATS_TEST_NUMBER
	: > "$WORK/ids"
	WRK_PID=
	# The Hono app as a user has it: sources, lock file, node_modules.
	mkdir -p "$WORK/app"
	cp "$TOP"/bundles/node-api/app/* "$WORK/app/"
	cp -a "$TOP/bundles/out/node-api-app/node_modules" "$WORK/app/"
}

teardown() {
	svc_teardown
}

# kib PATH...: disk use of PATHs together (a file linked twice counts once)
kib() { du -sk --total "$@" | tail -1 | cut -f1; }

@test "bundle_app_two_releases_share_one_read_only_layer_and_each_serves" {
	"$BUNDLE_APP" --layers "$WORK/layers" --env VERSION=r1 "$WORK/app" "$WORK/r1"
	local one
	one=$(kib "$WORK/r1" "$WORK/layers")
	"$BUNDLE_APP" --layers "$WORK/layers" --env VERSION=r2 "$WORK/app" "$WORK/r2"
	local added=$(( $(kib "$WORK/r1" "$WORK/r2" "$WORK/layers") - one ))
	echo "# second release adds $added KiB (first release + layer: $one KiB)" >&3
	[ "$added" -lt 5120 ] || { echo "second release: expected < 5120 KiB, saw $added KiB" >&2; return 1; }
	local layers
	layers=$(ls "$WORK/layers")
	expect_eq "$(echo "$layers" | wc -l)" 1 "layers made for two releases ($layers)"
	local want="$WORK/layers/$layers/usr" r src
	for r in r1 r2; do
		src=$(python3 -c 'import json, sys; print(*[m["source"] for m in json.load(open(sys.argv[1]))["mounts"] if m["destination"] == "/usr" and "ro" in m["options"]])' "$WORK/$r/config.json")
		expect_eq "$src" "$want" "$r: read-only source of /usr"
	done

	echo "$SVC-1" >> "$WORK/ids"; echo "$SVC-2" >> "$WORK/ids"
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe http:/healthz --probe-period 100ms \
		--probe-failure-threshold 100 "$SVC" "$WORK/r1" >> "$WORK/containers.log" 2>&1
	wait_serving "$URL/" '"version":"r1"'
	zr deploy "$SVC" "$WORK/r2" >> "$WORK/containers.log" 2>&1
	wait_serving "$URL/" '"version":"r2"'
	# The layer cannot be changed from inside a release.
	run zr exec "$SVC-2" /usr/bin/node -e \
		'try { require("fs").writeFileSync("/usr/bin/node", "x"); console.log("written") } catch (e) { console.log(e.code) }'
	expect_eq "$output" EROFS "writing /usr/bin/node from the release"
	[ -x "$want/bin/node" ] && [ "$(stat -c %s "$want/bin/node")" -gt 1000000 ]
}

@test "bundle_app_env_overrides_replace_defaults_and_earlier_values" {
	printf '# staging\nVERSION=from-file\n\nGREETING=a b "c"\n' > "$WORK/env"
	"$BUNDLE_APP" --layers "$WORK/layers" --env NODE_ENV=staging --env VERSION=flag \
		--env-file "$WORK/env" "$WORK/app" "$WORK/r1"
	local env
	env=$(python3 -c 'import json, sys; print("|".join(json.load(open(sys.argv[1]))["process"]["env"]))' "$WORK/r1/config.json")
	expect_eq "$env" 'PATH=/usr/bin:/bin|NODE_ENV=staging|VERSION=from-file|GREETING=a b "c"' "process.env"

	echo "$SVC-1" >> "$WORK/ids"
	zr deploy --listen "tcp://127.0.0.1:$PORT" --probe http:/healthz --probe-period 100ms \
		--probe-failure-threshold 100 "$SVC" "$WORK/r1" >> "$WORK/containers.log" 2>&1
	wait_serving "$URL/" '"version":"from-file"'
}

@test "bundle_app_refuses_bad_input_with_one_line_and_leaves_nothing" {
	local args
	for args in "$WORK/nope $WORK/out" "--env 1X=y $WORK/app $WORK/out" "--env NOVALUE $WORK/app $WORK/out" \
		"--entry ../x.js $WORK/app $WORK/out" "--entry missing.js $WORK/app $WORK/out" \
		"--node $WORK/nonode $WORK/app $WORK/out" "--bogus $WORK/app $WORK/out"; do
		# shellcheck disable=SC2086  # the words are the arguments
		run "$BUNDLE_APP" --layers "$WORK/layers" $args
		[ "$status" -ne 0 ] || { echo "$args: expected failure, saw exit 0" >&2; return 1; }
		[ "${#lines[@]}" -eq 1 ] && [[ "$output" == bundle-app.sh:* ]] ||
			{ echo "$args: expected one 'bundle-app.sh: ' line, saw: $output" >&2; return 1; }
	done
	[ ! -e "$WORK/out" ] || { echo "$WORK/out made by a failed run" >&2; return 1; }
	[ -z "$(ls -A "$WORK" | grep -e '^\.make-bundle' -e '^layers$' || true)" ] ||
		{ echo "left behind: $(ls -A "$WORK")" >&2; return 1; }
}
