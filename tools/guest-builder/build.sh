#!/bin/bash
# Builds the monovisor Linux test guest (linux-6.1-virt) from Debian bookworm packages:
#   Linux 6.1 from linux-source-6.1, tinyconfig + kernel-fragment.config, RV64GC;
#   static BusyBox from Debian's busybox source package; this folder's init.
# Output: Image vmlinux System.map kernel.config kernel-fragment.config init
#         initramfs.cpio.gz rootfs.ext4 BUILD-INFO
#
# Usage: build.sh OUTDIR
# Environment: JOBS (parallel make jobs, default nproc), WORKDIR (where to make the scratch
#   directory, ~2 GB; default TMPDIR or /tmp), KEEP_WORK=1 (keep the scratch directory),
#   SOURCE_DATE_EPOCH (timestamps inside the images; default from the kernel source package).
# Missing build packages are installed with apt-get (as root, or through sudo).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  echo "build.sh: $*" >&2
  exit 1
}

step() {
  echo "build.sh: $*" >&2
}

[ $# -eq 1 ] || die "usage: build.sh OUTDIR"
mkdir -p "$1"
out=$(cd "$1" && pwd)
jobs=${JOBS:-$(nproc)}

readonly CROSS=riscv64-linux-gnu-
readonly KERNEL_TARBALL=/usr/src/linux-source-6.1.tar.xz
readonly PACKAGES=(
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross linux-source-6.1
  make gcc libc6-dev bc flex bison xz-utils bzip2 gzip cpio e2fsprogs dpkg-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_packages() {
  command -v dpkg-query >/dev/null || die "needs a Debian (bookworm) host with apt"
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    is_installed "$package" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  step "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Fetches the busybox source package through a private apt state under the scratch directory:
# the host's sources, switched to deb-src, without editing the host's apt configuration.
fetch_busybox_source() {
  local apt="$work/apt" file
  mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
  : >"$apt/sources.list"
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    if [ -f "$file" ]; then
      sed -n 's/^deb[[:space:]]/deb-src /p' "$file" >>"$apt/sources.list"
    fi
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    if [ -f "$file" ]; then
      sed 's/^Types:.*/Types: deb-src/' "$file" >"$apt/sources.list.d/${file##*/}"
    fi
  done
  local options=(
    -o "Dir::Etc::SourceList=$apt/sources.list"
    -o "Dir::Etc::SourceParts=$apt/sources.list.d"
    -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache"
    # The scratch directory is private to this user; apt's download sandbox user cannot write it.
    -o "APT::Sandbox::User=$(id -un)"
  )
  apt-get "${options[@]}" update -qq
  (cd "$work" && apt-get "${options[@]}" source --download-only -qq busybox >/dev/null)
  compgen -G "$work/busybox_*.orig.tar.*" >/dev/null || die "no busybox source downloaded"
}

# merge_config.sh only warns when an option does not survive olddefconfig (a missing
# dependency); a guest without, say, the UART would still build and then fail to boot.
check_fragment_applied() {
  local config=$1 line lost=()
  while IFS= read -r line; do
    case "$line" in
      '' | '#'*) ;;
      # Disabled options appear as "# CONFIG_X is not set" or not at all.
      *=n) if grep -q "^${line%=n}=" "$config"; then lost+=("$line"); fi ;;
      *) if ! grep -qxF "$line" "$config"; then lost+=("$line"); fi ;;
    esac
  done <"$here/kernel-fragment.config"
  [ ${#lost[@]} -eq 0 ] || die "kernel options not applied: ${lost[*]}"
}

build_kernel() {
  step "kernel: unpacking $KERNEL_TARBALL"
  tar -C "$work" -xf "$KERNEL_TARBALL"
  local src="$work/linux-source-6.1"
  local kmake=(make -C "$src" -s ARCH=riscv "CROSS_COMPILE=$CROSS")
  # Kconfig and BusyBox's Kbuild chatter goes to stdout even with -s; warnings and errors do not.
  "${kmake[@]}" tinyconfig >/dev/null
  (cd "$src" && ARCH=riscv ./scripts/kconfig/merge_config.sh -m .config "$here/kernel-fragment.config" >/dev/null)
  "${kmake[@]}" olddefconfig >/dev/null
  check_fragment_applied "$src/.config"
  step "kernel: building Image with $jobs jobs"
  # The banner (uname -v) shows these verbatim; fixed values keep rebuilt kernels identical.
  KBUILD_BUILD_TIMESTAMP=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH") KBUILD_BUILD_USER=monovisor \
    KBUILD_BUILD_HOST=guest-builder "${kmake[@]}" -j"$jobs" Image
  cp "$src/arch/riscv/boot/Image" "$src/vmlinux" "$src/System.map" "$stage/"
  cp "$src/.config" "$stage/kernel.config"
}

build_busybox() {
  step "busybox: building from the Debian source package"
  fetch_busybox_source
  tar -C "$work" -xf "$(compgen -G "$work/busybox_*.orig.tar.*" | head -n1)"
  local src
  src=$(find "$work" -maxdepth 1 -type d -name 'busybox-*' | head -n1)
  [ -n "$src" ] || die "busybox source tree not found"
  local bmake=(make -C "$src" -s "CROSS_COMPILE=$CROSS")
  "${bmake[@]}" defconfig >/dev/null
  # Static: the initramfs has no libc. No tc: it does not build against 6.x kernel headers.
  sed -i -e 's/^# CONFIG_STATIC is not set$/CONFIG_STATIC=y/' \
    -e 's/^CONFIG_TC=y$/# CONFIG_TC is not set/' "$src/.config"
  grep -qx 'CONFIG_STATIC=y' "$src/.config" || die "could not make busybox static"
  "${bmake[@]}" -j"$jobs" >/dev/null
  "${bmake[@]}" CONFIG_PREFIX="$rootfs" install >/dev/null
}

assemble_root() {
  step "root file system: initramfs.cpio.gz and rootfs.ext4"
  mkdir -p "$rootfs"/{proc,sys,dev,tmp,mnt,etc,root}
  install -m 755 "$here/init" "$rootfs/init"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  find "$rootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  # Sorted names, root ownership, no inode numbers or gzip timestamp: the same tree gives the
  # same bytes on any machine, whoever builds it.
  (cd "$rootfs" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
    gzip -9 -n >"$stage/initramfs.cpio.gz"
  local fs_id=6d6f6e6f-7669-736f-722d-726f6f746673
  truncate -s 32M "$stage/rootfs.ext4"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -L monovisor-root -U "$fs_id" \
    -E "root_owner=0:0,hash_seed=$fs_id" -d "$rootfs" "$stage/rootfs.ext4"
  # mke2fs -d copies each file's ctime, which touch cannot set; pin all four times.
  (cd "$rootfs" && find . | LC_ALL=C sort | sed -e 's|^\.||' -e 's|^$|/|' |
    while IFS= read -r path; do
      for field in ctime atime mtime crtime; do
        echo "set_inode_field \"$path\" $field @$SOURCE_DATE_EPOCH"
      done
    done) >"$work/pin-times.debugfs"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$work/pin-times.debugfs" "$stage/rootfs.ext4" >/dev/null 2>&1
  e2fsck -fn "$stage/rootfs.ext4" >/dev/null 2>&1 || die "rootfs.ext4 does not pass e2fsck"
}

write_build_info() {
  {
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "SOURCE_DATE_EPOCH: $SOURCE_DATE_EPOCH"
    echo "linux-source-6.1: $(dpkg-query -W -f='${Version}' linux-source-6.1)"
    echo "busybox source: $(basename "$(compgen -G "$work/busybox_*.dsc" | head -n1)" .dsc)"
    echo "cross compiler: $("${CROSS}gcc" --version | head -n1)"
  } >"$stage/BUILD-INFO"
}

# Moves the results into OUTDIR with Image and the initramfs last, each by rename, so a reader
# that checks for those two never sees a half-written guest.
publish() {
  local file
  for file in vmlinux System.map kernel.config BUILD-INFO rootfs.ext4 Image initramfs.cpio.gz; do
    cp "$stage/$file" "$out/.$file.tmp"
    mv -f "$out/.$file.tmp" "$out/$file"
  done
  install -m 644 "$here/kernel-fragment.config" "$out/kernel-fragment.config"
  install -m 755 "$here/init" "$out/init"
}

install_packages
[ -f "$KERNEL_TARBALL" ] || die "$KERNEL_TARBALL missing (Debian package linux-source-6.1)"
command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc missing (Debian package gcc-riscv64-linux-gnu)"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$KERNEL_TARBALL")}

# Always a fresh subdirectory: the cleanup below must never remove a directory the user named.
scratch_parent=${WORKDIR:-${TMPDIR:-/tmp}}
mkdir -p "$scratch_parent"
work=$(mktemp -d "$scratch_parent/monovisor-guest-build.XXXXXX")
if [ "${KEEP_WORK:-0}" != 1 ]; then
  trap 'rm -rf "$work"' EXIT
fi
stage="$work/stage"
rootfs="$work/root"
mkdir -p "$stage" "$rootfs"

build_kernel
build_busybox
assemble_root
write_build_info
publish
step "Linux guest built in $out"
