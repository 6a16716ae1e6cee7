#!/usr/bin/env bash
# Refresh the vendored Cytoscape.js: install cytoscape from npm into a throw-away build folder,
# copy its built, minified UMD file (unchanged) and its licence here. No CDN: the network page
# loads /static/vendor/cytoscape/cytoscape.min.js. Cytoscape.js has no runtime dependencies.
# Usage: server/static/vendor/cytoscape/refresh.sh [version]   (needs node and npm; run online)
set -euo pipefail
VERSION="${1:-3.34.4}"
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
cd "$BUILD"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "cytoscape@$VERSION" >/dev/null
PKG=node_modules/cytoscape
cp "$PKG/dist/cytoscape.min.js" "$PKG/LICENSE" "$HERE/"
( cd "$HERE" && sha256sum cytoscape.min.js LICENSE ) > "$HERE/SHA256SUMS"
echo "cytoscape $VERSION (MIT)" > "$HERE/VERSION"
echo "vendored cytoscape@$VERSION into $HERE"
