#!/usr/bin/env bats
# Every command block of README.md and docs/*.md runs (issue 15, 3), so a doc
# can not show a command that fails. tests/lib/doc_blocks.py finds the
# blocks and says how each is checked; the marker comment before a block
# names the substitutions it needs (a port, a scratch dir) or, rarely, why it
# can not run. Each block runs literally with `set -e` from the repository,
# with `zrun` on PATH being this build with the test's own --root, and
# everything it started is deleted before the next block.

load doc_helpers

bats_require_minimum_version 1.5.0

PORT_BASE=19500

setup() { doc_setup; }
teardown() { svc_teardown; }

doc_files() { (cd "$REPO" && ls README.md docs/*.md); }

# Delete what a block left, as a user would, and prove it all went: no
# version, no service dir, no supervisor, no cgroup of its containers.
clean_root() {
	local id k supervisors
	supervisors=$(svc_supervisors)
	for id in $(zr list -q 2>/dev/null); do
		echo "$id" >> "$WORK/ids"
		zr delete --force "$id" >/dev/null 2>&1 || true
	done
	for k in $supervisors; do
		wait_until 10 eval "! alive $k" || { echo "supervisor $k outlived its service" >&2; return 1; }
	done
	[ -z "$(ls -A "$ROOT/.services" 2>/dev/null)" ] || { echo "left in .services: $(ls -A "$ROOT/.services")" >&2; return 1; }
	for id in $(cat "$WORK/ids"); do
		assert_gone "$id" "/zrun/$id" || return 1
	done
}

# run_block FILE LINE: run one command block; fail with the block and what
# it printed.
run_block() {
	local f=$1 line=$2 rc=0
	(cd "$REPO" && "$BLOCKS" text "$f" "$line") > "$WORK/block.sh" || return 1
	{ printf 'set -e -o pipefail\ncd %q\n' "$REPO"; cat "$WORK/block.sh"; } > "$WORK/run.sh"
	PATH="$WORK/bin:$PATH" timeout 90 bash "$WORK/run.sh" > "$WORK/block.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$f:$line: the block failed (exit $rc); it ran:" >&2
		sed 's/^/    /' "$WORK/block.sh" >&2
		echo "and printed:" >&2
		sed 's/^/    /' "$WORK/block.out" >&2
		return 1
	fi
	clean_root
}

# run_file FILE: every `run` block of FILE (there must be one).
run_file() {
	local f=$1 line kind n=0
	while read -r _ line kind; do
		[ "$kind" = run ] || continue
		run_block "$f" "$line"
		n=$((n + 1))
	done < <(cd "$REPO" && "$BLOCKS" list "$f")
	[ "$n" -gt 0 ] || { echo "$f has no command block to run" >&2; return 1; }
}

@test "every_code_block_of_the_docs_is_run_checked_or_marked" {
	run --separate-stderr bash -c "cd '$REPO' && '$BLOCKS' list $(doc_files | tr '\n' ' ')"
	expect_eq "$status" 0 "doc_blocks.py list (stderr: $stderr)"
	local skips
	skips=$(echo "$output" | grep -c ' skip$' || true)
	# skips are for what this machine can not run; keep them rare
	[ "$skips" -le 4 ] || { echo "$skips blocks skipped: $(echo "$output" | grep ' skip$')"; false; }
	local f line kind reason
	while read -r f line kind; do
		[ "$kind" = skip ] || continue
		reason=$(cd "$REPO" && "$BLOCKS" reason "$f" "$line")
		[ -n "$reason" ] || { echo "$f:$line: skipped without a reason"; false; }
	done <<< "$output"
}

@test "a_doc_block_that_fails_fails_the_test" {
	mkdir -p "$WORK/docs"
	printf '%s\n' '# t' '' '<!-- doc-test: sub 8080 => $PORT -->' '```sh' 'echo port 8080 > "$WORK/seen"' \
		false 'touch "$WORK/reached"' '```' > "$WORK/docs/bad.md"
	REPO=$WORK run run_block docs/bad.md 4
	[ "$status" -ne 0 ] || { echo "a block ending in false passed"; false; }
	[[ "$output" == *"docs/bad.md:4: the block failed"* ]] || { echo "saw: $output"; false; }
	expect_eq "$(cat "$WORK/seen")" "port $PORT" "what the block wrote, its sub applied"
	[ ! -e "$WORK/reached" ] || { echo "set -e did not stop the block at false"; false; }
	printf '```\nunlabelled\n```\n' > "$WORK/docs/unlabelled.md"
	run "$BLOCKS" list "$WORK/docs/unlabelled.md"
	[ "$status" -ne 0 ] || { echo "a block without a language was not refused"; false; }
}

@test "readme_command_blocks_run" {
	run_file README.md
}

@test "service_md_command_blocks_run" {
	run_file docs/service.md
}

@test "intercept_md_command_blocks_run" {
	run_file docs/intercept.md
}

@test "pm2_md_boot_unit_is_the_one_make_install_installs" {
	local f=docs/pm2.md line n=0
	while read -r _ line kind; do
		[ "$kind" = file ] || continue
		(cd "$REPO" && "$BLOCKS" text "$f" "$line") > "$WORK/doc"
		(cd "$REPO" && "$BLOCKS" expect "$f" "$line") > "$WORK/want"
		diff -u "$WORK/want" "$WORK/doc" || { echo "$f:$line differs from $(cd "$REPO" && "$BLOCKS" file "$f" "$line")"; false; }
		n=$((n + 1))
	done < <(cd "$REPO" && "$BLOCKS" list "$f")
	[ "$n" -ge 1 ] || { echo "$f shows no unit checked against systemd/"; false; }
}
