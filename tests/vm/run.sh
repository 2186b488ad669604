#!/bin/bash
# Boots a pure cgroup v2 kernel (Debian's, under qemu TCG) with an initramfs
# holding busybox, $ZRUN and the zrun-daemon beside it, the demo httpd, the
# unit test binaries and tests/vm/guest-tests.sh, and prints the guest's TAP lines. Exit status 1 if a guest test failed or
# the guest did not boot / finish (then a "not ok" line says why, with the
# last console lines). Called by tests/run.sh from the repo root.
#   ZRUN            the runtime binary (default: ./zrun)
#   ZRUN_VM_HTTPD   the demo httpd the service tests run (default: bundles/out/httpd)
#   ZRUN_VM_UNIT    directory of the unit test binaries (default: build/tests)
#   ZRUN_VM_TIMEOUT seconds qemu may run (default: 420)
#   ZRUN_VM_ONLY    run only this unit test binary in the guest (e.g. test_steer)
set -u
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
ZRUN=${ZRUN:-$repo/zrun}
unit_dir=${ZRUN_VM_UNIT:-$repo/build/tests}
vm_timeout=${ZRUN_VM_TIMEOUT:-420}
work=$(mktemp -d /tmp/zrun-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

n=0
fail() {  # reason, [file whose last 20 lines to show]
	n=$((n + 1))
	echo "not ok $n - vm: $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		grep -m 1 -E 'Kernel panic|not syncing' "$2" | tr -d '\r' | sed 's/^/#   /'
		tail -n 20 "$2" | tr -d '\r' | sed 's/^/#   /'
	elif [ -n "${2:-}" ]; then
		echo "#   (empty)"
	fi
}

# shellcheck source=lib.sh
. tests/vm/lib.sh
vmlinuz=""
if ! vm_kernel; then
	fail "cannot fetch the Debian kernel" "$work/fetch.log"; exit 1
fi
if ! vm_check_tools >"$work/tools.log"; then
	fail "$(cat "$work/tools.log")"; exit 1
fi

# --- the initramfs ------------------------------------------------------------
root=$work/root
vm_root "$root" tests/vm/guest-tests.sh
[ -z "${ZRUN_VM_ONLY:-}" ] || echo "$ZRUN_VM_ONLY" >"$root/vm-only"
if [ -x "$ZRUN" ]; then
	cp -L "$ZRUN" "$root/bin/zrun"
	vm_copy_libs "$root" "$ZRUN"
fi
# A service's supervisor and fdstore are the zrun-daemon beside zrun (or
# zrun itself when there is none: docs/decisions.md); both it and the httpd
# are static. Without them the guest's service tests fail saying so.
daemon=$(dirname "$ZRUN")/zrun-daemon
[ -x "$daemon" ] && cp -L "$daemon" "$root/bin/zrun-daemon"
httpd=${ZRUN_VM_HTTPD:-$repo/bundles/out/httpd}
[ -x "$httpd" ] && cp -L "$httpd" "$root/tests/httpd"
for t in "$unit_dir"/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	cp -L "$t" "$root/tests/"
	vm_copy_libs "$root" "$t"
done
vm_pack "$root" "$work/initramfs.cpio.gz" || { fail "cannot build the initramfs"; exit 1; }

# --- boot ---------------------------------------------------------------------
console=$work/console.log
start=$(date +%s.%N)
vm_boot "$work/initramfs.cpio.gz" "$console" "$vm_timeout"
qemu_rc=$?
end=$(date +%s.%N)

vm_report vm "$qemu_rc" "$(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f", e-s}')" "$vm_timeout"
