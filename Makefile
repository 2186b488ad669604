# zrun — the one build entry: make, make check, make demo, make bench, make install
CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   ?= build
VERSION := 0.1.0

PKG_DEPS := libseccomp-dev libcap-dev libyajl-dev pkg-config busybox-static bats \
            cpio qemu-system-x86 crun runc wrk

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
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
	$(MAKE) zrun unit
	@tests/run.sh

install: zrun
	install -D -m 0755 zrun $(DESTDIR)$(PREFIX)/sbin/zrun

clean:
	rm -rf $(BUILD) zrun

# Until `zrun swap` lands (issue 4), the demo shows the OCI lifecycle.
demo: deps zrun
	@tests/demo.sh
