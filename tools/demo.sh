#!/usr/bin/env bash
# The main job: boots the Linux guest on monovisor's virt board (kernel in S-mode, SBI served by
# the hypervisor), runs a few commands in it and powers it off. `tools/demo.sh shell` leaves you
# at the guest's shell instead (Ctrl-A x quits).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
guests=$(tools/guest-builder/ensure-guests.sh)
if [ "${1:-}" = "shell" ]; then
  append="console=ttyS0"
else
  script='echo; uname -a; grep -m4 -E "processor|isa|mmu" /proc/cpuinfo; free -k | head -2
echo "md5 of 16 MiB of zeros:"; dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum'
  append="console=ttyS0 quiet run=$(printf '%s\n' "$script" | base64 -w0)"
fi
exec node --conditions=source --import tsx apps/cli/src/main.ts run \
  --kernel "$guests/Image" --initrd "$guests/initramfs.cpio.gz" --mem 256M --append "$append"
