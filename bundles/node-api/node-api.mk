# bundles/node-api: the Hono API (Node) that bench/swap redeploys, as OCI
# bundles bundles/out/node-api-v1 and -v2 made from this machine's node and
# `npm ci` (the npm registry is the only network). Included by the top
# Makefile; `make -f bundles/node-api/node-api.mk node-api-bundles` also works.
NODE_API_VERSIONS := v1 v2
NODE_API_DEPS     := bundles/node-api/make-bundle.sh bundles/bundle-lib.sh bundles/node-api/app/server.js \
                     bundles/node-api/app/package.json bundles/node-api/app/package-lock.json

.PHONY: node-api-bundles

node-api-bundles: $(NODE_API_VERSIONS:%=bundles/out/node-api-%/config.json)

bundles/out/node-api-%/config.json: $(NODE_API_DEPS)
	@echo "  BUNDLE bundles/out/node-api-$*"; bundles/node-api/make-bundle.sh $* bundles/out/node-api-$*
