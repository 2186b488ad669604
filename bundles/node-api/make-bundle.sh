#!/bin/bash
# bundles/node-api/make-bundle.sh VERSION OUTDIR: an OCI bundle at OUTDIR that
# runs the Hono API of bundles/node-api/app with this machine's node binary:
# ["/usr/bin/node", "/app/server.js"], env VERSION=VERSION.
#
# The rootfs holds node, the shared libraries ldd names for it, the app and
# its node_modules (`npm ci` from the committed package-lock.json, once, in
# $APP_BUILD; the npm registry is the only network it needs). Like
# bundles/make-bundle.sh: pid/mount/ipc/uts namespaces and no network one (it
# shares the service's network namespace), cgroupsPath left to the runtime.
# Environment: NODE (default: `command -v node`), APP_BUILD (default
# bundles/out/node-api-app), EXTRA_ENV (more "K=V" words for process.env).
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 VERSION OUTDIR" >&2
	exit 2
fi
version=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
node=$(readlink -f "${NODE:-$(command -v node || true)}")
app_build=${APP_BUILD:-$here/../out/node-api-app}
fail() { echo "node-api/make-bundle.sh: $*" >&2; exit 1; }
[ -x "$node" ] || fail "no node binary (apt-get install nodejs, or set NODE)"
case $version in *[!A-Za-z0-9._-]*|'') fail "$version: a version is [A-Za-z0-9._-]+" ;; esac

# node_modules: `npm ci` again only when the lock file changed.
mkdir -p "$app_build"
if ! cmp -s "$here/app/package-lock.json" "$app_build/package-lock.json" ||
   [ ! -d "$app_build/node_modules" ]; then
	cp "$here/app/package.json" "$here/app/package-lock.json" "$app_build/"
	(cd "$app_build" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) ||
		fail "npm ci failed in $app_build"
fi

# Built beside OUTDIR and renamed into place, so a half-made bundle is never
# seen under its name.
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$(dirname "$out")/.make-bundle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mkdir -p "$root/proc" "$root/dev" "$root/tmp" "$root/usr/bin" "$root/app"
chmod 1777 "$root/tmp"
chmod 755 "$tmp" "$root"
cp "$node" "$root/usr/bin/node"
# Every library ldd resolves and the loader, copied (symlinks followed) to
# the very path ldd printed: the loader's default search path finds them with
# no ld.so.cache, whatever the host's /lib -> /usr/lib layout.
for lib in $(ldd "$node" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp "$here/app/server.js" "$here/app/package.json" "$root/app/"
cp -a "$app_build/node_modules" "$root/app/node_modules"

env="\"PATH=/usr/bin:/bin\", \"NODE_ENV=production\", \"VERSION=$version\""
for kv in ${EXTRA_ENV:-}; do
	env="$env, \"$kv\""
done
nofile=${NOFILE:-65536}
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then
	nofile=$hard
fi
caps='["CAP_NET_BIND_SERVICE"]'
cat > "$tmp/config.json" <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": ["/usr/bin/node", "/app/server.js"],
		"env": [$env],
		"cwd": "/app",
		"capabilities": { "bounding": $caps, "effective": $caps, "permitted": $caps },
		"rlimits": [{ "type": "RLIMIT_NOFILE", "hard": $nofile, "soft": $nofile }],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": "node-api-$version",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid","noexec","nodev","mode=1777","size=65536k"] }
	],
	"linux": {
		"namespaces": [{ "type": "pid" }, { "type": "mount" }, { "type": "ipc" }, { "type": "uts" }],
		"maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/scsi"],
		"readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}
JSON
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
