#!/usr/bin/env bash
# The showcase: a one-screen tour of the built-in default machine (x86_64).
# usage: scripts/showcase.sh PATH/TO/vmsim-cli
set -euo pipefail
cli=${1:?usage: $0 vmsim-cli}
cd "$(dirname "$0")/.."

if [ -t 1 ]; then
	part() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	part() { printf '\n== %s\n' "$*"; }
fi

part "The machine: built-in x86_64, 4 GiB, 4-level paging (vmsim-cli info)"
"$cli" info | sed -n '1,4p;7,9p'

part "Its virtual address space (vmsim-cli layout)"
"$cli" layout | grep -vE "^ *$" | head -16

part "A process (examples/showcase.yaml): exec /usr/bin/true, mmap and touch 64 KiB, brk +128 KiB,"
printf '   fork and a child write (copy-on-write); its maps, a page walk, buddyinfo, statistics\n'
# the statistics block keeps the headline counters; `vmsim-cli stats` has them all
"$cli" run examples/showcase.yaml | awk '
	/^# step [0-9]+: show stats/ { s = 1; print; next }
	/^# step/ { s = 0 }
	s && /^[a-z0-9_.]+ [0-9]+$/ &&
	    !/^(nr_free_pages|pgalloc_dma32|pgfree|cpu0\.tlb\.l1d\.(hits|misses)|cpu0\.tlb\.l2\.misses|cpu0\.walks|task\.app\.(min_flt|rss_pages)|task\.child\.cow) / { next }
	{ print }'

printf '\nMore: %s help; the lessons in examples/*.yaml; docs/getting-started.md\n' "$cli"
