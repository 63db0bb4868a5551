#!/usr/bin/env bash
# One-time set-up for a Debian/Ubuntu machine with Node.js 20+: system packages, pnpm,
# workspace dependencies, the bare-metal guest programs, and the Linux guest images.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Debian packages: reference tools (QEMU as the oracle and yardstick), the bare-metal
# cross compiler, dtc, firmware for the firmware boot flow.
packages=(make qemu-system-misc qemu-utils gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  device-tree-compiler opensbi u-boot-qemu)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi
if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 9 with npm"
  npm install -g pnpm@9 >/dev/null
fi

pnpm install --frozen-lockfile --reporter=silent
make -s -C tools/guest-programs
if [ -x tools/guest-builder/ensure-guests.sh ]; then
  tools/guest-builder/ensure-guests.sh >/dev/null
fi
echo "setup: done"
