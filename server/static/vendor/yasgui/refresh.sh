#!/usr/bin/env bash
# Refresh the vendored YASGUI: install @zazuko/yasgui from npm into a throw-away build folder,
# copy its built files (unchanged) and the licences of everything the bundle contains here.
# Usage: server/static/vendor/yasgui/refresh.sh [version]   (needs node and npm; run online)
set -euo pipefail
VERSION="${1:-4.6.2}"
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
cd "$BUILD"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "@zazuko/yasgui@$VERSION" >/dev/null
PKG=node_modules/@zazuko/yasgui
cp "$PKG/build/yasgui.min.js" "$PKG/build/yasgui.min.css" "$HERE/"
{
  echo "Licences of the packages bundled in yasgui.min.js / yasgui.min.css"
  echo "(@zazuko/yasgui@$VERSION and its production dependencies, from npm)."
  npm ls --omit=dev --all --parseable | tail -n +2 | sort -u | while read -r dir; do
    node -e 'const p=require(process.argv[1]+"/package.json"); console.log("\n==== "+p.name+"@"+p.version+" — "+(p.license||JSON.stringify(p.licenses)||"see package"))' "$dir"
    for f in "$dir"/LICEN[CS]E* "$dir"/licen[cs]e* "$dir"/License*; do
      [ -f "$f" ] && cat "$f" && break
    done
  done
} > "$HERE/THIRD-PARTY-LICENSES.txt"
( cd "$HERE" && sha256sum yasgui.min.js yasgui.min.css ) > "$HERE/SHA256SUMS"
echo "@zazuko/yasgui $VERSION" > "$HERE/VERSION"
echo "vendored @zazuko/yasgui@$VERSION into $HERE"
