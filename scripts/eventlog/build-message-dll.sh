#!/usr/bin/env bash
# Builds build/rds-leak-exporter-messages.dll (npm run build:messages): the Event Log message file that
# `service install` registers as EventMessageFile, so Event Viewer shows each event's text instead of
# "The description for Event ID ... cannot be found". A resource-only DLL holding the message table of
# scripts/eventlog/messages.mc, made on Linux with mingw-w64 (Debian: binutils-mingw-w64-x86-64 has
# windmc and windres, gcc-mingw-w64-x86-64 the compiler). Ship it next to rds-leak-exporter.exe.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/build/rds-leak-exporter-messages.dll}"
PREFIX=x86_64-w64-mingw32
for tool in "$PREFIX-windmc" "$PREFIX-windres" "$PREFIX-gcc"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "[build-messages] ERROR: $tool not found: apt-get install -y gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64" >&2; exit 1; }
done
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp "$ROOT/scripts/eventlog/messages.mc" "$WORK/"
(cd "$WORK" && "$PREFIX-windmc" -U messages.mc)            # -> messages.rc, messages.h, MSG00409.bin (UTF-16 texts)
(cd "$WORK" && "$PREFIX-windres" -O coff -i messages.rc -o messages.o)
# No C runtime: an entry point that only says yes is all a resource DLL needs.
printf 'int __stdcall DllEntry(void *module, unsigned reason, void *reserved) { (void)module; (void)reason; (void)reserved; return 1; }\n' >"$WORK/entry.c"
mkdir -p "$(dirname "$OUT")"
"$PREFIX-gcc" -shared -nostdlib -O2 -s -Wl,-e,DllEntry -o "$OUT.tmp" "$WORK/entry.c" "$WORK/messages.o"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
