#!/bin/bash
# The ABI check: the dynamic symbols libvmsim.so defines, with their
# version node, must be exactly the list in tests/api/libvmsim.symbols, so
# the exported set changes only on purpose (add a new call there and to
# docs/api.md); and every VMSIM_API function of the public headers must
# be among them.
# Usage: check_abi.sh LIBVMSIM.SO SYMBOLS-FILE INCLUDE-DIR
set -euo pipefail
lib=$1 list=$2 inc=$3
command -v nm >/dev/null || { echo "no nm on this host: ABI not checked"; exit 77; }
got=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | LC_ALL=C sort -u)
want=$(grep -v '^#' "$list" | grep . | LC_ALL=C sort -u)
status=0
if [ "$got" != "$want" ]; then
	echo "libvmsim.so's exported symbols differ from $list:"
	diff <(echo "$want") <(echo "$got") | sed -n 's/^</  missing: /p; s/^>/  extra:   /p' || true
	status=1
fi
# the functions the headers declare (VMSIM_API ... name(), possibly on a
# line of its own after the return type)
declared=$(grep -hv "^#" "$inc"/vmsim/*.h | tr "\n" " " | grep -o 'VMSIM_API[^;(]*(' |
	   grep -o '[A-Za-z_][A-Za-z0-9_]*($' | tr -d '(' | LC_ALL=C sort -u)
for f in $declared; do
	if ! grep -q "^$f@" <<<"$got"; then
		echo "  declared in include/vmsim but not exported: $f"
		status=1
	fi
done
[ $status = 0 ] && echo "$(echo "$got" | wc -l) symbols, as listed; $(echo "$declared" | wc -w) declared"
exit $status
