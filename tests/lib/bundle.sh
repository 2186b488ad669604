# Test bundles made locally with no network: a busybox-static rootfs and a
# config.json written from pieces, so each test states what it changes.
# Usage: make_rootfs DIR; write_config DIR [key=value ...] (see below).

BUSYBOX=${BUSYBOX:-/bin/busybox}

make_rootfs() {  # DIR: DIR/rootfs with busybox and its applets
	local root=$1/rootfs
	mkdir -p "$root"/{bin,proc,sys,dev,etc,tmp,root}
	cp "$BUSYBOX" "$root/bin/busybox"
	local a
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$root/etc/passwd"
	echo 'root:x:0:' > "$root/etc/group"
	chmod 1777 "$root/tmp"
}

# write_config DIR, with these variables (all optional):
#   ARGS      JSON array of the program and its arguments   ["sh","-c","true"]
#   NAMESPACES JSON array of namespace objects                pid, mount, ipc, uts, network
#   CGROUPS_PATH   linux.cgroupsPath          $CGROUPS_PATH_PARENT/<basename DIR>
#   RESOURCES JSON object for linux.resources                 {}
#   PROCESS_EXTRA  extra members of "process", with a leading comma
#   LINUX_EXTRA    extra members of "linux", with a leading comma
#   TOP_EXTRA      extra top-level members, with a leading comma
#   MOUNTS_EXTRA   extra mount objects, with a leading comma
#   CAPS      JSON array of capabilities for all sets        a typical default
#   READONLY  true|false root.readonly                        false
write_config() {
	local dir=$1 name
	name=$(basename "$dir")
	local args=${ARGS:-'["sh","-c","true"]'}
	local ns=${NAMESPACES:-'[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]'}
	local caps=${CAPS:-'["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_AUDIT_WRITE"]'}
	cat > "$dir/config.json" <<JSON
{
	"ociVersion": "1.2.0",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": $args,
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
		"cwd": "/",
		"capabilities": { "bounding": $caps, "effective": $caps, "permitted": $caps },
		"noNewPrivileges": true
		${PROCESS_EXTRA:-}
	},
	"root": { "path": "rootfs", "readonly": ${READONLY:-false} },
	"hostname": "zrun-test",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid","noexec","nodev","mode=1777","size=65536k"] },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid","noexec","nodev","ro"] }
		${MOUNTS_EXTRA:-}
	],
	"linux": {
		"namespaces": $ns,
		"cgroupsPath": "${CGROUPS_PATH:-${CGROUPS_PATH_PARENT:-/zrun-test}/$name}",
		"resources": ${RESOURCES:-{\}},
		"maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/scsi"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
		${LINUX_EXTRA:-}
	}
	${TOP_EXTRA:-}
}
JSON
}

make_bundle() {  # DIR: rootfs + default config
	make_rootfs "$1"
	write_config "$1"
}

# default_cgroup ID [ROOT]: the cgroup zrun gives a container of ROOT (this
# test's root by default) that has no linux.cgroupsPath: /zrun-<FNV-1a of
# the canonical root path, 8 hex digits>/ID (runtime/cgroup_owner.c).
default_cgroup() {
	local s h=2166136261 i c
	s=$(realpath -m "${2:-$ROOT}")
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	printf '/zrun-%08x/%s\n' "$h" "$1"
}
