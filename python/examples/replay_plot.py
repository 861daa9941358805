#!/usr/bin/env python3
"""Replay a memory trace on machines whose L1 data TLB grows from 4 to 128
entries, and plot the L1d miss rate and the page walks per 1000 accesses
against the TLB size -- the kind of sweep a study scripts.

    python3 replay_plot.py [TRACE] [--out plot.png]

TRACE is any trace vmsim reads (Valgrind lackey, the course formats,
ChampSim, reference strings, vmsim's binary format; gzip, xz or zstd
compressed or not); by default the repository's tests/traces/true-start.lackey.
With matplotlib the plot goes to --out (default replay_plot.png); without
it, or with --table, the numbers are printed as a table.
"""
import argparse
import os
import sys

import vmsim

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TRACE = os.path.join(HERE, "..", "..", "tests", "traces", "true-start.lackey")
SIZES = (4, 8, 16, 32, 64, 128)     # entries; 4 ways each


def replay(trace, entries):
    """The counters of one replay of @trace with an L1 dTLB of @entries."""
    sets = {"memory.size": "512MiB", "tlb.l1d.entries": entries, "tlb.l1d.ways": 4}
    with vmsim.Machine("x86_64", sets=sets) as m:
        t = m.spawn("traced")
        with m.replay(t) as rp:
            rp.file(trace)
            return rp.counters()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace", nargs="?", default=DEFAULT_TRACE)
    ap.add_argument("--out", default="replay_plot.png")
    ap.add_argument("--table", action="store_true", help="print the table, do not plot")
    args = ap.parse_args()

    rows = []
    for entries in SIZES:
        c = replay(args.trace, entries)
        data = c["accesses"] - c["instructions"]
        lookups = c["l1d_hits"] + c["l1d_misses"]
        rows.append((entries, data, c["l1d_misses"], c["l1d_misses"] / max(lookups, 1),
                     1000 * c["walks"] / max(c["accesses"], 1)))

    plt = None
    if not args.table:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("(matplotlib is not installed: the numbers instead of a plot)")
    if plt is None:
        print("%8s %12s %12s %10s %14s" % ("entries", "data refs", "L1d misses", "miss rate",
                                            "walks/1000"))
        for e, d, mi, rate, w in rows:
            print("%8d %12d %12d %9.2f%% %14.2f" % (e, d, mi, 100 * rate, w))
        return 0
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r[0] for r in rows], [100 * r[3] for r in rows], marker="o", label="L1d miss rate (%)")
    ax.plot([r[0] for r in rows], [r[4] for r in rows], marker="s", label="walks per 1000 accesses")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("L1 dTLB entries (4-way)")
    ax.set_title(os.path.basename(args.trace))
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out)
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
