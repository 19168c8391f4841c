#!/usr/bin/env bash
# Installs everything aclc needs to build, test and fuzz on Debian 12.
#
# Idempotent: packages already installed are skipped, and `apt-get update`
# runs only when something is missing. Run as root (or with sudo available).
# To add a dependency, add it to PACKAGES below.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential
  cmake
  ninja-build
  pkg-config
  git
  clang               # libFuzzer targets
  libclang-rt-14-dev  # sanitizer and fuzzer runtimes for clang
  time                # /usr/bin/time -v for the benchmarks' peak RSS
  # libraries
  rapidjson-dev
  libcli11-dev
  libz3-dev
  libgit2-dev
  libcurl4-openssl-dev
  libcpp-httplib-dev  # aclc serve (control/)
  libsodium-dev
  libssl-dev          # OpenSSL EVP ChaCha20-Poly1305: meshd's transport AEAD (runtime/wg/aead_openssl.cc)
  doctest-dev
  libb2-dev
  # the nft back end's real-kernel test (tests/nft_kernel.cmake)
  nftables
  iproute2
  iputils-ping
  # meshd's UAPI and interop tests (`wg` against meshd; wireguard-go as the peer)
  wireguard-tools
  wireguard-go
  iperf3              # bench/bench_meshd.sh
  nginx-light         # static bundle hosting: tests/meshd_control_test.cc, bench_control_poll
  openssl             # the openssl tool: a self-signed certificate for the TLS test of aclc serve
)

export DEBIAN_FRONTEND=noninteractive

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
  else
    echo "setup: missing packages (${missing[*]}) and not root; rerun as root" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
