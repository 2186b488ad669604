# zrun — the one build entry: make, make check, make demo, make bench, make install
CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   ?= build
VERSION := 0.1.0

PKG_DEPS := libseccomp-dev libcap-dev libyajl-dev pkg-config busybox-static bats \
            cpio qemu-system-x86 crun runc wrk curl python3 iproute2 strace

CFLAGS  ?= -O2 -g
# -Wno-format-truncation: every message buffer is bounded on purpose, and a
# message cut at 1 KiB is what we want, not a build failure.
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
           -fstack-protector-strong -fPIE -Iruntime -Isrc -DZRUN_VERSION='"$(VERSION)"'
LDFLAGS += -pie -Wl,-z,relro,-z,now
# libseccomp, libcap and yajl are linked statically: one self-contained binary
# that a VM initramfs or a containerd node can take as it is.
LIBS    := -Wl,-Bstatic -lseccomp -lcap -lyajl_s -Wl,-Bdynamic

RUNTIME_SRC := $(sort $(wildcard runtime/*.c))
SRC_SRC     := $(sort $(wildcard src/*.c))
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
SRC_OBJ     := $(SRC_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check deps unit install clean demo bench
all: zrun

# the demo app and its v1/v2 bundles (bundles/out/)
include bundles/bundles.mk

zrun: $(RUNTIME_OBJ) $(SRC_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c $(wildcard runtime/*.h src/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(RUNTIME_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(RUNTIME_OBJ) $(LIBS)

unit: $(UNIT_BIN)

# Installs what is missing (Debian 12, as root), then builds and runs every test.
deps:
	@missing=""; for p in $(PKG_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

check: deps
	$(MAKE) zrun unit bundles
	@tests/run.sh

install: zrun
	install -D -m 0755 zrun $(DESTDIR)$(PREFIX)/sbin/zrun

clean:
	rm -rf $(BUILD) zrun bundles/out

# v1 under load, a swap to v2 and back, and the count of failed requests.
demo: deps zrun bundles
	@bundles/demo.sh

BENCH_ARGS ?=
# Lifecycle benchmark against crun and runc (root; BENCH_ARGS=--quick for a short run).
bench: deps zrun
	bench/lifecycle $(BENCH_ARGS)
	bench/phases $(BENCH_ARGS)
