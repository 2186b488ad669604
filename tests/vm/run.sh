#!/bin/bash
# Boots a pure cgroup v2 kernel (Debian's, under qemu TCG) with an initramfs
# holding busybox, $ZRUN, the unit test binaries and tests/vm/guest-tests.sh,
# and prints the guest's TAP lines. Exit status 1 if a guest test failed or
# the guest did not boot / finish (then a "not ok" line says why, with the
# last console lines). Called by tests/run.sh from the repo root.
#   ZRUN            the runtime binary (default: ./zrun)
#   ZRUN_VM_UNIT    directory of the unit test binaries (default: build/tests)
#   ZRUN_VM_TIMEOUT seconds qemu may run (default: 300)
set -u
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
ZRUN=${ZRUN:-$repo/zrun}
unit_dir=${ZRUN_VM_UNIT:-$repo/build/tests}
vm_timeout=${ZRUN_VM_TIMEOUT:-300}
cache=$repo/tests/vm/cache
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

# --- the kernel: Debian's linux-image, cached in tests/vm/cache/ -------------
kernel_fetch() {
	local pkg deb
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
	fi
	[ -n "$pkg" ] || { echo "apt-cache depends linux-image-amd64 names no kernel package"; return 1; }
	mkdir -p "$cache"
	if ! (cd "$cache" && apt-get download -q "$pkg") >"$work/apt.log" 2>&1; then
		apt-get update -qq >>"$work/apt.log" 2>&1
		(cd "$cache" && apt-get download -q "$pkg") >>"$work/apt.log" 2>&1 ||
			{ tail -n 5 "$work/apt.log"; return 1; }
	fi
	deb=$(ls "$cache"/"$pkg"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { echo "apt-get download $pkg left no .deb"; return 1; }
	mkdir -p "$work/kernel"
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$work/kernel" --wildcards './boot/vmlinuz-*' ||
		{ echo "cannot extract /boot/vmlinuz-* from $deb"; return 1; }
	mv "$work"/kernel/boot/vmlinuz-* "$cache/" && rm -f "$deb"
}
vmlinuz=$(ls "$cache"/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$vmlinuz" ]; then
	if ! kernel_fetch >"$work/fetch.log" 2>&1; then
		fail "cannot fetch the Debian kernel" "$work/fetch.log"; exit 1
	fi
	vmlinuz=$(ls "$cache"/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
fi
for tool in qemu-system-x86_64 cpio gzip; do
	command -v $tool >/dev/null || { fail "$tool is not installed (make deps)"; exit 1; }
done
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	fail "$busybox is not a static busybox (install busybox-static)"; exit 1
fi

# --- the initramfs ------------------------------------------------------------
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,newroot,tests}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

copy_libs() {  # the glibc libraries and loader a dynamic binary needs
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
if [ -x "$ZRUN" ]; then
	cp -L "$ZRUN" "$root/bin/zrun"
	copy_libs "$ZRUN"
fi
for t in "$unit_dir"/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	cp -L "$t" "$root/tests/"
	copy_libs "$t"
done
cp tests/vm/guest-tests.sh "$root/guest-tests.sh"

# Stage 1: the initramfs root cannot be pivot_root'ed away from, so copy
# everything onto a tmpfs and switch_root to it.
cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o mode=0755 tmpfs /newroot
for f in /*; do
	case $f in /newroot|/proc|/sys|/dev) ;; *) cp -a "$f" /newroot/ ;; esac
done
mkdir -p /newroot/proc /newroot/sys /newroot/dev
mount --move /dev /newroot/dev
exec switch_root /newroot /stage2
EOF
# Stage 2: the real init: mounts, controllers, tests, power off.
cat >"$root/stage2" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Only emergencies and alerts on the console: OOM reports would split TAP lines.
echo 2 >/proc/sys/kernel/printk
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	case $c in cpuset|cpu|io|memory|pids|hugetlb)
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ;;
	esac
done
echo "# zrun-vm: tests start at uptime $(cut -d' ' -f1 /proc/uptime) s"
# Run the tests as a child so that this PID 1 shell, waiting, reaps orphans.
sh /guest-tests.sh </dev/null &
wait $!
sync
poweroff -f
EOF
chmod 0755 "$root/init" "$root/stage2" "$root/guest-tests.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz" ||
	{ fail "cannot build the initramfs"; exit 1; }

# --- boot ---------------------------------------------------------------------
console=$work/console.log
start=$(date +%s.%N)
timeout "$vm_timeout" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
	-nodefaults -display none -no-reboot -monitor none \
	-serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1 cgroup_no_v1=all" \
	</dev/null >"$work/qemu.log" 2>&1
qemu_rc=$?
end=$(date +%s.%N)

tr -d '\r' <"$console" >"$work/console.txt" 2>/dev/null
grep -E '^(ok|not ok) [0-9]+ - |^#' "$work/console.txt" | grep -v '^# zrun-vm-done'
n=$(grep -cE '^(ok|not ok) [0-9]+ - ' "$work/console.txt")
echo "# vm: $(basename "$vmlinuz"), qemu ran $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f", e-s}') s"
status=0
if [ "$qemu_rc" -eq 124 ]; then
	fail "qemu killed after ${vm_timeout} s; last console lines:" "$work/console.txt"
	status=1
elif ! grep -q '^# zrun-vm-done' "$work/console.txt"; then
	if [ "$qemu_rc" -ne 0 ]; then
		fail "qemu exited $qemu_rc: $(head -c 300 "$work/qemu.log" | tr '\n' ' ')"
	fi
	fail "the guest did not finish its tests; last console lines:" "$work/console.txt"
	status=1
fi
grep -qE '^not ok ' "$work/console.txt" && status=1
echo "1..$n"
exit $status
