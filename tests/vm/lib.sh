# shellcheck shell=bash disable=SC2154  # repo and work come from the caller
# Shared by tests/vm/run.sh and bench/lifecycle-vm: Debian's kernel (cached in
# tests/vm/cache/), a busybox initramfs that switch_roots onto a tmpfs and runs
# one guest script on pure cgroup v2, and the qemu (TCG) boot.
# The caller sets $repo (the repository) and $work (its temporary directory).

vm_cache=$repo/tests/vm/cache
vmlinuz=""   # set by vm_kernel

vm_kernel_fetch() {
	local pkg deb
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
	fi
	[ -n "$pkg" ] || { echo "apt-cache depends linux-image-amd64 names no kernel package"; return 1; }
	mkdir -p "$vm_cache"
	if ! (cd "$vm_cache" && apt-get download -q "$pkg") >"$work/apt.log" 2>&1; then
		apt-get update -qq >>"$work/apt.log" 2>&1
		(cd "$vm_cache" && apt-get download -q "$pkg") >>"$work/apt.log" 2>&1 ||
			{ tail -n 5 "$work/apt.log"; return 1; }
	fi
	deb=$(ls "$vm_cache"/"$pkg"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { echo "apt-get download $pkg left no .deb"; return 1; }
	mkdir -p "$work/kernel"
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$work/kernel" --wildcards './boot/vmlinuz-*' ||
		{ echo "cannot extract /boot/vmlinuz-* from $deb"; return 1; }
	mv "$work"/kernel/boot/vmlinuz-* "$vm_cache/" && rm -f "$deb"
}

# vm_kernel: sets $vmlinuz, fetching the kernel once; on failure the reason
# is in $work/fetch.log and the status is 1.
vm_kernel() {
	vmlinuz=$(ls "$vm_cache"/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$vmlinuz" ] && return 0
	vm_kernel_fetch >"$work/fetch.log" 2>&1 || return 1
	vmlinuz=$(ls "$vm_cache"/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$vmlinuz" ]
}

# vm_check_tools: prints what is missing and returns 1, or returns 0.
vm_check_tools() {
	local tool
	for tool in qemu-system-x86_64 cpio gzip; do
		command -v $tool >/dev/null || { echo "$tool is not installed (make deps)"; return 1; }
	done
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		echo "/bin/busybox is not a static busybox (install busybox-static)"; return 1
	fi
}

# vm_copy_libs ROOT BINARY: the glibc libraries and loader a dynamic binary needs
vm_copy_libs() {
	local lib
	for lib in $(ldd "$2" 2>/dev/null | grep -oE '/[^ ]+'); do
		[ -e "$1$lib" ] && continue
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib"
	done
}

# vm_root ROOT GUEST_SCRIPT: the initramfs tree with busybox, the two init
# stages and GUEST_SCRIPT as /guest.sh, which stage 2 runs on cgroup v2 (all
# controllers enabled in the root) before powering off.
vm_root() {
	local root=$1 applet
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,newroot,tests}
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	cp "$2" "$root/guest.sh"
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
	# Stage 2: the real init: mounts, controllers, the guest script, power off.
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
# Loopback up, as on any booted machine (the kernel gives it 127.0.0.1/8):
# down, every connect to 127.0.0.1 fails with ENETUNREACH.
ip link set lo up
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	case $c in cpuset|cpu|io|memory|pids|hugetlb)
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ;;
	esac
done
echo "# zrun-vm: tests start at uptime $(cut -d' ' -f1 /proc/uptime) s"
# Run the script as a child so that this PID 1 shell, waiting, reaps orphans.
sh /guest.sh </dev/null &
wait $!
sync
poweroff -f
EOF
	chmod 0755 "$root/init" "$root/stage2" "$root/guest.sh"
}

# vm_pack ROOT OUT: the gzipped cpio of ROOT
vm_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
}

# vm_boot INITRAMFS CONSOLE_LOG TIMEOUT: boots $vmlinuz under qemu TCG
# (VM_MEM_MB, default 1 GiB; 2 CPUs; VM_CGROUP_ARGS, default
# cgroup_no_v1=all, then VM_APPEND's kernel arguments), the serial console
# to CONSOLE_LOG; qemu's own output goes to $work/qemu.log. Returns qemu's
# status (124: killed).
vm_boot() {
	timeout "$3" qemu-system-x86_64 -accel tcg -m "${VM_MEM_MB:-1024}" -smp 2 \
		-nodefaults -display none -no-reboot -monitor none \
		-serial "file:$2" \
		-kernel "$vmlinuz" -initrd "$1" \
		-append "console=ttyS0 quiet panic=-1 ${VM_CGROUP_ARGS-cgroup_no_v1=all}${VM_APPEND:+ $VM_APPEND}" \
		</dev/null >"$work/qemu.log" 2>&1
}

# vm_report NAME QEMU_STATUS SECONDS TIMEOUT: the guest's TAP and "#" lines
# from $work/console.log, "# NAME: KERNEL, qemu ran SECONDS s", a `fail`
# (the caller's: a "not ok" numbered after the guest's, counting in $n)
# when qemu was killed or the guest did not finish, and the plan. Returns 1
# if a test failed or the guest did not finish.
vm_report() {
	local name=$1 qemu_rc=$2 seconds=$3 timeout=$4 status=0
	tr -d '\r' <"$work/console.log" >"$work/console.txt" 2>/dev/null
	grep -E '^(ok|not ok) [0-9]+ - |^#' "$work/console.txt" | grep -v '^# zrun-vm-done'
	n=$(grep -cE '^(ok|not ok) [0-9]+ - ' "$work/console.txt")
	echo "# $name: $(basename "$vmlinuz"), qemu ran $seconds s"
	if [ "$qemu_rc" -eq 124 ]; then
		fail "qemu killed after ${timeout} s; last console lines:" "$work/console.txt"
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
	return $status
}
