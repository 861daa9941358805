#!/usr/bin/env bash
# `meson install` into a scratch prefix, then build examples/api/hello.c
# against the installed headers and library through pkg-config, run it,
# and check what it prints.  usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --no-rebuild --destdir "$tmp" --quiet >/dev/null
pc=$(dirname "$(find "$tmp" -name vmsim.pc | head -1)")
[ -n "$pc" ] || { echo "no vmsim.pc installed"; exit 1; }
prefix=$(PKG_CONFIG_PATH="$pc" pkg-config --variable=prefix vmsim)
export PKG_CONFIG_PATH="$pc"
flags=$(pkg-config --define-variable=prefix="$tmp$prefix" --cflags --libs vmsim)
[ -f "$tmp$prefix/include/vmsim/vmsim.h" ] || { echo "vmsim.h not installed"; exit 1; }
cc -std=c11 -Wall -Werror "$src/examples/api/hello.c" $flags -o "$tmp/hello"
libdir=$(pkg-config --define-variable=prefix="$tmp$prefix" --variable=libdir vmsim)
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/hello")
echo "$out" | grep -q "^Node 0, zone  HighMem" || { echo "unexpected output:"; echo "$out"; exit 1; }
echo "$out" | grep -q "order-3 block at pfn" || { echo "unexpected output:"; echo "$out"; exit 1; }
# the installed CLI runs too
"$tmp$prefix/bin/vmsim-cli" -c x86_32 buddyinfo | grep -q HighMem
echo "installed library, headers, pkg-config file and CLI work"
