#!/usr/bin/env bash
# Reproduces static/vendor/qr/ (the box-office terminal's QR generator) from npm.
#
# The box-office terminal (docs/adr/0031-box-office-terminal.md) draws each buyer's ticket QR on
# the device from the signed code, with no connection, using `qr` by Paul Miller: an ES module
# with no dependencies (MIT OR Apache-2.0). Vendored, never loaded from a CDN: a box office must
# hand over tickets offline. The encoder is copied byte for byte (no bundler), so anyone can
# check it against the npm tarball:
#   - index.js                    the encoder (encodeQR); the package's decoder and DOM helpers are not needed
#   - LICENSE, LICENSE-MIT        the package's licences
#
# Usage: scripts/vendor_office.sh [version]   (needs node + npm; run from the repository root)
set -euo pipefail

VERSION="${1:-0.7.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/static/vendor/qr"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "qr@$VERSION" >/dev/null
PKG="$WORK/node_modules/qr"
if grep -qE '^\s*import\s' "$PKG/index.js"; then
    echo "qr $VERSION's index.js imports other modules; vendor them too" >&2
    exit 1
fi

rm -rf "$DEST"
mkdir -p "$DEST"
cp "$PKG/index.js" "$PKG/LICENSE" "$PKG/LICENSE-MIT" "$DEST/"
{
    echo "qr $VERSION (npm), by Paul Miller; licence MIT OR Apache-2.0"
    echo "index.js sha256 $(sha256sum "$DEST/index.js" | cut -d' ' -f1)"
    echo "Produced by scripts/vendor_office.sh; files are unmodified copies from the npm package."
} > "$DEST/VERSION"
echo "Vendored qr $VERSION into $DEST"
