#!/bin/bash
# Prints the directory of the Linux test guest (Image, initramfs.cpio.gz, ...) to use, in order:
#   1. ../shared/guests/linux-6.1-virt next to the repository, when it is there (prebuilt);
#   2. otherwise $MONOVISOR_GUESTS (relative paths are taken from the repository root), or
#      .cache/guests/linux-6.1-virt in the repository, built there with build.sh when missing.
# Usage: ensure-guests.sh [--no-build]
#   --no-build  print the directory only if it already holds a guest; exit 1 otherwise
# Only the directory goes to stdout (build progress goes to stderr), so callers can write
#   guests=$(tools/guest-builder/ensure-guests.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
readonly GUEST=linux-6.1-virt

build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  *)
    echo "usage: ensure-guests.sh [--no-build]" >&2
    exit 2
    ;;
esac

has_guest() {
  [ -f "$1/Image" ] && [ -f "$1/initramfs.cpio.gz" ]
}

shared="$root/../shared/guests/$GUEST"
if has_guest "$shared"; then
  cd "$shared" && pwd
  exit 0
fi

cd "$root"
target=${MONOVISOR_GUESTS:-.cache/guests/$GUEST}
if ! has_guest "$target"; then
  if [ "$build" -eq 0 ]; then
    echo "ensure-guests: no Linux guest in $shared or $target" >&2
    exit 1
  fi
  echo "ensure-guests: building the Linux guest in $target (several minutes)" >&2
  "$here/build.sh" "$target" >&2
fi
cd "$target" && pwd
