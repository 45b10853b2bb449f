#!/usr/bin/env bash
# Builds the replacement wtsapi32.dll and secur32.dll of test/wine/fakes (scripted RDS hosts) and the
# layout probe, with mingw-w64 (Debian package gcc-mingw-w64-x86-64), into $RDSLEAK_WINE_CACHE/fakes
# (default .cache/wine/fakes). Needs `npm run build` first: the C structs are checked at compile time
# against dist/src/sources/windows/layouts.js (a layout drift fails this build).
# Prints OUT=<directory> on its last line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/test/wine/fakes"
OUT="${RDSLEAK_WINE_CACHE:-$ROOT/.cache/wine}/fakes"
CC="${MINGW_CC:-x86_64-w64-mingw32-gcc}"
die() { printf '[build-fakes] ERROR: %s\n' "$*" >&2; exit 1; }
command -v "$CC" >/dev/null 2>&1 || die "$CC not found: on Debian, apt-get install -y gcc-mingw-w64-x86-64"
[ -f "$ROOT/dist/src/sources/windows/layouts.js" ] || die "dist/src/sources/windows/layouts.js is missing: run npm run build first"
mkdir -p "$OUT"
node "$ROOT/scripts/wine/agent-layouts-header.mjs" "$ROOT" >"$OUT/agent-layouts.h"
CFLAGS=(-O2 -Wall -Wextra -Werror -std=c11 -municode -I"$SRC" -I"$OUT" -D_WIN32_WINNT=0x0A00 -static-libgcc)
"$CC" "${CFLAGS[@]}" -shared -o "$OUT/wtsapi32.dll" "$SRC/wtsapi32.c" "$SRC/fake-host.c" "$SRC/wtsapi32.def"
"$CC" "${CFLAGS[@]}" -shared -o "$OUT/secur32.dll" "$SRC/secur32.c" "$SRC/token-hook.c" "$SRC/fake-host.c" "$SRC/secur32.def"
"$CC" "${CFLAGS[@]}" -o "$OUT/layout-probe.exe" "$SRC/layout-probe.c"
echo "OUT=$OUT"
