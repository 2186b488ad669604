#!/bin/bash
# The static analysers over runtime/, src/ and tests/unit, as TAP: clang's
# scan-build (every file compiled under the analyzer into a scratch build
# dir) and cppcheck. One line each: `ok - scan-build: no finding`, or
# `not ok` with every finding as a `# ` line. A false positive is
# suppressed narrowly where it is, with the reason beside it
# (tests/static/cppcheck.supp for cppcheck; code changes or a comment for
# scan-build, which has no suppression file). `make static` runs this.
set -u
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/zrun-static.XXXXXX)
trap 'rm -rf "$work"' EXIT
jobs=${STATIC_JOBS:-$(nproc)}
status=0
echo "1..2"

# scan-build: the same make rule and flags as make check's build (with
# WERROR=-Werror: clang's warnings count too), with objects kept out of
# build/.
srcs=$(ls runtime/*.c src/*.c src/cmd/*.c src/service/*.c tests/unit/*.c)
objs=$(sed "s|^|$work/obj/|; s|\.c$|.o|" <<<"$srcs")
start=$SECONDS
# A make of its own (not make check's jobserver), from a clean slate.
# shellcheck disable=SC2086
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	scan-build --status-bugs -o "$work/report" make -s -j"$jobs" BUILD="$work/obj" WERROR=-Werror $objs \
	>"$work/scan.log" 2>&1
rc=$?
findings=$(grep -E '^[^ :]+:[0-9]+:[0-9]+: (warning|error): ' "$work/scan.log")
if [ "$rc" -eq 0 ] && [ -z "$findings" ]; then
	echo "ok 1 - scan-build: no finding ($(wc -l <<<"$srcs") files, $((SECONDS - start)) s)"
else
	echo "not ok 1 - scan-build: exit $rc, findings:"
	{ [ -n "$findings" ] && echo "$findings" || tail -20 "$work/scan.log"; } | sed 's/^/# /'
	status=1
fi

# cppcheck: warnings, portability and performance (not the style checks:
# variableScope and unusedStructMember would flag kernel ABI structs and a
# house style, not bugs), every #if configuration, system headers not
# parsed (their macros are taken as unknown).
start=$SECONDS
cppcheck -j"$jobs" --quiet --error-exitcode=1 --enable=warning,portability,performance \
	--std=c11 -D_GNU_SOURCE -DZRUN_VERSION='"0"' -Iruntime -Isrc/service -Isrc/cmd -Isrc -Itests/unit \
	--inline-suppr --suppressions-list=tests/static/cppcheck.supp \
	--template='{file}:{line}: {severity}: {id}: {message}' \
	runtime src tests/unit >"$work/cppcheck.log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$work/cppcheck.log" ]; then
	echo "ok 2 - cppcheck: no finding ($((SECONDS - start)) s)"
else
	echo "not ok 2 - cppcheck: exit $rc, findings:"
	sed 's/^/# /' "$work/cppcheck.log"
	status=1
fi
exit $status
