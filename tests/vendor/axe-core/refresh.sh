#!/usr/bin/env bash
# Re-vendor axe-core (the accessibility engine the browser tests inject) from npm, unchanged.
# Usage: tests/vendor/axe-core/refresh.sh [version]   (needs node and npm, online)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-latest}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund "axe-core@$version" >/dev/null)
pkg="$tmp/node_modules/axe-core"
cp "$pkg/axe.min.js" "$pkg/LICENSE" "$pkg/LICENSE-3RD-PARTY.txt" "$here/"
node -p "require('$pkg/package.json').version" > "$here/VERSION"
(cd "$here" && sha256sum axe.min.js > SHA256SUMS)
