#!/usr/bin/env bash
# Installs what kwasm-jit and its tests need on a fresh Debian machine, then builds.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: wabt (wast2json for the spec suite); gcc, clang-14, lld-14, wasi-libc and
# libclang-rt-14-dev-wasm32 (the benchmark programs, built natively and to wasm32-wasi; the WASI
# test programs in tests/programs/c, built to wasm32-wasi at test time); binaryen (wasm-opt -ttf
# and wasm-reduce for the differential fuzzer, tests/fuzz; the builds above stay hermetic with it
# installed, see tests/programs/wasi-clang.ts).
APT_PACKAGES=(wabt gcc clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 binaryen wrk  # wrk: npm run bench:net (HTTP load)
  linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static kmod cpio make)  # kernel VM stage
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
npm run -s build
