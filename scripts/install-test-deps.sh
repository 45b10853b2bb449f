#!/usr/bin/env bash
# Installs the Debian packages the full test suite needs, skipping what is already there:
#   prometheus, prometheus-alertmanager  a real Prometheus (promtool) and Alertmanager (amtool)
#   wine64                               the Windows native layer, the service and the MSI under Wine
#   gcc-mingw-w64-x86-64                 replacement WTS/LSA DLLs (scripted hosts), the layout probe, the
#                                        Event Log message DLL (with binutils-mingw-w64's windmc/windres)
#   wixl, msitools                       the MSI (wixl builds it, msibuild/msiinfo adjust and read it)
#   osslsigncode, openssl                Authenticode signing and its test certificate
#   chromium                             the status page in a real browser (driven by playwright-core)
set -euo pipefail

# package -> a command that proves it is installed
declare -A probe=(
  [prometheus]=promtool
  [prometheus-alertmanager]=amtool
  [wine64]=/usr/lib/wine/wine64
  [gcc-mingw-w64-x86-64]=x86_64-w64-mingw32-gcc
  [binutils-mingw-w64-x86-64]=x86_64-w64-mingw32-windres
  [wixl]=wixl
  [msitools]=msibuild
  [osslsigncode]=osslsigncode
  [openssl]=openssl
  [chromium]=chromium
)
missing=()
for pkg in "${!probe[@]}"; do
  p=${probe[$pkg]}
  if [[ $p == /* ]]; then [ -x "$p" ] || missing+=("$pkg"); else command -v "$p" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
command -v prometheus >/dev/null 2>&1 || [[ " ${missing[*]} " == *" prometheus "* ]] || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || [[ " ${missing[*]} " == *" prometheus-alertmanager "* ]] || missing+=(prometheus-alertmanager)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: everything already installed"
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
plain=()
for pkg in "${missing[@]}"; do [ "$pkg" = wine64 ] || plain+=("$pkg"); done
if [ ${#plain[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${plain[@]}" >/dev/null
fi
# Wine with its recommended packages, as verified on this project's machines.
if printf '%s\n' "${missing[@]}" | grep -qx wine64; then
  $SUDO apt-get install -y -qq wine64 >/dev/null
fi
echo "install-test-deps: done"
