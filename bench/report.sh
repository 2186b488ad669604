# shellcheck shell=bash
# Shared by bench/lifecycle and bench/lifecycle-vm (bash): the tables.
# Data files are $TMP/data/OP.RUNTIME, one "wall_ns maxrss_kb status" line per
# operation (bench/timeit.c); RUNTIMES lists the columns, zrun first.

# stats FILE COLUMN SCALE: "median min max" of one column, divided by SCALE.
stats() {
	[ -s "$1" ] || { echo "- - -"; return; }
	awk -v c="$2" '$3 == 0 { print $c }' "$1" | sort -g | awk -v s="$3" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f %.2f %.2f\n", m / s, v[1] / s, v[NR] / s
		}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }

# row LABEL FILE_PREFIX COLUMN SCALE
row() {
	local label=$1 prefix=$2 col=$3 scale=$4 name med min max
	local -A median
	printf '| %-30s ' "$label"
	for name in "${RUNTIMES[@]}"; do
		read -r med min max < <(stats "$TMP/data/$prefix.$name" "$col" "$scale")
		median[$name]=$med
		printf '| %-21s ' "$med ($min-$max)"
	done
	printf '| %9s | %9s |\n' "$(ratio "${median[zrun]}" "${median[crun]}")" \
		"$(ratio "${median[zrun]}" "${median[runc]}")"
}

header() {
	printf '| %-30s | %-21s | %-21s | %-21s | %s | %s |\n' "$1" zrun crun runc zrun/crun zrun/runc
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..32})" \
		"$(printf -- '-%.0s' {1..23})" "$(printf -- '-%.0s' {1..23})" \
		"$(printf -- '-%.0s' {1..23})" "-----------" "-----------"
}
