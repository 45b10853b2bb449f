#!/usr/bin/env bash
# Installs the Debian packages the full test suite needs: a real Prometheus (with promtool), a real
# Alertmanager (with amtool), Wine (for the Windows native layer) and mingw-w64 (builds the replacement
# DLLs of test/wine/fakes that serve scripted RDS hosts). Skips what is already there.
set -euo pipefail

missing=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || missing+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: prometheus, alertmanager, wine64 and gcc-mingw-w64-x86-64 already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-test-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
fi
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
monitoring=()
for pkg in "${missing[@]}"; do [ "$pkg" = wine64 ] || monitoring+=("$pkg"); done
if [ ${#monitoring[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${monitoring[@]}" >/dev/null
fi
# Wine with its recommended packages, as verified on this project's machines.
if printf '%s\n' "${missing[@]}" | grep -qx wine64; then
  $SUDO apt-get install -y -qq wine64 >/dev/null
fi
echo "install-test-deps: done"
