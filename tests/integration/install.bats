#!/usr/bin/env bats
# Installed like a system tool (issue 15, 7): `make install` puts zrun, zrun(8),
# the bash completion and the boot unit under DESTDIR/PREFIX; the man page
# renders with no warning and has every command, the completion completes
# commands, options, container ids and service names, and systemd-analyze
# accepts the unit.

load service_helpers

bats_require_minimum_version 1.5.0

PORT_BASE=19480
REPO=$BATS_TEST_DIRNAME/../..

setup() { svc_setup; }
teardown() { svc_teardown; }

# install_into PREFIX: make install with everything below PREFIX. -o zrun:
# install the zrun that is built, never rebuild it with other flags; BUILD
# elsewhere: the man page and the unit are made in the test's own dir.
install_into() {
	make -s -C "$REPO" -o zrun install PREFIX="$1" STATEDIR="$1/var/lib/zrun" BUILD="$WORK/build" \
		>"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; return 1; }
}

# The command names of `zrun --help`.
listed_commands() {
	"$ZRUN" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'
}

# complete_line WORD...: what the completion offers for the last word, one
# per line, in a bash that loaded Debian's bash-completion first when
# WITH_BASH_COMPLETION=1 (as an interactive shell does), or not.
complete_line() {
	bash -c '
		[ "$WITH_BASH_COMPLETION" != 1 ] || . /usr/share/bash-completion/bash_completion
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_zrun zrun "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$REPO/completion/zrun.bash" "$@"
}

@test "make_install_honours_destdir_and_prefix" {
	make -s -C "$REPO" -o zrun install DESTDIR="$WORK/dest" BUILD="$WORK/build" >"$WORK/install.log" 2>&1 ||
		{ cat "$WORK/install.log"; false; }
	local f
	for f in usr/local/sbin/zrun usr/local/share/man/man8/zrun.8 \
		usr/local/share/bash-completion/completions/zrun usr/local/lib/systemd/system/zrun-restore.service; do
		[ -f "$WORK/dest/$f" ] || { echo "make install DESTDIR=D did not install D/$f; D has: $(cd "$WORK/dest" && find . -type f)"; false; }
	done
	[ -d "$WORK/dest/var/lib/zrun" ] || { echo "no DESTDIR/var/lib/zrun"; false; }
	grep -qx 'ExecStart=/usr/local/sbin/zrun service restore --file /var/lib/zrun/services.json' \
		"$WORK/dest/usr/local/lib/systemd/system/zrun-restore.service" ||
		{ echo "ExecStart: $(grep ExecStart "$WORK/dest/usr/local/lib/systemd/system/zrun-restore.service")"; false; }
	cmp "$REPO/zrun" "$WORK/dest/usr/local/sbin/zrun"
}

@test "man_page_renders_without_warnings_and_has_every_command" {
	install_into "$WORK/p"
	local page=$WORK/p/share/man/man8/zrun.8 c
	MANWIDTH=80 man --warnings -l "$page" >"$WORK/man.txt" 2>"$WORK/man.err"
	expect_eq "$(cat "$WORK/man.err")" "" "man --warnings stderr"
	groff -ww -z -man "$page" 2>"$WORK/groff.err"
	expect_eq "$(cat "$WORK/groff.err")" "" "groff -ww stderr"
	[ "$(listed_commands | wc -l)" -ge 20 ] || { echo "zrun --help lists too few commands"; false; }
	for c in $(listed_commands); do
		grep -qx "   $c" "$WORK/man.txt" || { echo "command $c has no section in zrun(8)"; false; }
	done
	# every option of one command, as its --help has them
	for c in $("$ZRUN" deploy --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$c" "$WORK/man.txt" || { echo "deploy option $c is not in zrun(8)"; false; }
	done
	grep -q -- "--root DIR" "$WORK/man.txt" || { echo "no global option --root in zrun(8)"; false; }
}

@test "systemd_analyze_verify_accepts_the_boot_unit" {
	install_into "$WORK/p"
	local unit=$WORK/p/lib/systemd/system/zrun-restore.service
	run --separate-stderr env MANPATH="$WORK/p/share/man" systemd-analyze verify "$unit"
	expect_eq "$status" 0 "exit status of systemd-analyze verify ($stderr)"
	expect_eq "$stderr" "" "systemd-analyze verify stderr"
	grep -qx 'Type=oneshot' "$unit" && grep -qx 'RemainAfterExit=yes' "$unit" ||
		{ echo "not a oneshot with RemainAfterExit: $(cat "$unit")"; false; }
	! grep -q '^KillMode=none' "$unit" || { echo "the unit uses the deprecated KillMode=none"; false; }
	grep -qx "ExecStart=$WORK/p/sbin/zrun service restore --file $WORK/p/var/lib/zrun/services.json" "$unit" ||
		{ echo "ExecStart: $(grep ExecStart "$unit")"; false; }
}

@test "completion_completes_commands_and_their_options" {
	local mode
	for mode in 0 1; do
		export WITH_BASH_COMPLETION=$mode
		expect_eq "$(complete_line "$ZRUN" sw)" swap "zrun sw<TAB> (bash-completion loaded: $mode)"
		expect_eq "$(complete_line "$ZRUN" de | tr '\n' ' ')" "delete deploy " "zrun de<TAB>"
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" service --fi)" --file "zrun service --fi<TAB>"
		expect_eq "$(complete_line "$ZRUN" service sa)" save "zrun service sa<TAB>"
		expect_eq "$(complete_line "$ZRUN" --ro)" --root "zrun --ro<TAB>"
	done
}

@test "completion_completes_service_names_and_container_ids" {
	first_version api-v1
	local mode
	for mode in 0 1; do
		export WITH_BASH_COMPLETION=$mode
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" service status "")" api \
			"zrun --root R service status <TAB> (bash-completion loaded: $mode)"
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" deploy a)" api "zrun deploy a<TAB>"
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" scale "")" api "zrun scale <TAB>"
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" kill "")" api-v1 "zrun kill <TAB>"
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" exec api-v1 "")" "" "zrun exec ID <TAB> (the program's)"
		expect_eq "$(complete_line "$ZRUN" --root "$ROOT" logs "" | sort | tr '\n' ' ')" "api api-v1 " "zrun logs <TAB>"
	done
}
