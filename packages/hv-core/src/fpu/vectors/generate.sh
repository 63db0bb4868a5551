#!/bin/sh
# Regenerates vectors.txt from real RISC-V semantics: cross-compiles gen.c for riscv64 and runs
# it under qemu-riscv64. Needs: gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross, qemu-user.
# Usage: ./generate.sh [seed] [vectors-per-section]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
riscv64-linux-gnu-gcc -O2 -static -march=rv64gc -mabi=lp64d -o "$tmp/gen" "$here/gen.c"
qemu-riscv64 "$tmp/gen" "${1:-0}" ${2:+"$2"} > "$tmp/vectors.txt"
mv "$tmp/vectors.txt" "$here/vectors.txt"
wc -lc "$here/vectors.txt"
