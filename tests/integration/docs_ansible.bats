#!/usr/bin/env bats
# The Ansible example of docs/pm2.md runs for real (issue 15, 7): Debian's
# ansible-core against localhost (connection local), the playbook taken
# from the doc with the substitutions its marker names, twice. The second
# run swaps the service to the new release with no failed request and
# changes nothing else: same replicas, listener and settings, the saved file
# the same but for the release.

load doc_helpers

bats_require_minimum_version 1.5.0

PORT_BASE=19530

setup() {
	doc_setup
	command -v ansible-playbook >/dev/null || skip "ansible-core is not installed (make deps)"
	# $WORK/state stands for /var/lib/zrun, which make install creates
	mkdir -p "$WORK/home" "$WORK/state"
}
teardown() { svc_teardown; }

# The app's repository, as the doc describes it: make-bundle.sh and
# bundle-lib.sh, the program at out/api; tags v1 and v2.
make_app_repo() {
	local src=$WORK/api-src g
	mkdir -p "$src/out"
	cp "$REPO/bundles/make-bundle.sh" "$REPO/bundles/bundle-lib.sh" "$src/"
	cp "$HTTPD" "$src/out/api"
	g() { git -C "$src" -c user.name=test -c user.email=test@localhost "$@" >/dev/null; }
	g init -q -b main
	g add -A
	g commit -q -m v1
	g tag v1
	echo "second release" > "$src/NEWS"
	g add -A
	g commit -q -m v2
	g tag v2
	git clone -q --bare "$src" "$WORK/api.git"
}

# playbook RELEASE: run the doc's playbook against localhost
playbook() {
	PATH="$WORK/bin:$PATH" HOME="$WORK/home" ANSIBLE_LOCAL_TEMP="$WORK/home/tmp" \
	ANSIBLE_REMOTE_TEMP="$WORK/home/tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
		timeout 120 ansible-playbook -i "$WORK/inventory" "$WORK/playbook.yml" -e "release=$1" \
		> "$WORK/ansible-$1.log" 2>&1
}

# FILE with what names the release made one: version ids, bundle paths,
# and the version counter (seq) that gives the next id
same_but_release() {
	sed -e 's/api-[12]/api-N/g' -e 's/v[12]/vN/g' -e 's/"seq": [12],/"seq": N,/' "$1"
}

@test "pm2_md_ansible_playbook_runs_twice_and_the_second_run_only_changes_the_release" {
	local line
	line=$(cd "$REPO" && "$BLOCKS" list docs/pm2.md | awk '$3 == "ansible" { print $2 }')
	[ -n "$line" ] || { echo "docs/pm2.md has no playbook marked doc-test: ansible"; false; }
	(cd "$REPO" && "$BLOCKS" text docs/pm2.md "$line") > "$WORK/playbook.yml"
	printf '[api]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' > "$WORK/inventory"
	make_app_repo
	printf '%s\n' api-1 api-1.r1 api-2 api-2.r1 >> "$WORK/ids"

	playbook v1 || { echo "first run failed:"; cat "$WORK/ansible-v1.log"; false; }
	wait_serving "$URL/" v1
	cp "$WORK/state/services.json" "$WORK/saved-v1.json"
	grep -q '"replicas": 2' "$WORK/saved-v1.json" || { echo "saved: $(cat "$WORK/saved-v1.json")"; false; }

	# requests all through the second run: none may fail
	wrk_start
	playbook v2 || { echo "second run failed:"; cat "$WORK/ansible-v2.log"; false; }
	wrk_stop
	wait_serving "$URL/" v2
	grep -q 'failed=0' "$WORK/ansible-v2.log" || { cat "$WORK/ansible-v2.log"; false; }

	local status
	status=$(zr service status api --format json)
	[[ "$status" == *'"current":"api-2"'* && "$status" == *'"previous":"api-1"'* ]] ||
		{ echo "after the second run: expected current api-2, previous api-1 (--keep-old); saw $status"; false; }
	[[ "$status" == *'"replicas":2'* ]] || { echo "replicas changed: $status"; false; }
	[[ "$status" == *"\"url\":\"tcp://127.0.0.1:$PORT\""* ]] || { echo "listener changed: $status"; false; }
	diff <(same_but_release "$WORK/saved-v1.json") <(same_but_release "$WORK/state/services.json") ||
		{ echo "the saved file changed beyond the release"; false; }
}
