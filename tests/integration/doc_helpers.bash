# Shared by the tests that run the docs' blocks (docs.bats, docs_ansible.bats):
# the block finder, and `zrun` on the blocks' PATH being this build with the
# test's own --root.
load service_helpers

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BLOCKS=$REPO/tests/lib/doc_blocks.py

# doc_setup: svc_setup, then $WORK/bin/zrun; PORT, WORK and REPO exported
# for the substitutions of the markers (doc_blocks.py expands them).
doc_setup() {
	svc_setup
	mkdir -p "$WORK/bin"
	printf '#!/bin/sh\nexec "%s" --root "%s" "$@"\n' "$ZRUN" "$ROOT" > "$WORK/bin/zrun"
	chmod +x "$WORK/bin/zrun"
	export PORT WORK REPO
}
