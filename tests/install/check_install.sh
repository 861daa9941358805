#!/usr/bin/env bash
# `meson install` into a scratch prefix, then build examples/api/hello.c
# against it the ways docs/api.md shows: through pkg-config with PKG_CONFIG_PATH,
# linked dynamically with a run path, dynamically with LD_LIBRARY_PATH, and
# statically (pkg-config --static); run each and check what it prints.  Also
# checks the library's soname (libvmsim.so.0) and the installed CLI.
# usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check_install: $*"; exit 1; }

meson install -C "$build" --no-rebuild --destdir "$tmp/stage" --quiet >/dev/null
pcfile=$(find "$tmp/stage" -name vmsim.pc | head -1)
[ -n "$pcfile" ] || fail "no vmsim.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pcfile")
unset LD_LIBRARY_PATH
# The .pc file is relocatable (prefix=${pcfiledir}/...), so PKG_CONFIG_PATH
# alone finds the staged files; a build directory set up before that option
# existed still has an absolute prefix, which then has to be redirected.
pc=(pkg-config)
case "$(pkg-config --variable=prefix vmsim)" in
"$tmp"/*) ;;
*) pc+=(--define-variable=prefix="$tmp/stage$(pkg-config --variable=prefix vmsim)") ;;
esac
libdir=$(realpath "$("${pc[@]}" --variable=libdir vmsim)")
includedir=$("${pc[@]}" --variable=includedir vmsim)
[ -f "$includedir/vmsim/vmsim.h" ] || fail "vmsim.h not installed in $includedir"

# the shared library: versioned file, soname link, development link
[ -f "$libdir/libvmsim.so.0.1.0" ] || fail "no libvmsim.so.0.1.0 in $libdir"
[ "$(readlink "$libdir/libvmsim.so.0")" = libvmsim.so.0.1.0 ] || fail "libvmsim.so.0 is not a link to libvmsim.so.0.1.0"
[ "$(readlink "$libdir/libvmsim.so")" = libvmsim.so.0 ] || fail "libvmsim.so is not a link to libvmsim.so.0"
soname=$(readelf -d "$libdir/libvmsim.so.0.1.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libvmsim.so.0 ] || fail "soname is '$soname', not libvmsim.so.0"
[ -f "$libdir/libvmsim.a" ] || fail "no libvmsim.a in $libdir"

hello=$src/examples/api/hello.c
cflags=$("${pc[@]}" --cflags vmsim)
libs=$("${pc[@]}" --libs vmsim)
static_libs=$("${pc[@]}" --static --libs vmsim)

# dynamic, the run path recorded in the program
cc -std=c11 -Wall -Werror "$hello" $cflags $libs -Wl,-rpath,"$libdir" -o "$tmp/hello-rpath"
readelf -d "$tmp/hello-rpath" | grep -q 'NEEDED.*\[libvmsim\.so\.0\]' || fail "hello-rpath does not need libvmsim.so.0"
out_rpath=$("$tmp/hello-rpath")
# dynamic, no run path: found through LD_LIBRARY_PATH
cc -std=c11 -Wall -Werror "$hello" $cflags $libs -o "$tmp/hello-dyn"
out_dyn=$(LD_LIBRARY_PATH="$libdir" "$tmp/hello-dyn")
# static: everything from the archives pkg-config --static names
cc -std=c11 -Wall -Werror "$hello" $cflags -static $static_libs -o "$tmp/hello-static"
if readelf -d "$tmp/hello-static" 2>/dev/null | grep -q NEEDED; then fail "hello-static needs shared libraries"; fi
out_static=$("$tmp/hello-static")

for out in "$out_rpath" "$out_dyn" "$out_static"; do
	echo "$out" | grep -q "^Node 0, zone  HighMem" || { echo "unexpected output:"; echo "$out"; exit 1; }
	echo "$out" | grep -q "^order-3 block at pfn 0x[0-9a-f]*, DMA page at pfn 0x[0-9a-f]*:" ||
		{ echo "unexpected output:"; echo "$out"; exit 1; }
done
[ "$out_rpath" = "$out_dyn" ] && [ "$out_dyn" = "$out_static" ] || fail "the three builds of hello print different things"

# the installed CLI runs too
cli=$(find "$tmp/stage" -path '*/bin/vmsim-cli' | head -1)
[ -n "$cli" ] || fail "no vmsim-cli installed"
"$cli" -c x86_32 buddyinfo | grep -q HighMem || fail "the installed vmsim-cli does not run"
prefix=${cli%/bin/vmsim-cli}
# its manual page and bash completion, where man and bash-completion look
man=$(find "$tmp/stage" -path '*/man/man1/vmsim-cli.1')
[ -n "$man" ] && [ "${man#"$prefix"/}" = share/man/man1/vmsim-cli.1 ] ||
	fail "vmsim-cli.1 not installed in share/man/man1 (found: ${man:-nothing})"
grep -q '^\.TH VMSIM\\-CLI 1' "$man" || fail "$man is not the vmsim-cli(1) page"
comp="$prefix/share/bash-completion/completions/vmsim-cli"
[ -f "$comp" ] || fail "no bash completion in share/bash-completion/completions"
got=$(bash -c "source '$comp'; COMP_WORDS=(vmsim-cli transl); COMP_CWORD=1; _vmsim_cli; echo \"\${COMPREPLY[*]}\"")
[ "$got" = translate ] || fail "the installed completion completes 'transl' to '$got'"
echo "installed: libvmsim.so.0 (soname checked), libvmsim.a, headers, vmsim.pc, vmsim-cli,"
echo "its man page and completion; hello.c built and run with a run path, with LD_LIBRARY_PATH and statically"
