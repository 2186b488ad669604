#!/bin/bash
# bundles/node-api/make-bundle.sh VERSION OUTDIR: an OCI bundle at OUTDIR that
# runs the Hono API of bundles/node-api/app with this machine's node binary:
# ["/usr/bin/node", "/app/server.js"], env VERSION=VERSION.
#
# The rootfs holds node, the shared libraries ldd names for it, the app and
# its node_modules (`npm ci` from the committed package-lock.json, once, in
# $APP_BUILD; the npm registry is the only network it needs). The config:
# bundles/bundle-lib.sh, as for bundles/make-bundle.sh.
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

# shellcheck source=../bundle-lib.sh
. "$here/../bundle-lib.sh"
bundle_begin "$out"
root=$bundle_tmp/rootfs
mkdir -p "$root/usr/bin" "$root/app"
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
bundle_config '"/usr/bin/node", "/app/server.js"' "$env" /app "\"node-api-$version\""
bundle_commit "$out"
