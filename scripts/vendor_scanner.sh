#!/usr/bin/env bash
# Reproduces static/vendor/barcode-detector/ (the door scanner's QR reader) from npm.
#
# The scanner app (docs/adr/0015-scanner-app.md) reads QR codes with the `barcode-detector`
# ponyfill, which runs ZXing-C++ compiled to WebAssembly (`zxing-wasm`). Both are vendored, never
# loaded from a CDN: the app must work on a door phone with no internet. The files are copied
# byte for byte (no bundler), so anyone can check them against the npm tarballs:
#   - dist/es/ponyfill.js + dist/es/zxing-exported.js   the ES modules (ponyfill imports the other)
#   - zxing-wasm/dist/reader/zxing_reader.wasm           the reader-only build the ponyfill expects
#   - LICENSE (barcode-detector, MIT) and LICENSE.zxing-wasm (MIT; ZXing-C++ itself is Apache-2.0)
# The .wasm must be the exact build the JS glue was compiled against: the script checks its
# SHA-256 against ZXING_WASM_SHA256 exported by the ponyfill. static/scanner/app.js points the
# ponyfill's `locateFile` at the local copy (prepareZXingModule), overriding its jsDelivr default.
#
# Usage: scripts/vendor_scanner.sh [version]   (needs node + npm; run from the repository root)
set -euo pipefail

VERSION="${1:-3.2.2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/static/vendor/barcode-detector"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "barcode-detector@$VERSION" >/dev/null
BD="$WORK/node_modules/barcode-detector"
ZX="$WORK/node_modules/zxing-wasm"

expected="$(grep -oE '"[0-9a-f]{64}"' "$BD/dist/es/zxing-exported.js" | head -1 | tr -d '"')"
actual="$(sha256sum "$ZX/dist/reader/zxing_reader.wasm" | cut -d' ' -f1)"
if [ "$expected" != "$actual" ]; then
    echo "zxing_reader.wasm ($actual) is not the build barcode-detector expects ($expected)" >&2
    exit 1
fi

rm -rf "$DEST"
mkdir -p "$DEST"
cp "$BD/dist/es/ponyfill.js" "$BD/dist/es/zxing-exported.js" "$DEST/"
cp "$ZX/dist/reader/zxing_reader.wasm" "$DEST/"
cp "$BD/LICENSE" "$DEST/LICENSE"
cp "$ZX/LICENSE" "$DEST/LICENSE.zxing-wasm"
{
    echo "barcode-detector $VERSION (npm), zxing-wasm $(node -p "require('$ZX/package.json').version") (npm)"
    echo "zxing_reader.wasm sha256 $actual"
    echo "Produced by scripts/vendor_scanner.sh; files are unmodified copies from the npm packages."
} > "$DEST/VERSION"
echo "Vendored barcode-detector $VERSION into $DEST"
