# zrun — the one build entry: make, make check, make demo, make bench, make install
# make's built-in default CC is cc; a CC from the command line or the
# environment is the user's and stays.
ifeq ($(origin CC),default)
CC      := gcc
endif
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
# bash-completion also reads $XDG_DATA_DIRS/bash-completion/completions,
# which has /usr/local/share by default; systemd reads /usr/local/lib/systemd/system.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
# where `zrun service save --file` keeps the services for the boot unit
STATEDIR ?= /var/lib/zrun
BUILD   ?= build
VERSION := 0.1.0

PKG_DEPS := libseccomp-dev libcap-dev libyajl-dev pkg-config busybox-static bats \
            cpio qemu-system-x86 crun runc wrk curl python3 iproute2 strace \
            clang libclang-rt-14-dev containerd podman jq clang-tools-14 cppcheck \
            man-db groff-base bash-completion systemd ansible-core uidmap libsystemd-dev mmdebstrap \
            python3-grpcio python3-protobuf

# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are the user's (`make CFLAGS=-O3`):
# they come after the project's own flags, which live in ZRUN_CFLAGS and
# ZRUN_LDFLAGS so that no user setting can drop -D_GNU_SOURCE or -pie.
CFLAGS  ?= -O2 -g
# Warnings are errors in `make check` (and CI), which passes
# WERROR=-Werror; someone who only wants a zrun gets them as warnings.
WERROR  ?=
# -Wno-format-truncation: every message buffer is bounded on purpose, and a
# message cut at 1 KiB is what we want, not a build failure.
ZRUN_CFLAGS  := -std=gnu11 -Wall -Wextra $(WERROR) -Wno-format-truncation -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
                -fstack-protector-strong -fPIE -DZRUN_VERSION='"$(VERSION)"'
# -pie, not -static-pie: the systemd driver dlopens libsystemd, which needs
# the dynamic glibc (docs/decisions.md, "zrun stays a dynamic PIE").
ZRUN_LDFLAGS := -pie -Wl,-z,relro,-z,now
ALL_CFLAGS    = $(ZRUN_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS   = $(ZRUN_LDFLAGS) $(LDFLAGS)
# libseccomp, libcap and yajl are linked statically: one self-contained binary
# that a VM initramfs or a containerd node can take as it is.
# libsystemd (sd-bus, for --systemd-cgroup) is not linked: the driver
# dlopens it (runtime/cgroup_systemd.c); libsystemd-dev gives its header.
LIBS    := -Wl,-Bstatic -lseccomp -lcap -lyajl_s -Wl,-Bdynamic $(LDLIBS)
# The sanitizer and fuzz builds link the same way (LIBS_DYNAMIC: a name
# kept for when zrun itself is static again, docs/decisions.md).
LIBS_DYNAMIC := $(LIBS)

# Three layers, arrows only down: src/cmd (and src/main.c, src/cli.c beside
# it) -> src/service -> runtime. Each is built on its own: runtime/ and
# src/service/ as libraries, which the zrun program, the unit tests and the
# fuzzers link. Each layer is compiled seeing only its own headers and
# those below (LAYER_INC), so an include that points up does not compile.
RUNTIME_SRC := $(sort $(wildcard runtime/*.c))
SERVICE_SRC := $(sort $(wildcard src/service/*.c))
PROGRAM_SRC := $(sort $(wildcard src/*.c src/cmd/*.c))
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
SERVICE_OBJ := $(SERVICE_SRC:%.c=$(BUILD)/%.o)
PROGRAM_OBJ := $(PROGRAM_SRC:%.c=$(BUILD)/%.o)
RUNTIME_LIB := $(BUILD)/libzrun-runtime.a
SERVICE_LIB := $(BUILD)/libzrun-service.a
HEADERS     := $(wildcard runtime/*.h src/*.h src/*/*.h)
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

INC_RUNTIME := -Iruntime
INC_SERVICE := $(INC_RUNTIME) -Isrc/service
INC_PROGRAM := $(INC_SERVICE) -Isrc/cmd -Isrc
# LAYER_INC(source file): the include path of that file's layer.
LAYER_INC    = $(if $(filter runtime/%,$1),$(INC_RUNTIME),$(if $(filter src/service/%,$1),$(INC_SERVICE),$(INC_PROGRAM)))

.PHONY: all check check-build deps bench-deps unit install clean demo bench bench-scale bench-pm2day bench-steer fuzz fuzz-build zrun-asan zrun-test static
all: zrun zrun-daemon

# the demo app and its v1/v2 bundles (bundles/out/)
include bundles/bundles.mk
include bundles/node-api/node-api.mk

# zrun-daemon comes with every zrun build: a zrun runs the daemon beside it,
# and one left from an older build would speak an older protocol.
zrun: $(PROGRAM_OBJ) $(SERVICE_LIB) $(RUNTIME_LIB) | zrun-daemon
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter-out zrun-daemon,$^) $(LIBS)

# variant_objects DIR,CFLAGS,LDFLAGS,TAG: a build dir of the same sources
# with other flags (the variables named): its .flags, its objects and its
# two libraries.
define variant_objects
$(1)/.flags: export ZRUN_FLAGS_NOW = $$(CC) $$($(2)) $$($(3))
$(1)/%.o: %.c $$(HEADERS) $(1)/.flags
	@mkdir -p $$(dir $$@)
	@echo "  CC($(4)) $$<"; $$(CC) $$($(2)) $$(call LAYER_INC,$$<) -c -o $$@ $$<
$(1)/libzrun-runtime.a: $$(RUNTIME_SRC:%.c=$(1)/%.o)
	$$(AR_LIB)
$(1)/libzrun-service.a: $$(SERVICE_SRC:%.c=$(1)/%.o)
	$$(AR_LIB)
endef

# zrun-daemon: the fdstore and the supervisor of each service, exec'd by
# zrun from its own directory (src/service/supervisor.c), so it is made (a hard
# link of $(BUILD)/zrun-daemon) and installed beside zrun. A static-pie: it
# never dlopens (no systemd driver, no getpwuid, no getaddrinfo: the link
# would warn), and a static image of the daemons' code only maps ~60 KB
# less per process than the dynamic zrun (docs/decisions.md). Its own objects, one section per
# function, so --gc-sections drops what the two loops never call.
DAEMON_BUILD   := $(BUILD)/daemon
DAEMON_CFLAGS   = $(ALL_CFLAGS) -ffunction-sections -fdata-sections
DAEMON_LDFLAGS  = $(patsubst -pie,-static-pie,$(ALL_LDFLAGS)) -Wl,--gc-sections
DAEMON_OBJ     := $(DAEMON_BUILD)/src/daemon/main.o
$(eval $(call variant_objects,$(DAEMON_BUILD),DAEMON_CFLAGS,DAEMON_LDFLAGS,daemon))
$(BUILD)/zrun-daemon: $(DAEMON_OBJ) $(DAEMON_BUILD)/libzrun-service.a $(DAEMON_BUILD)/libzrun-runtime.a
	$(CC) $(DAEMON_LDFLAGS) -o $@ $^ -Wl,-Bstatic -lseccomp -lcap -lyajl_s $(LDLIBS)
zrun-daemon: $(BUILD)/zrun-daemon
	ln -f $< $@

$(BUILD)/%.o: %.c $(HEADERS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(ALL_CFLAGS) $(call LAYER_INC,$<) -c -o $@ $<

# A build dir records the flags its objects were made with (DIR/.flags,
# rewritten only when they differ): a `make check` (-Werror) after a plain
# `make`, or a `make CFLAGS=-O3`, compiles everything again instead of
# linking objects made with other flags.
$(BUILD)/.flags: export ZRUN_FLAGS_NOW = $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
%/.flags: FORCE
	@mkdir -p $(@D); printf '%s\n' "$$ZRUN_FLAGS_NOW" | cmp -s - $@ || printf '%s\n' "$$ZRUN_FLAGS_NOW" >$@
FORCE:

AR_LIB       = @echo "  AR $@"; rm -f $@; $(AR) rcs $@ $^
$(RUNTIME_LIB): $(RUNTIME_OBJ)
	$(AR_LIB)
$(SERVICE_LIB): $(SERVICE_OBJ)
	$(AR_LIB)

# The unit tests link the libraries: what a test does not call is not
# linked in (a runtime test needs no service code).
$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(SERVICE_LIB) $(RUNTIME_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_SERVICE) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(SERVICE_LIB) $(RUNTIME_LIB) $(LIBS)

unit: $(UNIT_BIN)

# build-test/zrun: the same sources and flags with the test hooks compiled
# in (ZRUN_TEST_FAULT, runtime/fault.h), for the integration tests that
# inject faults; the zrun that is shipped and installed has none. Its own
# libraries too: the fault points are in runtime/ and src/service/.
TEST_BUILD  := build-test
TEST_CFLAGS  = $(ALL_CFLAGS) -DZRUN_TEST_HOOKS

$(eval $(call variant_objects,$(TEST_BUILD),TEST_CFLAGS,ALL_LDFLAGS,test))

$(TEST_BUILD)/zrun: $(PROGRAM_SRC:%.c=$(TEST_BUILD)/%.o) $(TEST_BUILD)/libzrun-service.a $(TEST_BUILD)/libzrun-runtime.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

zrun-test: $(TEST_BUILD)/zrun

# Installs what is missing (Debian 12, as root), then builds and runs every test.
# apt-install what of $(1) is missing (Debian 12, as root)
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(PKG_DEPS))

bench-deps: deps
	$(call apt_install,gnuplot-nox valgrind)
	@# node and npm for bundles/node-api and pm2: Debian's unless the machine has its own
	@command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs >/dev/null; }
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }

check: deps
	$(MAKE) check-build
	@# the Node app for the intercept tests, where the machine has node and npm
	@if command -v node >/dev/null && command -v npm >/dev/null; then $(MAKE) node-api-bundles; fi
	@tests/run.sh

# What make check builds, warnings as errors, one job per core (CI calls
# plain `make check`: serial, the builds alone took minutes).
check-build:
	$(MAKE) -j$$(nproc) WERROR=-Werror zrun zrun-daemon zrun-test unit bundles zrun-asan fuzz-build

# scan-build and cppcheck over runtime/, src/ and tests/unit: no finding
# (the `static` suite of make check; tests/static/run.sh says how).
static: deps
	tests/static/run.sh

# zrun(8), made from the --help texts of this zrun (man/mkman.sh), and the
# boot unit with the path zrun is installed at.
$(BUILD)/zrun.8: zrun man/zrun.8.in man/mkman.sh
	@mkdir -p $(@D)
	man/mkman.sh ./zrun man/zrun.8.in $@
$(BUILD)/zrun-restore.service: systemd/zrun-restore.service.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g' $< > $@

# DESTDIR for packagers. STATEDIR is made here: save does not create it.
install: zrun zrun-daemon $(BUILD)/zrun.8 $(BUILD)/zrun-restore.service
	install -D -m 0755 zrun $(DESTDIR)$(SBINDIR)/zrun
	install -D -m 0755 zrun-daemon $(DESTDIR)$(SBINDIR)/zrun-daemon
	install -D -m 0644 $(BUILD)/zrun.8 $(DESTDIR)$(MANDIR)/man8/zrun.8
	install -D -m 0644 completion/zrun.bash $(DESTDIR)$(BASHCOMPDIR)/zrun
	install -D -m 0644 $(BUILD)/zrun-restore.service $(DESTDIR)$(UNITDIR)/zrun-restore.service
	install -d -m 0700 $(DESTDIR)$(STATEDIR)

clean:
	rm -rf $(BUILD) zrun zrun-daemon bundles/out $(ASAN_BUILD) $(FUZZ_BUILD) $(TEST_BUILD)

# v1 under load, a swap to v2 and back, and the count of failed requests.
demo: deps zrun zrun-daemon bundles
	@bundles/demo.sh

BENCH_ARGS ?=
# Lifecycle benchmark against crun and runc (root; BENCH_ARGS=--quick for a short run).
bench: bench-deps zrun zrun-daemon bundles node-api-bundles
	bench/lifecycle $(BENCH_ARGS)
	bench/phases $(BENCH_ARGS)
	bench/swap $(BENCH_ARGS)
	bench/overhead $(BENCH_ARGS)
	bench/lifecycle-vm $(BENCH_ARGS)
	bench/lifecycle-systemd $(BENCH_ARGS)
	bench/callgrind

# Scale against pm2, crun and runc (issue 20): docs/scale.md and docs/scale.png.
# BENCH_ARGS=--quick for N 1,10,100. A pm2 user's day (issue 15): docs/benchmarks.md.
bench-scale: bench-deps zrun zrun-daemon bundles node-api-bundles
	bench/scale $(BENCH_ARGS)

bench-pm2day: bench-deps zrun zrun-daemon node-api-bundles
	bench/pm2day $(BENCH_ARGS)

# BENCH_ARGS=--quick for 5 swaps. Steered connections against the shared
# socket and the app's own bind (issue 17): docs/benchmarks.md.
bench-steer: bench-deps zrun zrun-daemon bundles
	bench/steer $(BENCH_ARGS)

# ---- sanitizers: an ASan+UBSan zrun, and libFuzzer targets (clang) ----

# build-asan/zrun: the same sources with ASan and UBSan (any UB aborts); the
# `asan` suite of tests/run.sh runs the integration tests with it.
ASAN_BUILD  := build-asan
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# -Wno-maybe-uninitialized: gcc reports false ones under -O1 with sanitizers.
# The test hooks too: the asan suite runs the fault-injection tests.
ASAN_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(ZRUN_CFLAGS)) $(CPPFLAGS) $(filter-out -O%,$(CFLAGS)) -O1 \
               -Wno-maybe-uninitialized $(ASAN_FLAGS) -DZRUN_TEST_HOOKS
ASAN_RUNTIME_LIB := $(ASAN_BUILD)/libzrun-runtime.a
ASAN_SERVICE_LIB := $(ASAN_BUILD)/libzrun-service.a

$(ASAN_BUILD)/.flags: export ZRUN_FLAGS_NOW = $(CC) $(ASAN_CFLAGS) $(ASAN_LDFLAGS)
$(ASAN_BUILD)/%.o: %.c $(HEADERS) $(ASAN_BUILD)/.flags
	@mkdir -p $(dir $@)
	@echo "  CC(asan) $<"; $(CC) $(ASAN_CFLAGS) $(call LAYER_INC,$<) -c -o $@ $<

$(ASAN_RUNTIME_LIB): $(RUNTIME_SRC:%.c=$(ASAN_BUILD)/%.o)
	$(AR_LIB)
$(ASAN_SERVICE_LIB): $(SERVICE_SRC:%.c=$(ASAN_BUILD)/%.o)
	$(AR_LIB)

# Sanitizers need a dynamic glibc: -pie, not -static-pie.
ASAN_LDFLAGS = $(patsubst -static-pie,-pie,$(ALL_LDFLAGS))
$(ASAN_BUILD)/zrun: $(PROGRAM_SRC:%.c=$(ASAN_BUILD)/%.o) $(ASAN_SERVICE_LIB) $(ASAN_RUNTIME_LIB)
	$(CC) $(ASAN_LDFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LIBS_DYNAMIC)

zrun-asan: $(ASAN_BUILD)/zrun

# Fuzz targets: every parser of untrusted bytes, with ASan, UBSan and LSan.
# `make fuzz` runs each for FUZZ_SECONDS; `make check` for a short while.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_BUILD   := build-fuzz
FUZZ_TARGETS := fuzz_spec fuzz_state fuzz_listen fuzz_probe_spec fuzz_http_status
# No -Werror: a clang-only warning in new code must not stop make check.
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -D_GNU_SOURCE \
                -DZRUN_VERSION='"$(VERSION)"' $(ASAN_FLAGS)
# The fuzzers link the two libraries, as the unit tests do.
FUZZ_LIBS    := $(FUZZ_BUILD)/libzrun-service.a $(FUZZ_BUILD)/libzrun-runtime.a

$(FUZZ_BUILD)/.flags: export ZRUN_FLAGS_NOW = $(FUZZ_CC) $(FUZZ_CFLAGS)
$(FUZZ_BUILD)/%.o: %.c $(HEADERS) $(FUZZ_BUILD)/.flags
	@mkdir -p $(dir $@)
	@echo "  CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) $(call LAYER_INC,$<) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libzrun-runtime.a: $(RUNTIME_SRC:%.c=$(FUZZ_BUILD)/%.o)
	$(AR_LIB)
$(FUZZ_BUILD)/libzrun-service.a: $(SERVICE_SRC:%.c=$(FUZZ_BUILD)/%.o)
	$(AR_LIB)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(INC_SERVICE) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) $(LIBS_DYNAMIC)

# The yajl CVE checks: yajl_tree_parse wrapped to count what reaches yajl.
$(FUZZ_BUILD)/yajl_caps: tests/fuzz/yajl_caps.c tests/unit/unit.h $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(INC_SERVICE) -Itests/unit -Wl,--wrap=yajl_tree_parse -o $@ $< \
		$(FUZZ_LIBS) $(LIBS_DYNAMIC)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%) $(FUZZ_BUILD)/yajl_caps

fuzz: deps fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# The long soak: SOAK_SWAPS (default 1000) swaps of the demo httpd under wrk
# load; 0 failed requests, the supervisor's RSS and fds flat, no zombie, no
# leftover cgroup. `make check` runs 30 (tests/integration/soak.bats).
.PHONY: soak
soak: deps zrun bundles
	tests/soak.sh
