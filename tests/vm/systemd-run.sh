#!/bin/bash
# The vm-systemd suite: boots Debian's kernel under qemu (TCG) on pure
# cgroup v2 with a minimal Debian 12 root whose PID 1 is systemd (built once
# by systemd-image.sh with mmdebstrap, cached in $BUILD/vm-systemd), and
# runs tests/vm/systemd-guest.sh there as a systemd unit: zrun's
# --systemd-cgroup driver against a real systemd, and the lifecycle timing
# of zrun, runc and crun with both cgroup drivers. Prints TAP; when the
# kernel or the image cannot be had (no network to the archive) one
# "# skip" line says why and the status is 0.
#   ZRUN            the runtime binary (default: ./zrun)
#   ZRUN_VM_TIMEOUT seconds qemu may run (default: 420)
#   ZRUN_VM_BENCH   0 leaves the timing out
#   VM_SYSTEMD_CGROUP v1: boot the guest hybrid (cgroup v1 controllers, as
#                   this project's hosts) instead of pure cgroup v2
set -u
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
ZRUN=${ZRUN:-$repo/zrun}
cache=$repo/${BUILD:-build}/vm-systemd
vm_timeout=${ZRUN_VM_TIMEOUT:-420}
cgroups=${VM_SYSTEMD_CGROUP:-v2}
name=vm-systemd; [ "$cgroups" = v1 ] && name=vm-systemd-v1
work=$(mktemp -d /tmp/zrun-vm-systemd.XXXXXX)
trap 'rm -rf "$work"' EXIT

skip() { echo "1..0 # skip $name: $1"; exit 0; }
n=0
fail() {  # reason, [file whose last 20 lines to show]
	n=$((n + 1))
	echo "not ok $n - $name: $1"
	[ -n "${2:-}" ] && [ -s "$2" ] && tail -n 20 "$2" | tr -d '\r' | sed 's/^/#   /'
}

# shellcheck source=lib.sh
. tests/vm/lib.sh
vm_kernel || skip "cannot fetch the Debian kernel: $(tail -n 1 "$work/fetch.log" 2>/dev/null)"
vm_check_tools >"$work/tools.log" || { fail "$(cat "$work/tools.log")"; exit 1; }
[ -x "$ZRUN" ] || { fail "no zrun at $ZRUN (make zrun)"; exit 1; }
for b in httpd-v1 httpd-v2; do
	[ -f "bundles/out/$b/config.json" ] || { fail "no bundles/out/$b (make bundles)"; exit 1; }
done
image=$(tests/vm/systemd-image.sh "$cache" 2>&1) || skip "cannot build the Debian root: $(echo "$image" | tr '\n' ' ' | cut -c1-300)"

# --- what this run adds to the cached root: a second cpio, unpacked over it
root=$work/overlay
mkdir -p "$root/zrun-vm" "$root/newroot" "$root/etc/systemd/system/multi-user.target.wants"
cp -L "$ZRUN" "$root/zrun-vm/zrun"
# ZRUN=build-asan/zrun: the sanitizer runtimes, which the guest lacks (the
# rest of its libraries are the guest's own, of the same Debian release)
for lib in $(ldd "$ZRUN" 2>/dev/null | grep -oE '/[^ ]*/lib(asan|ubsan)\.so[^ ]*'); do
	mkdir -p "$root/usr/lib/x86_64-linux-gnu"
	cp -L "$lib" "$root/usr/lib/x86_64-linux-gnu/"
done
cp /bin/busybox "$root/zrun-vm/busybox"
cp -a bundles/out/httpd-v1 bundles/out/httpd-v2 "$root/zrun-vm/"
cp tests/vm/systemd-guest.sh "$root/zrun-vm/guest.sh"
# the containerd test's image (tests/containerd/image.sh, no network)
tests/containerd/image.sh "$root/zrun-vm/image.tar" docker.io/zrun/busybox:test >"$work/image.log" 2>&1 ||
	{ fail "cannot build the test image" "$work/image.log"; exit 1; }
# and for the CRI run: its pod sandbox image and its client
IMAGE_CMD='["sleep","2147483647"]' tests/containerd/image.sh "$root/zrun-vm/pause.tar" docker.io/zrun/pause:test \
	>>"$work/image.log" 2>&1 || { fail "cannot build the pause image" "$work/image.log"; exit 1; }
cp tests/containerd/cri.py "$root/zrun-vm/cri.py"
cat >"$root/etc/systemd/system/zrun-vm-tests.service" <<UNIT
[Unit]
Description=zrun vm-systemd tests
After=multi-user.target dbus.service
[Service]
Type=oneshot
Environment=ZRUN_VM_BENCH=${ZRUN_VM_BENCH:-1} BENCH_RUNS=${BENCH_RUNS:-20}
# an ASan zrun: no leak report at exit (zrun exits without freeing), as make check's
Environment=ASAN_OPTIONS=detect_leaks=0
ExecStart=/bin/bash /zrun-vm/guest.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
UNIT
ln -s ../zrun-vm-tests.service "$root/etc/systemd/system/multi-user.target.wants/"
# Stage 1: pivot_root cannot leave the initramfs, so the root moves onto a
# tmpfs first; then systemd takes over as PID 1.
cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin
mount -t tmpfs -o mode=0755 tmpfs /newroot 2>/dev/null || { mkdir /newroot; mount -t tmpfs -o mode=0755 tmpfs /newroot; }
for f in /*; do
	case $f in /newroot|/proc|/sys|/dev) ;; *) cp -a "$f" /newroot/ ;; esac
done
mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/run /newroot/tmp
exec switch_root /newroot /lib/systemd/systemd
INIT
chmod 0755 "$root/init"
vm_pack "$root" "$work/overlay.cpio.gz" || { fail "cannot pack the overlay"; exit 1; }
cat "$image" "$work/overlay.cpio.gz" >"$work/initramfs.cpio.gz"

# --- boot ---------------------------------------------------------------------
console=$work/console.log
start=$(date +%s.%N)
# 2 GiB: the root is unpacked, then copied onto a tmpfs. v1: hybrid, as
# this project's hosts (v1 controllers; systemd's own tree on cgroup2).
cgroup_args="cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
[ "$cgroups" = v1 ] && cgroup_args="systemd.unified_cgroup_hierarchy=0"
VM_MEM_MB=2048 VM_CGROUP_ARGS=$cgroup_args \
VM_APPEND="loglevel=1 systemd.show_status=0 systemd.mask=serial-getty@ttyS0.service systemd.mask=getty@tty1.service" \
	vm_boot "$work/initramfs.cpio.gz" "$console" "$vm_timeout"
qemu_rc=$?
end=$(date +%s.%N)

vm_report "$name" "$qemu_rc" "$(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f", e-s}')" "$vm_timeout"
status=$?
# The ratios of the lifecycle timing (bench lines: NAME median_ms X ...).
awk '$1 == "#" && $2 == "bench" && $4 == "median_ms" { m[$3] = $5 } END {
	if (m["zrun-systemd"] && m["runc-systemd"] && m["crun-systemd"])
		printf "# bench ratio systemd driver: zrun/runc %.2f, zrun/crun %.2f; zrun systemd/cgroupfs %.2f\n",
			m["zrun-systemd"] / m["runc-systemd"], m["zrun-systemd"] / m["crun-systemd"],
			m["zrun-systemd"] / m["zrun-cgroupfs"] }' "$work/console.txt"
exit $status
