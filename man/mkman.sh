#!/bin/bash
# mkman.sh ZRUN TEMPLATE OUT: zrun(8) from man/zrun.8.in, with the COMMANDS
# and GLOBAL OPTIONS sections made from the binary's own --help texts, so the
# page lists every command and option zrun has and can not fall behind them.
set -euo pipefail
zrun=$1 template=$2 out=$3

# roff-escape one line of --help text: backslashes, hyphens, and a line
# that would start with a control character (. or ').
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }

# "  -x, --long ARG    help" / "      --long ARG    help" -> .TP items
options() {
	awk '/^Options:/ { on = 1; next }
	     on && /^ +-/ {
		n = split($0, w, " ")
		# -x, --long [ARG] help...: an ARG is written in capitals
		k = 1; opt = w[1]
		if (w[1] ~ /,$/) { opt = opt " " w[2]; k = 2 }
		if (w[k + 1] ~ /^[][A-Z=:]+$/) { opt = opt " " w[k + 1]; k++ }
		help = w[k + 1]
		for (j = k + 2; j <= n; j++) help = help " " w[j]
		print "OPT " opt; print "HELP " help
	     }' | esc | sed -e 's/^OPT \(.*\)$/.TP\n.B "\1"/' -e "s/^HELP \([.']\)/\\\\\&\1/" -e 's/^HELP //'
}

commands() {
	local c usage summary
	for c in $("$zrun" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
		usage=$("$zrun" "$c" --help | sed -n '1s/^Usage: zrun //p')
		summary=$("$zrun" "$c" --help | sed -n '3p')
		printf '.SS %s\n' "$c"
		printf '.B zrun\n%s\n.PP\n' "$(printf '%s\n' "$usage" | esc)"
		printf '%s\n' "$summary" | sed 's/^./\U&/' | esc
		if "$zrun" "$c" --help | grep -q '^Options:'; then
			printf '.PP\nOptions:\n'
			"$zrun" "$c" --help | options
		fi
	done
}

globals() {
	"$zrun" --help | sed -n '/^Global options:/,/^$/p' | sed 's/^Global options:/Options:/' | options
}

# through the environment: awk -v would take the roff escapes for its own
ZRUN_VERSION=$("$zrun" --version | sed -n '1s/^zrun version //p') \
ZRUN_COMMANDS=$(commands) ZRUN_GLOBALS=$(globals) awk '
	/^@COMMANDS@$/ { print ENVIRON["ZRUN_COMMANDS"]; next }
	/^@GLOBALS@$/ { print ENVIRON["ZRUN_GLOBALS"]; next }
	{ gsub(/@VERSION@/, ENVIRON["ZRUN_VERSION"]); print }' "$template" > "$out.tmp"
mv "$out.tmp" "$out"
