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
# its manual page and bash completion, where man and bash-completion look
man=$(find "$tmp" -path '*/man/man1/vmsim-cli.1')
[ -n "$man" ] && [ "${man#"$tmp$prefix"/}" = share/man/man1/vmsim-cli.1 ] ||
	{ echo "vmsim-cli.1 not installed in share/man/man1 (found: ${man:-nothing})"; exit 1; }
grep -q '^\.TH VMSIM\\-CLI 1' "$man" || { echo "$man is not the vmsim-cli(1) page"; exit 1; }
comp="$tmp$prefix/share/bash-completion/completions/vmsim-cli"
[ -f "$comp" ] || { echo "no bash completion in share/bash-completion/completions"; exit 1; }
got=$(bash -c "source '$comp'; COMP_WORDS=(vmsim-cli transl); COMP_CWORD=1; _vmsim_cli; echo \"\${COMPREPLY[*]}\"")
[ "$got" = translate ] || { echo "the installed completion completes 'transl' to '$got'"; exit 1; }
echo "installed library, headers, pkg-config file, CLI, man page and completion work"
