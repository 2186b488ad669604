#!/usr/bin/env bats
# The source layout and the build (docs/architecture.md): the layers'
# include rule (tests/lib/layers_check.sh), and the Makefile honouring the
# user's CC, CFLAGS and LDFLAGS, with -Werror only in make check's build.
# Nothing here runs a container: every make writes under $WORK only
# (BUILD=$WORK/..., or a copy of the tree), and `make -n` prints the
# commands it would run. ZRUN_TOP names another tree to test (an older
# checkout, to see these tests fail there).

bats_require_minimum_version 1.5.0

TOP=${ZRUN_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
CHECK=$BATS_TEST_DIRNAME/../lib/layers_check.sh

setup() {
	WORK=$(mktemp -d /tmp/zrun-layout.XXXXXX)
	touch "$WORK/start"
	export -n CC CFLAGS CPPFLAGS LDFLAGS LDLIBS WERROR MAKEFLAGS
	unset CC CFLAGS CPPFLAGS LDFLAGS LDLIBS WERROR MAKEFLAGS MAKELEVEL
}

teardown() {
	# a make here must not have written into the tree under test
	local touched
	touched=$(find "$TOP/zrun" "$TOP/build" -newer "$WORK/start" 2>/dev/null | head -3)
	rm -rf "$WORK"
	[ -z "$touched" ] || { echo "written outside \$WORK: $touched"; return 1; }
}

# make in the tree under test, objects under $WORK/b
mk() {
	make -C "$TOP" --no-print-directory BUILD="$WORK/b" "$@"
}

# The compile command of runtime/error.c that `make -n` prints.
compile_line() {
	mk -n -B "$@" "$WORK/b/runtime/error.o" | grep -- ' -c -o .*runtime/error.o'
}

@test "layers_no_runtime_file_includes_src_and_no_service_file_includes_a_command" {
	run "$CHECK" "$TOP"
	[ "$status" -eq 0 ] && [ -z "$output" ] ||
		{ echo "expected: exit 0 and no output; saw exit $status: $output"; false; }
}

@test "layers_no_include_loop_inside_src_service" {
	# module = the X.c/X.h pair; a loop is a set of modules that include
	# one another (supervisor -> supervise -> version -> supervisor was one)
	run "$CHECK" --loops "$TOP"
	local loops
	loops=$(grep "^layers: loop:.*src/service/" <<<"$output" || true)
	[ -z "$loops" ] || { echo "expected: no include loop in src/service; saw:"; echo "$loops"; false; }
}

@test "layers_check_names_every_include_that_points_up" {
	mkdir "$WORK/tree"
	cp -r "$TOP/runtime" "$TOP/src" "$WORK/tree/" || { echo "no runtime/ and src/ in $TOP"; false; }
	echo '#include "service.h"' >>"$WORK/tree/runtime/error.c"
	echo '#include "../cmd/create.h"' >>"$WORK/tree/src/service/listener.c"
	echo '#include "cli.h"' >>"$WORK/tree/src/service/service.h"
	run "$CHECK" "$WORK/tree"
	local want=(
		"layers: runtime/error.c includes src/service/service.h (runtime must not include service)"
		"layers: src/service/listener.c includes src/cmd/create.h (service must not include program)"
		"layers: src/service/service.h includes src/cli.h (service must not include program)"
	)
	[ "$status" -eq 1 ] || { echo "expected exit 1, saw $status: $output"; false; }
	local w
	for w in "${want[@]}"; do
		[[ "$output" == *"$w"* ]] || { echo "expected the line: $w"; echo "saw: $output"; false; }
	done
}

@test "unit_tests_link_the_libraries_instead_of_including_sources" {
	run grep -ln '#include ".*\.c"' "$TOP"/tests/unit/*.c "$TOP"/tests/fuzz/*.c
	[ "$status" -eq 1 ] || { echo "expected no test to #include a .c file; these do: $output"; false; }
	run mk -n -B "$WORK/b/tests/test_service"
	[[ "$output" == *"libzrun-service.a"*"libzrun-runtime.a"* ]] ||
		{ echo "expected test_service linked with libzrun-service.a and libzrun-runtime.a, saw: $output"; false; }
}

@test "make_with_the_users_cflags_keeps_the_project_flags_and_builds" {
	local line
	line=$(compile_line CFLAGS=-O3)
	local f
	for f in -O3 -D_GNU_SOURCE -Iruntime -fPIE; do
		[[ " $line " == *" $f "* ]] || { echo "expected $f in: $line"; false; }
	done
	run mk -s CFLAGS=-O3 "$WORK/b/runtime/error.o" "$WORK/b/src/service/listener.o" "$WORK/b/src/cmd/create.o"
	[ "$status" -eq 0 ] || { echo "expected make CFLAGS=-O3 to build, saw exit $status: $output"; false; }
}

@test "make_with_the_users_ldflags_keeps_pie_and_relro" {
	local line f
	line=$(mk -n -B LDFLAGS=-Wl,--as-needed zrun | grep -- ' -o zrun ')
	for f in -pie -Wl,-z,relro,-z,now -Wl,--as-needed; do
		[[ " $line " == *" $f "* ]] || { echo "expected $f in the link line: $line"; false; }
	done
}

@test "make_compiles_with_gcc_by_default_and_with_the_users_cc_when_given" {
	local line
	line=$(compile_line)
	[[ "$line" == *"gcc -std=gnu11"* ]] || { echo "expected gcc, saw: $line"; false; }
	line=$(CC=clang compile_line)
	[[ "$line" == *"clang -std=gnu11"* ]] || { echo "expected clang (CC from the environment), saw: $line"; false; }
}

@test "plain_make_leaves_warnings_as_warnings_and_check_build_makes_them_errors" {
	# a copy of what make check's build reads (not bundles/out)
	mkdir "$WORK/tree"
	tar -C "$TOP" -c --exclude=bundles/out --exclude=node_modules \
		Makefile runtime src tests/unit tests/fuzz bundles | tar -C "$WORK/tree" -x
	echo 'static int layout_test_unused;' >>"$WORK/tree/runtime/error.c"
	run --separate-stderr make -C "$WORK/tree" -s build/runtime/error.o
	[ "$status" -eq 0 ] && [[ "$stderr" == *"warning:"*"layout_test_unused"* ]] ||
		{ echo "expected a plain make to build with a warning; saw exit $status: $stderr"; false; }
	run make -C "$WORK/tree" -n -B check-build
	local lines werror
	lines=$(grep -c -- ' -c -o build/' <<<"$output")
	werror=$(grep -- ' -c -o build/' <<<"$output" | grep -c -- ' -Werror ')
	[ "$lines" -gt 50 ] && [ "$werror" = "$lines" ] ||
		{ echo "expected -Werror in every compile of make check's build: $werror of $lines"; false; }
}

@test "objects_are_compiled_again_when_the_flags_change" {
	local o=$WORK/b/runtime/error.o
	run mk "$o"
	[[ "$output" == *"CC runtime/error.c"* ]] || { echo "first make: expected a compile, saw: $output"; false; }
	run mk "$o"
	[[ "$output" != *"CC runtime/error.c"* ]] || { echo "same flags: expected no compile, saw: $output"; false; }
	run mk WERROR=-Werror "$o"
	[[ "$output" == *"CC runtime/error.c"* ]] || { echo "with -Werror: expected a compile, saw: $output"; false; }
	run mk "$o"
	[[ "$output" == *"CC runtime/error.c"* ]] || { echo "back to no -Werror: expected a compile, saw: $output"; false; }
}

# One swap engine (issue 14): no include loop and no call loop among the
# swap modules. Calls come from the objects' symbols: module A -> B when A
# uses a function that B defines (the two engines of old called each
# other through swap.h with no include loop to show it).
@test "swap_modules_include_and_call_each_other_in_no_loop" {
	run "$CHECK" --loops "$TOP"
	[[ "$output" != *swap* ]] || { echo "expected no include loop through a swap module, saw: $output"; false; }
	local objs=() f o m d sym
	for f in "$TOP"/src/service/swap*.c; do objs+=("$WORK/b/src/service/$(basename "${f%.c}").o"); done
	run mk -s "${objs[@]}"
	[ "$status" -eq 0 ] || { echo "expected the swap modules to build, saw exit $status: $output"; false; }
	declare -A def
	for o in "${objs[@]}"; do
		m=$(basename "$o" .o)
		for sym in $(nm -g --defined-only "$o" | awk '$2 == "T" { print $3 }'); do def[$sym]=$m; done
	done
	: >"$WORK/calls"
	for o in "${objs[@]}"; do
		m=$(basename "$o" .o)
		echo "$m $m" >>"$WORK/calls"
		for sym in $(nm -u "$o" | awk '{ print $2 }'); do
			d=${def[$sym]:-}
			[ -z "$d" ] || [ "$d" = "$m" ] || echo "$m $d ($sym)" >>"$WORK/calls"
		done
	done
	run tsort <(cut -d' ' -f1,2 "$WORK/calls")
	[[ "$output" != *"contains a loop"* ]] ||
		{ echo "expected no call loop among the swap modules; tsort: $output"; grep '(' "$WORK/calls"; false; }
}
