#!/bin/bash
# The dependency rule of docs/architecture.md, from the #include lines:
# arrows only go down, src/cmd (with src/main.c and src/cli.c beside it)
# -> src/service -> runtime. A quoted include is resolved as the compiler
# would for the program (the including file's own directory, then
# runtime/, src/service/, src/cmd/, src/); one whose target sits in a
# higher layer than the including file is a problem: one line each,
#   layers: runtime/state.c includes src/service/service.h (service -> runtime only)
# exit 1 when there is any. The Makefile enforces the same rule by giving
# each layer only its own include path; this check also catches a
# relative "../service/x.h", and says which rule was broken.
# With --loops, also list the include loops inside src/ (module = the
# X.c/X.h pair), one "layers: loop: a b c" line each (they do not fail
# the check: docs/architecture.md names the ones left).
# Usage: tests/lib/layers_check.sh [--loops] [TOP] (default: this repository)
set -u
loops=false
[ "${1:-}" = --loops ] && { loops=true; shift; }
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 2
[ -d runtime ] && [ -d src/service ] && [ -d src/cmd ] ||
	{ echo "layers: $top: no runtime/, src/service/ and src/cmd/ here" >&2; exit 2; }

# layer PATH: 0 runtime, 1 service, 2 the program (src/cmd, src/*.c)
layer() {
	case $1 in
	runtime/*) echo 0 ;;
	src/service/*) echo 1 ;;
	src/*) echo 2 ;;
	*) echo -1 ;;
	esac
}
names=(runtime service program)

# resolve FILE INCLUDE: the repository path the include reaches, or nothing
# (a system header, or a file that does not exist)
resolve() {
	local dir d p
	dir=$(dirname "$1")
	for d in "$dir" runtime src/service src/cmd src; do
		p=$d/$2
		[ -f "$p" ] || continue
		[[ $p == *..* || $p == ./* ]] && p=$(realpath -m --relative-to=. "$p")
		echo "$p"
		return
	done
}

problems=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r f; do
	from=$(layer "$f")
	while IFS= read -r inc; do
		target=$(resolve "$f" "$inc")
		[ -n "$target" ] || continue
		to=$(layer "$target")
		if [ "$to" -gt "$from" ]; then
			echo "layers: $f includes $target (${names[$from]} must not include ${names[$to]})"
			problems=$((problems + 1))
		fi
		case $f in src/*)
			m=$(basename "${f%.*}") t=$(basename "${target%.*}")
			[ "$m" = "$t" ] || echo "$(dirname "$f")/$m $(dirname "$target")/$t" >>"$edges" ;;
		esac
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find runtime src -name '*.[ch]' | sort)

if $loops; then
	# tsort names one loop at a time on stderr ("tsort: a" lines after
	# "input contains a loop:"), breaks it and goes on.
	sort -u "$edges" | tsort 2>&1 >/dev/null |
		awk '/input contains a loop/ { if (l) print "layers: loop:" l; l = ""; next }
		     { sub(/^tsort: /, ""); l = l " " $0 }
		     END { if (l) print "layers: loop:" l }'
fi
[ "$problems" -eq 0 ]
