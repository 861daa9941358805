#!/usr/bin/env bash
# The showcase: a one-screen tour of the built-in default machine.
# usage: scripts/showcase.sh PATH/TO/vmsim-cli
set -euo pipefail
cli=${1:?usage: $0 vmsim-cli}
cd "$(dirname "$0")/.."

if [ -t 1 ]; then
	part() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	part() { printf '\n== %s\n' "$*"; }
fi

part "The machine (built-in x86_64: 4 GiB, 4-level paging)"
"$cli" info

part "/proc/buddyinfo after boot: free blocks per order, 4 KiB to 4 MiB"
"$cli" buddyinfo

if "$cli" help | grep -q "^  translate"; then
	part "A page walk: the kernel's direct map, PGD -> PUD -> PMD (a 1 GiB or 2 MiB page)"
	"$cli" translate --explain 0xffff880000123456
	part "The same address from user mode: the U/S bit stops it (error code P|U)"
	"$cli" translate --mode user 0xffff880000123456
fi

part "The buddy allocator, split and merge (examples/buddy.yaml)"
"$cli" run examples/buddy.yaml

part "Zones and fallback on x86_32 (examples/highmem-zones.yaml)"
"$cli" run examples/highmem-zones.yaml | tail -1

printf '\nMore: %s help; examples/*.yaml; docs/.\n' "$cli"
