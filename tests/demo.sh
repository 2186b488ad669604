#!/bin/bash
# make demo: a newcomer's first look at zrun (the runtime lifecycle, until
# the service swap lands).
set -eu
cd "$(dirname "$0")/.."
. tests/lib/bundle.sh
work=$(mktemp -d /tmp/zrun-demo.XXXXXX)
trap './zrun --root "$work/root" delete --force demo >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
make_rootfs "$work/bundle"
ARGS='["sh","-c","echo \"hello from $(hostname), pid $$ in my own pid namespace\"; sleep 2"]' \
	CGROUPS_PATH=/zrun-demo/demo write_config "$work/bundle"
z() { echo "\$ zrun $*"; ./zrun --root "$work/root" "$@"; }
z create -b "$work/bundle" demo
z state demo | grep -E '"(status|pid)"'
z start demo
sleep 0.5
z list
sleep 2
z state demo | grep '"status"'
z delete demo
echo "done: created, started, ran and deleted a container."
