#!/usr/bin/env python3
"""The page-walk cost model of replay, with paging-structure caches, through
the CLI: cycles per access in the summary and per interval, in text, JSON
and CSV, and the caches' hit counts.

usage: test_replay_cost.py VMSIM_CLI

The trace and the tiny TLB are test_replay_research.py's (L1d 2 entries,
L1i 1, L2 4; x86_64, flat layout; P = 0x10010000 the code page, A..D =
0x10000000 + 0..3 pages, all in one 2 MiB region), now with the default
paging-structure caches (PML4E 2, PDPTE 4, PDE 32 entries) and costs
chosen to read back easily: an L1 lookup 1 cycle, an L2 lookup 10, a walk
reference 100.

   #  record  walks (entries read)              caches
   1  I P     3: PML4E not present twice (1, 1:  each walk misses all three
              no tables yet), then the zero page (9 misses); the full walk
              mapped: the full walk (4)             fills PML4E, PDPTE, PDE
   2  I P+4   L1i hit
   3  S A     PDE-cache hit, the PTE not present   PDE hit; the #PF drops the
              (1); demand-zero; full walk (4)      region's entries: 3 misses
   4  S B     as 3 (1 + 4)                         as 3
   5  S C     as 3 (1 + 4)                         as 3
   6  L A     L2 hit
   7  L B     L2 hit
   8  L B+8   L1d hit
   9  S D     as 3 (1 + 4)                         as 3
  10  I P+8   L1i hit
  11  L C     L2 hit

Entries read 6 + 4 * 5 = 26 (38 without the caches); PDE cache 4
hits 7 misses, PDPTE and PML4E 0 hits 7 misses; 4 * 3 = 12 entries not
read.  Lookups: L1 17 (L1d 1 + 11, L1i 2 + 3), L2 14 (3 hits, 11 misses).
Cycles: 17 * 1 + 14 * 10 + 26 * 100 = 2757, 250.6364 per access (11).
Intervals of 4: rows 1-4 (L1 8 lookups, L2 7, 16 entries: 1678 cycles,
419.5 per access), 5-8 (5, 4, 5: 545, 136.25), 9-11 (4, 3, 5: 534, 178).
Without the caches: 17 + 140 + 3800 = 3957.  With the default costs (1, 7,
12): 17 + 98 + 312 = 427.
"""
import csv
import io
import json
import sys
import tempfile

from cases import case, summary
from tiny_trace import NO_PSC, TINY_TLB, near, runner, write_trace

CLI = sys.argv[1]
TINY = TINY_TLB
COST = ["--set", "tlb.cost.l1_hit=1", "--set", "tlb.cost.l2_hit=10", "--set",
        "tlb.cost.walk_ref=100"]


run = runner(CLI)

with tempfile.TemporaryDirectory() as tmp:
    trace = write_trace(tmp)

    p = run(*TINY, *COST, "--json", "replay", "-q", "--interval", "4", trace)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    tr = d.get("translation", {})
    case("json: the run succeeds", p.returncode == 0, p.stderr)
    case("json: 26 entries read", d.get("walk_entries_read") == 26, d)
    case("json: 2757 cycles, 250.6364 per access",
         tr.get("cycles") == 2757 and near(tr.get("cycles_per_access"), 2757 / 11), tr)
    case("json: the costs", tr.get("cost") == {"l1_hit": 1, "l2_hit": 10, "walk_ref": 100}, tr)
    psc = tr.get("paging_structure_caches", {})
    case("json: the caches' hits and misses",
         [(psc.get(k, {}).get("hits"), psc.get(k, {}).get("misses")) for k in
          ("pml4e_cache", "pdpte_cache", "pde_cache")] == [(0, 7), (0, 7), (4, 7)] and
         "pml5e_cache" not in psc, psc)
    case("json: the PDE cache's hit rate", near(psc.get("pde_cache", {}).get("hit_rate"), 4 / 11),
         psc)
    case("json: 12 entries not read", tr.get("walk_entries_saved") == 12, tr)
    rows = d.get("intervals", [])
    case("json: the rows' cycles", [r["delta"].get("translation_cycles") for r in rows] ==
         [1678, 545, 534], rows)
    case("json: the rows' cycles per access", len(rows) == 3 and
         all(near(r.get("cycles_per_access"), v) for r, v in zip(rows, (419.5, 136.25, 178))),
         rows)

    p = run(*TINY, *COST, "replay", "-q", trace)
    case("text: the cycles line", "cycles    2757 translating, 250.6364 per access (L1 lookup 1, "
         "L2 lookup 10, walk reference 100); paging-structure caches: PML4E 0/7 hits, PDPTE "
         "0/7 hits, PDE 4/11 hits; 12 entries not read" in p.stdout.splitlines(), p.stdout)

    p = run(*TINY, *COST, "replay", "-q", "--interval", "4", trace)
    out = p.stdout.splitlines()
    hdr = [l for l in out if l.startswith("# accesses")]
    body = [l.split() for l in out if l[:1].isdigit()]
    if hdr and len(body) == 3:
        cols = hdr[0][2:].split()
        got = [dict(zip(cols, b)) for b in body]
        case("text rows: cycles and per access",
             [(g.get("d_translation_cycles"), g.get("cycles_per_access")) for g in got] ==
             [("1678", "419.5000"), ("545", "136.2500"), ("534", "178.0000")], got)
    else:
        case("text rows: a header and three rows", False, p.stdout)

    p = run(*TINY, *COST, "replay", "--csv", trace)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    r = rows[0] if len(rows) == 1 else {}
    case("csv: cycles, per access, entries saved",
         [r.get(k) for k in ("translation_cycles", "cycles_per_access", "walk_entries_saved")] ==
         ["2757", "250.636364", "12"], r)
    case("csv: the caches, none for a PML5E",
         [r.get(k) for k in ("pml5e_cache_hits", "pml5e_cache_misses", "pml4e_cache_hits",
                             "pml4e_cache_misses", "pde_cache_hits", "pde_cache_misses")] ==
         ["", "", "0", "7", "4", "7"], r)

    p = run(*TINY, *COST, *NO_PSC, "--json", "replay", "-q", trace)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    tr = d.get("translation", {})
    case("without the caches: 38 entries, 3957 cycles, no caches",
         (d.get("walk_entries_read"), tr.get("cycles"), tr.get("paging_structure_caches"),
          tr.get("walk_entries_saved")) == (38, 3957, {}, 0), d)

    # PAE: the same 11 walks (two levels below the PDPT, as on 2-level
    # paging: each reads its PDE and, where one is present, its PTE: 11 + 9)
    # take the PDPTE from the register the CR3 load filled: no memory
    # reference, no walk cost (SDM vol. 3 section 4.4.1)
    for cfg in ("x86_32", "x86_32-pae"):
        p = run("-c", cfg, *TINY, *COST, *NO_PSC, "--json", "replay", "-q", trace)
        d = json.loads(p.stdout) if p.returncode == 0 else {}
        lv = {k: v.get("entries_read") for k, v in d.get("walk_levels", {}).items()}
        case(f"{cfg}: 11 walks read 20 entries, 2000 of the cycles",
             (d.get("walks"), d.get("walk_entries_read"), lv,
              d.get("translation", {}).get("cycles", 0) - 17 - 140) ==
             (11, 20, {"pgd": 11, "pte": 9} if cfg == "x86_32" else
              {"pgd": 0, "pmd": 11, "pte": 9}, 2000), d)

    p = run(*TINY, "--json", "replay", "-q", trace)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    tr = d.get("translation", {})
    case("the default costs: 1, 7, 12; 427 cycles",
         (tr.get("cost"), tr.get("cycles")) == ({"l1_hit": 1, "l2_hit": 7, "walk_ref": 12}, 427),
         tr)

sys.exit(summary())
