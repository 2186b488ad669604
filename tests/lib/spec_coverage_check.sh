#!/bin/bash
# Checks docs/spec-coverage.md against the tests: every row of its table
# (between <!-- BEGIN TABLE --> and <!-- END TABLE -->) must name, in its
# last column, either tests that exist or a reason:
#   tests/integration/F.bats: NAME   a bats test: F.bats has @test "NAME"
#   tests/unit/F.c: NAME             a C unit test: F.c has TEST(NAME) and RUN(NAME)
#   several of these, separated by " ; "
#   n/a: WHY                         the requirement does not apply to zrun
#   deviation: WHY                   zrun does not keep it; the row's id must
#                                    also be in the "Deviations" section
# Row ids (first column) must be unique. A row left "pending:" (what the
# table said while fixes were in flight) is a problem too. Prints one line
# per problem; exits 1 on any.
# Usage: tests/lib/spec_coverage_check.sh [DOC] (default docs/spec-coverage.md)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
doc=${1:-$top/docs/spec-coverage.md}
[ -r "$doc" ] || { echo "spec-coverage: $doc: cannot read" >&2; exit 1; }

problems=0 rows=0 tests=0 pending=0 na=0 deviation=0 tested=0
problem() { echo "spec-coverage: $*"; problems=$((problems + 1)); }
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# The ids listed in the Deviations section (lines "- **ID** ...").
deviations=$(sed -n '/^## Deviations/,/^## /p' "$doc" | sed -n 's/^- \*\*\([A-Za-z0-9.-]*\)\*\*.*/\1/p')

# ref "PATH: NAME": 0 when the test exists
test_exists() {
	local path=${1%%: *} name=${1#*: }
	[ "$path" != "$1" ] && [ -n "$name" ] || { echo "not \"file: test name\""; return 1; }
	[ -f "$top/$path" ] || { echo "no file $path"; return 1; }
	case $path in
	tests/integration/*.bats)
		grep -qF "@test \"$name\" {" "$top/$path" || { echo "no @test \"$name\" in $path"; return 1; } ;;
	tests/unit/*.c)
		grep -qF "TEST($name)" "$top/$path" || { echo "no TEST($name) in $path"; return 1; }
		grep -qF "RUN($name)" "$top/$path" || { echo "TEST($name) in $path is never RUN"; return 1; } ;;
	*) echo "$path is neither tests/integration/*.bats nor tests/unit/*.c"; return 1 ;;
	esac
}

seen_ids=" "
while IFS= read -r line; do
	case $line in '| '*) ;; *) continue ;; esac
	IFS='|' read -r -a cells <<<"$line"
	id=$(trim "${cells[1]}")
	case $id in '#' | '-'* | '') continue ;; esac   # header and rule lines
	rows=$((rows + 1))
	# "| id | section | requirement | level | proof |": five cells after
	# the empty one before the first "|" (read drops the one after the last)
	if [ "${#cells[@]}" -ne 6 ]; then
		problem "row $id: $((${#cells[@]} - 1)) columns, not 5 (a \"|\" inside a cell?)"
		continue
	fi
	last=$(trim "${cells[5]}")
	case $seen_ids in *" $id "*) problem "row $id: id used twice" ;; esac
	seen_ids+="$id "
	last=${last//\`/}
	case $last in
	'n/a: '?*) na=$((na + 1)) ;;
	'deviation: '?*)
		deviation=$((deviation + 1))
		grep -qx -- "$id" <<<"$deviations" || problem "row $id: a deviation missing from the Deviations section" ;;
	'pending: '?*)
		pending=$((pending + 1))
		problem "row $id: still pending (${last#pending: }): name its test or a reason" ;;
	tests/*)
		tested=$((tested + 1))
		IFS=';' read -r -a refs <<<"$last"
		for ref in "${refs[@]}"; do
			ref=$(trim "$ref")
			why=$(test_exists "$ref") || problem "row $id: $why"
			tests=$((tests + 1))
		done ;;
	'') problem "row $id: neither a test nor a reason" ;;
	*) problem "row $id: \"$last\" is neither tests nor n/a:, deviation:, pending:" ;;
	esac
done < <(sed -n '/<!-- BEGIN TABLE -->/,/<!-- END TABLE -->/p' "$doc")

[ "$rows" -gt 0 ] || problem "no table rows in $doc"
for id in $deviations; do
	case $seen_ids in *" $id "*) ;; *) problem "Deviations lists $id, which is no row of the table" ;; esac
done
echo "spec-coverage: $rows rows: $tested proven by $tests test references, $na n/a, $deviation deviations, $pending pending; $problems problems"
[ "$problems" -eq 0 ]
