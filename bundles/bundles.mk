# bundles/: the demo service httpd (static, so its rootfs is one file) and
# its v1 and v2 OCI bundles, made with no network. Included by the top
# Makefile; `make -f bundles/bundles.mk bundles` also works on its own.
HTTPD_SRC    := bundles/httpd/httpd.c bundles/httpd/http.c bundles/httpd/misbehave.c
HTTPD_HDR    := bundles/httpd/http.h bundles/httpd/misbehave.h
# Not the runtime's CFLAGS: those build a PIE, this is a -static program.
HTTPD_CFLAGS := -std=gnu11 -O2 -Wall -Wextra $(WERROR) -D_GNU_SOURCE \
                -D_FORTIFY_SOURCE=2 -fstack-protector-strong
HTTPD_VERSIONS := v1 v2

.PHONY: bundles clean-bundles $(HTTPD_VERSIONS:%=bundles/out/httpd-%/)

bundles: $(HTTPD_VERSIONS:%=bundles/out/httpd-%/config.json)

bundles/out/httpd: $(HTTPD_SRC) $(HTTPD_HDR)
	@mkdir -p $(dir $@)
	@echo "  CC $@ (static)"; $(CC) $(HTTPD_CFLAGS) -static -o $@ $(HTTPD_SRC)

bundles/out/httpd-%/config.json: bundles/out/httpd bundles/make-bundle.sh bundles/bundle-lib.sh
	@echo "  BUNDLE bundles/out/httpd-$*"; bundles/make-bundle.sh httpd $* bundles/out/httpd-$*

# `make bundles/out/httpd-v1/` names the bundle directory itself.
$(HTTPD_VERSIONS:%=bundles/out/httpd-%/): bundles/out/httpd-%/: bundles/out/httpd-%/config.json

clean-bundles:
	rm -rf bundles/out
