#!/bin/bash
# bundles/node-api/bundle-app.sh: turn a Node app directory into an OCI bundle
# whose release holds only the app; the Node runtime (node and the libraries
# it loads) is a layer made once per node binary and bind-mounted read-only
# at /usr of every release that uses it.
#
# Usage: bundle-app.sh [options] APPDIR OUTDIR
#   --layers DIR      where runtime layers live (default $ZRUN_LAYERS, else
#                     /var/lib/zrun/layers); made when missing
#   --env K=V         an environment variable of the app (repeatable; a later
#                     one, and one from --env-file, overrides an earlier one
#                     and the defaults PATH=/usr/bin:/bin NODE_ENV=production)
#   --env-file FILE   K=V lines (blank lines and # comments skipped)
#   --entry FILE      the program, relative to APPDIR (default: package.json's
#                     "main", else server.js, else index.js)
#   --node PATH       the node binary of the layer (default: command -v node)
#
# The release (OUTDIR): config.json and rootfs/ with app/ (APPDIR, without
# .git; node_modules copied if APPDIR has them, else `npm ci --omit=dev` from
# its package-lock.json, the npm registry being the only network), the empty
# mount points proc dev tmp usr, and bin lib lib64 as symlinks into usr (the
# merged-/usr layout, so one mount gives node its loader and libraries).
# The layer (LAYERS/node-VERSION-HASH/usr): node, every library ldd names
# for it and the loader, at the paths ldd printed under /usr. HASH covers
# those files, so a node upgrade makes a new layer and old releases keep
# theirs. Prints the release's and the layer's paths and sizes.
set -euo pipefail

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { echo "bundle-app.sh: $*" >&2; exit 1; }

layers=${ZRUN_LAYERS:-/var/lib/zrun/layers}
node=
entry=
envs=()
while [ $# -gt 0 ]; do
	case $1 in
	--layers) [ $# -ge 2 ] || fail "--layers: needs a directory"; layers=$2; shift ;;
	--env) [ $# -ge 2 ] || fail "--env: needs K=V"; envs+=("$2"); shift ;;
	--env-file)
		[ $# -ge 2 ] || fail "--env-file: needs a file"
		[ -r "$2" ] || fail "--env-file $2: cannot read it"
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in ''|'#'*) continue ;; esac
			envs+=("$line")
		done <"$2"
		shift ;;
	--entry) [ $# -ge 2 ] || fail "--entry: needs a file"; entry=$2; shift ;;
	--node) [ $# -ge 2 ] || fail "--node: needs a path"; node=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) fail "$1: unknown option (--help lists them)" ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
appdir=$1 out=$2
[ -d "$appdir" ] || fail "$appdir: not a directory"
case $layers in /*) ;; *) layers=$(pwd)/$layers ;; esac
for kv in ${envs[@]+"${envs[@]}"}; do
	case $kv in
	[A-Za-z_]*=*) k=${kv%%=*}; case $k in *[!A-Za-z0-9_]*) fail "--env $kv: the name must be [A-Za-z_][A-Za-z0-9_]*" ;; esac ;;
	*) fail "--env $kv: must be NAME=VALUE" ;;
	esac
done

# The entry point, as node is told it (relative to /app).
if [ -z "$entry" ] && [ -f "$appdir/package.json" ]; then
	entry=$(node -e 'const p = require(process.argv[1]); if (p.main) console.log(p.main)' \
		"$(cd "$appdir" && pwd)/package.json" 2>/dev/null || true)
fi
if [ -z "$entry" ]; then
	for f in server.js index.js; do [ -f "$appdir/$f" ] && { entry=$f; break; }; done
fi
[ -n "$entry" ] || fail "$appdir: no entry point (package.json \"main\", server.js or index.js; or --entry)"
case $entry in /*|*..*) fail "--entry $entry: must be a path inside the app directory" ;; esac
[ -f "$appdir/$entry" ] || fail "$appdir/$entry: no such file (the entry point)"

node=$(readlink -f "${node:-$(command -v node || true)}")
[ -x "$node" ] || fail "no node binary (apt-get install nodejs, or --node PATH)"

# --- the runtime layer: made once, shared read-only ---------------------------

# Every library ldd resolves and the loader; each goes to /usr + the path ldd
# printed with a leading /usr removed (/lib/x86_64-linux-gnu/libc.so.6 ->
# usr/lib/x86_64-linux-gnu/libc.so.6), which the release's lib -> usr/lib
# symlinks make the path the loader looks at.
libs=$(ldd "$node" | awk '/=> \// { print $3 } /^\t\// { print $1 }')
hash=$(sha256sum "$node" $libs | sha256sum | cut -c1-12)
layer=$layers/node-$("$node" --version | tr -d v)-$hash
if [ ! -x "$layer/usr/bin/node" ]; then
	mkdir -p "$layers"
	tmp=$(mktemp -d "$layers/.layer.XXXXXX")
	# shellcheck disable=SC2064  # the name is fixed now
	trap "rm -rf '$tmp'" EXIT
	mkdir -p "$tmp/usr/bin"
	cp "$node" "$tmp/usr/bin/node"
	for lib in $libs; do
		dest=$tmp/usr/${lib#/usr/}
		mkdir -p "$(dirname "$dest")"
		cp -L "$lib" "$dest"
	done
	chmod -R a+rX,go-w "$tmp"
	# Two bundles made at once: the first rename wins, the other's copy goes.
	mv -T "$tmp" "$layer" 2>/dev/null || rm -rf "$tmp"
	trap - EXIT
fi

# --- the release: the app only --------------------------------------------------

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../bundle-lib.sh
. "$here/../bundle-lib.sh"
bundle_begin "$out"
root=$bundle_tmp/rootfs
mkdir -p "$root/usr" "$root/app"
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
tar -C "$appdir" --exclude=./.git -cf - . | tar -C "$root/app" -xf -
if [ ! -d "$root/app/node_modules" ] && [ -f "$root/app/package-lock.json" ]; then
	(cd "$root/app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) >&2 ||
		fail "npm ci failed in $appdir's copy"
fi

# Defaults first; a later K=V replaces an earlier one of the same name.
declare -A env_of=()
names=()
for kv in PATH=/usr/bin:/bin NODE_ENV=production ${envs[@]+"${envs[@]}"}; do
	k=${kv%%=*}
	[ -n "${env_of[$k]+set}" ] || names+=("$k")
	env_of[$k]=$kv
done
env_json=
for k in "${names[@]}"; do
	env_json+="${env_json:+, }$(json_string "${env_of[$k]}")"
done

name=$(basename "$out")
bundle_config "\"/usr/bin/node\", $(json_string "/app/$entry")" "$env_json" /app "$(json_string "$name")"
# The layer at /usr, read-only: a release cannot change what its neighbours run.
python3 - "$bundle_tmp/config.json" "$layer/usr" <<'PY'
import json, sys
path, src = sys.argv[1], sys.argv[2]
with open(path) as f:
    cfg = json.load(f)
cfg["mounts"].append({"destination": "/usr", "type": "bind", "source": src,
                      "options": ["rbind", "ro", "nosuid", "nodev"]})
with open(path, "w") as f:
    json.dump(cfg, f, indent="\t")
    f.write("\n")
PY
bundle_commit "$out"
echo "release: $out ($(du -sh "$out" | cut -f1))"
echo "layer:   $layer ($(du -sh "$layer" | cut -f1), shared read-only at /usr)"
