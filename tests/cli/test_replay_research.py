#!/usr/bin/env python3
"""The researcher's replay through the CLI (run from the source root):
miss rates and MPKI per TLB level, page-table entries read per level,
faults per kind, interval deltas (the last partial interval included), in
text, JSON and CSV.

usage: test_replay_research.py VMSIM_CLI

The known answers are worked out by hand from a tiny trace and a tiny TLB:
L1d 2 entries (one set of 2 ways, LRU), L1i 1 entry, L2 4 entries (one
set of 4 ways), no paging-structure caches (every walk starts at the
PML4E; test_replay_cost.py has them); x86_64, flat layout, THP as configured (madvise: no huge
page in the replay's regions).  The pages: P = 0x10010000 (code),
A, B, C, D = 0x10000000 + 0, 1, 2, 3 pages, all in one 2 MiB region.

   #  record         what happens
   1  I P            L1i miss, L2 miss, walk faults at the PML4E (1 read:
                     no tables yet); no VMA: the replay makes the region;
                     again (1 read); the fault maps the zero page; a third
                     miss walks all 4 levels.  3 L1i misses, 3 L2 misses.
   2  I P+4          L1i hit
   3  S A            L1d miss, L2 miss, walk faults at the PTE (4 reads);
                     demand-zero; L1d miss, L2 miss, walk (4 reads)
   4  S B            the same                        L1d {A,B}
   5  S C            the same, A leaves L1d           L1d {B,C}, L2 {P,A,B,C}
   6  L A            L1d miss, L2 hit                 L1d {C,A}
   7  L B            L1d miss, L2 hit                 L1d {A,B}
   8  L B+8          L1d hit
   9  S D            as 3; P (least recent) leaves L2, A leaves L1d
  10  I P+8          L1i hit (L1i still holds P)
  11  L C            L1d miss, L2 hit (C is still in L2)

Totals: 3 instructions; L1d 1 hit 11 misses, L1i 2 hits 3 misses, L2 3
hits 11 misses, 11 walks reading 38 entries: PML4E 11, PDPTE 9, PDE 9,
PTE 9; 5 pages mapped by PTEs, 6 walks faulted; faults: 4 demand-zero, 1
zero-page.  With --interval 4 the rows end at 4, 8 and 11 (partial).
"""
import csv
import io
import json
import os
import sys
import tempfile

from cases import case, summary
from tiny_trace import NO_PSC, TINY_TLB, near, runner, write_trace

CLI = sys.argv[1]
TINY = TINY_TLB + NO_PSC
# per interval of 4 records: the deltas worked out above
ROWS = [
    dict(accesses=4, instructions=2, l1d_hits=0, l1d_misses=4, l1i_hits=1, l1i_misses=3,
         l2_hits=0, l2_misses=7, walks=7, walk_entries_read=22, min_flt=3, demand_zero=2,
         zero_page=1),
    dict(accesses=4, instructions=0, l1d_hits=1, l1d_misses=4, l1i_hits=0, l1i_misses=0,
         l2_hits=2, l2_misses=2, walks=2, walk_entries_read=8, min_flt=1, demand_zero=1,
         zero_page=0),
    dict(accesses=3, instructions=1, l1d_hits=0, l1d_misses=3, l1i_hits=1, l1i_misses=0,
         l2_hits=1, l2_misses=2, walks=2, walk_entries_read=8, min_flt=1, demand_zero=1,
         zero_page=0),
]


run = runner(CLI)

with tempfile.TemporaryDirectory() as tmp:
    trace = write_trace(tmp)

    # ---- JSON: totals ----
    p = run(*TINY, "--json", "replay", "-q", "--interval", "4", trace)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    t = d.get("tlb", {})
    case("json: the run succeeds", p.returncode == 0, p.stderr)
    case("json: L1d 1 hit, 11 misses", (t.get("l1d", {}).get("hits"),
                                        t.get("l1d", {}).get("misses")) == (1, 11), t)
    case("json: L1i 2 hits, 3 misses", (t.get("l1i", {}).get("hits"),
                                        t.get("l1i", {}).get("misses")) == (2, 3), t)
    case("json: L2 3 hits, 11 misses", (t.get("l2", {}).get("hits"),
                                       t.get("l2", {}).get("misses")) == (3, 11), t)
    case("json: miss rates", near(t.get("l1d", {}).get("miss_rate"), 11 / 12) and
         near(t.get("l1i", {}).get("miss_rate"), 3 / 5) and
         near(t.get("l2", {}).get("miss_rate"), 11 / 14), t)
    case("json: MPKI from the 3 I records", near(t.get("l1d", {}).get("mpki"), 11000 / 3) and
         near(t.get("l1i", {}).get("mpki"), 1000) and near(t.get("l2", {}).get("mpki"), 11000 / 3)
         and near(d.get("walks_mpki"), 11000 / 3), (t, d.get("walks_mpki")))
    case("json: 11 walks, 38 entries read", (d.get("walks"), d.get("walk_entries_read")) ==
         (11, 38), d)
    wl = d.get("walk_levels", {})
    case("json: entries read per level", [wl.get(k, {}).get("entries_read") for k in
                                          ("pgd", "pud", "pmd", "pte")] == [11, 9, 9, 9], wl)
    case("json: the levels' entries and page sizes",
         [wl.get(k, {}).get("intel_name") for k in ("pgd", "pud", "pmd", "pte")] ==
         ["PML4E", "PDPTE", "PDE", "PTE"] and "page_size" not in wl.get("pgd", {}) and
         [wl.get(k, {}).get("page_size") for k in ("pud", "pmd", "pte")] ==
         [1 << 30, 1 << 21, 4096], wl)
    case("json: 5 pages mapped by PTEs, none large",
         [wl.get(k, {}).get("pages_mapped") for k in ("pud", "pmd", "pte")] == [0, 0, 5], wl)
    case("json: no large-page fills", t.get("l1d_large") == {"fills": 0, "evictions": 0} and
         t.get("l1i_large") == {"fills": 0, "evictions": 0}, t)
    f = d.get("faults", {})
    case("json: faults per kind", (f.get("min_flt"), f.get("demand_zero"), f.get("zero_page"))
         == (5, 4, 1), f)

    # ---- JSON: the interval rows' deltas, the last partial ----
    rows = d.get("intervals", [])
    case("json: rows at 4, 8 and the partial 11", [r.get("accesses") for r in rows] == [4, 8, 11],
         rows)
    for i, want in enumerate(ROWS):
        got = rows[i]["delta"] if i < len(rows) else {}
        case(f"json: row {i + 1}'s deltas", all(got.get(k) == v for k, v in want.items()),
             (got, want))
    if len(rows) == 3:
        case("json: an interval without instructions has no MPKI",
             rows[1]["mpki"] == {"l1d": None, "l1i": None, "l2": None, "walks": None}, rows[1])
        case("json: row 3's MPKI", near(rows[2]["mpki"]["l1d"], 3000) and
             near(rows[2]["mpki"]["l2"], 2000) and near(rows[2]["mpki"]["l1i"], 0), rows[2])
        case("json: the deltas add up to the totals",
             all(sum(r["delta"][k] for r in rows) == v for k, v in
                 (("l1d_misses", 11), ("l2_hits", 3), ("walk_entries_read", 38),
                  ("instructions", 3))), rows)
        case("json: the totals column is cumulative", rows[-1]["walks"] == d.get("walks"), rows)

    # ---- text ----
    p = run(*TINY, "replay", "-q", "--interval", "4", trace)
    out = p.stdout.splitlines()
    case("text: the rates line", "miss rate L1d 91.6667%, L1i 60.0000%, L2 78.5714%; large-page "
         "arrays: L1d 0 fills 0 evictions, L1i 0 fills 0 evictions" in out, p.stdout)
    case("text: the MPKI line", "mpki      L1d 3666.6667, L1i 1000.0000, L2 3666.6667, walks "
         "3666.6667 (per 1000 of 3 instructions)" in out, p.stdout)
    case("text: the walks line", "walks     11, page-table entries read 38: PML4E 11, PDPTE 9, "
         "PDE 9, PTE 9; mapped 5 4 KiB, 0 2 MiB, 0 1 GiB, 6 faulted" in out, p.stdout)
    hdr = [l for l in out if l.startswith("# accesses")]
    body = [l.split() for l in out if l[:1].isdigit()]
    case("text: a header and three rows", len(hdr) == 1 and len(body) == 3, p.stdout)
    if hdr and len(body) == 3:
        cols = hdr[0][2:].split()
        for i, want in enumerate(ROWS):
            got = dict(zip(cols, body[i]))
            case(f"text: row {i + 1}'s deltas",
                 all(got.get("d_" + k) == str(v) for k, v in want.items()), (got, want))
        case("text: no MPKI without instructions", dict(zip(cols, body[1]))["l1d_mpki"] == "-",
             body[1])

    # ---- CSV: the rows, and the summary ----
    p = run(*TINY, "replay", "-q", "--csv", "--interval", "4", trace)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    case("csv --interval: three rows, nothing else", p.returncode == 0 and len(rows) == 3 and
         len(p.stdout.splitlines()) == 4, p.stdout + p.stderr)
    for i, want in enumerate(ROWS[:len(rows)]):
        case(f"csv --interval: row {i + 1}'s deltas",
             all(rows[i].get("d_" + k) == str(v) for k, v in want.items()), rows[i])
    if len(rows) == 3:
        case("csv --interval: an empty MPKI without instructions", rows[1]["l2_mpki"] == "",
             rows[1])
    p = run(*TINY, "replay", "--csv", trace)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    r = rows[0] if len(rows) == 1 else {}
    case("csv: one row", p.returncode == 0 and len(rows) == 1, p.stdout + p.stderr)
    case("csv: per level", [r.get(k) for k in ("instructions", "l1d_hits", "l1d_misses",
                                               "l1i_hits", "l1i_misses", "l2_hits", "l2_misses",
                                               "walks", "walk_entries_read")] ==
         ["3", "1", "11", "2", "3", "3", "11", "11", "38"], r)
    case("csv: rates", near(float(r.get("l1d_miss_rate") or "nan"), 11 / 12) and
         near(float(r.get("l2_mpki") or "nan"), 11000 / 3), r)
    case("csv: entries read and pages mapped per level",
         [r.get(f"{k}_entries_read") for k in ("pgd", "pud", "pmd", "pte")] == ["11", "9", "9", "9"]
         and [r.get(f"{k}_pages_mapped") for k in ("pgd", "pud", "pmd", "pte")] ==
         ["", "0", "0", "5"], r)
    case("csv: faults per kind", (r.get("demand_zero"), r.get("zero_page")) == ("4", "1"), r)

    # ---- no instruction fetches: MPKI is n/a, not invented ----
    pages = os.path.join(tmp, "s.pages")
    open(pages, "w").write("1 2 3 1 2\n")
    p = run("replay", pages)
    case("pages: MPKI n/a", "mpki      n/a: the trace has no instruction fetches" in
         p.stdout.splitlines(), p.stdout)
    p = run("--json", "replay", "-q", pages)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    case("pages: JSON MPKI null", d.get("tlb", {}).get("l1d", {}).get("mpki", 0) is None and
         d.get("walks_mpki", 0) is None, d)
    p = run("replay", "--csv", pages)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    case("pages: CSV MPKI empty", len(rows) == 1 and rows[0]["l1d_mpki"] == "" and
         rows[0]["l1d_miss_rate"] != "", p.stdout)

    # ---- x86_32: two levels, the pud and pmd folded ----
    p = run("-c", "x86_32", "--json", "replay", "-q", trace)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    wl = d.get("walk_levels", {})
    case("x86_32: pgd and pte only", sorted(wl) == ["pgd", "pte"] and
         wl["pgd"].get("intel_name") == "PDE" and wl["pgd"].get("page_size") == 4 << 20 and
         wl["pgd"]["entries_read"] + wl["pte"]["entries_read"] == d.get("walk_entries_read"), wl)
    p = run("-c", "x86_32", "replay", "--csv", trace)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    case("x86_32: CSV folded levels empty", len(rows) == 1 and
         rows[0]["pud_entries_read"] == "" and rows[0]["pmd_entries_read"] == "" and
         rows[0]["pgd_entries_read"] != "", p.stdout)

    # ---- --thp: 2 MiB pages serve the flat layout's regions ----
    # 8 MiB (four aligned PMD spans) written page by page, twice: without
    # huge pages every 4 KiB page is walked to (and 2048 pages overflow the
    # L2's 1536 entries, so the second pass walks them all again); with
    # them one walk maps each 2 MiB and four L1d large entries hold it all.
    seq = os.path.join(tmp, "seq.lackey")
    open(seq, "w").write("".join(f" S {0x40000000 + i * 4096:x},8\n" for i in range(2048)) * 2)
    res = {}
    for mode in ("never", "always", "madvise"):
        p = run("--json", "replay", "-q", "--thp", mode, "--interval", "2048", seq)
        res[mode] = json.loads(p.stdout) if p.returncode == 0 else {}
        case(f"--thp {mode}: runs", p.returncode == 0, p.stderr)
    for mode in ("never", "madvise"):
        d = res[mode]
        wl = d.get("walk_levels", {})
        case(f"--thp {mode}: 512 pages mapped by walks per 2 MiB and pass",
             wl.get("pte", {}).get("pages_mapped") == 2 * 4 * 512 and
             wl.get("pmd", {}).get("pages_mapped") == 0, wl)
        case(f"--thp {mode}: the second pass walks every page again",
             [r["delta"]["walks"] for r in d.get("intervals", [])][1:] == [2048], d.get("intervals"))
    d = res["always"]
    wl = d.get("walk_levels", {})
    case("--thp always: one page mapped by a walk per 2 MiB", wl.get("pmd", {}).get("pages_mapped")
         == 4 and wl.get("pte", {}).get("pages_mapped") == 0 and
         wl.get("pte", {}).get("entries_read") == 0, wl)
    case("--thp always: the first pass walks about once per 2 MiB (the faults' walks too)",
         d.get("walks", 99) <= 3 * 4, d.get("walks"))
    case("--thp always: the second pass walks none", [r["delta"]["walks"] for r in
                                                      d.get("intervals", [])][1:] == [0],
         d.get("intervals"))
    case("--thp always: the L1d large array took the four pages",
         d.get("tlb", {}).get("l1d_large", {}).get("fills") == 4, d.get("tlb"))
    case("--thp always: RSS still 2048 pages", d.get("rss_pages") == 2048, d.get("rss_pages"))
    p = run("-c", "x86_32", "--json", "replay", "-q", "--thp", "always", seq)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    case("x86_32 --thp always: 4 MiB pages", d.get("walk_levels", {}).get("pgd", {})
         .get("pages_mapped") == 2 and d.get("walk_levels", {}).get("pte", {})
         .get("pages_mapped") == 0, d)
    p = run("replay", "--thp", "always", "--frames", "3", seq)
    case("--thp always with --frames: refused", p.returncode == 2 and
         "--frames turns transparent huge pages off" in p.stderr and
         len(p.stderr.strip().splitlines()) == 1, p.stderr)
    p = run("replay", "-q", "--thp", "never", "--frames", "3", seq)
    case("--thp never with --frames: fine", p.returncode == 0, p.stderr)
    p = run("replay", "--thp", "sometimes", seq)
    case("--thp sometimes: refused", p.returncode == 2, p.stderr)

    # ---- sweep --svg: page faults against frames, a line per policy ----
    import xml.etree.ElementTree as ET
    NS = "{http://www.w3.org/2000/svg}"
    pic = os.path.join(tmp, "sweep.svg")
    p = run("sweep", "-j", "2", "--policy", "fifo,lru,opt", "--frames", "1,2,3,4,5",
            "--svg", pic, "examples/belady.pages")
    table = list(csv.DictReader(io.StringIO(p.stdout)))
    case("sweep --svg: the table still comes out", p.returncode == 0 and len(table) == 15,
         p.stdout[:200] + p.stderr)
    try:
        root = ET.parse(pic).getroot()
        texts = [t.text for t in root.iter(NS + "text")]
        lines = [l.get("points").split() for l in root.iter(NS + "polyline")]
        case("sweep --svg: axes and a legend per policy", all(w in texts for w in (
             "frames", "page faults", "fifo", "lru", "opt")) and len(lines) == 3, texts)
        # Belady's anomaly on the picture: fifo's line goes up from 3 to 4
        # frames (9 to 10 faults), so its 4th point is higher (smaller y)
        fifo = [tuple(map(float, q.split(","))) for q in lines[0]] if lines else []
        case("sweep --svg: fifo's points in frame order, Belady's rise at 4 frames",
             len(fifo) == 5 and [q[0] for q in fifo] == sorted(q[0] for q in fifo) and
             fifo[3][1] < fifo[2][1], fifo)
    except (OSError, ET.ParseError) as e:
        case("sweep --svg: well-formed", False, f"{e} {p.stderr}")
    out = os.path.join(tmp, "sweep-dir")
    p = run("sweep", "-j", "2", "--out", out, "--frames", "3,4", "--policy", "lru",
            "examples/belady.pages", "examples/silberschatz.pages")
    pic2 = os.path.join(tmp, "merge.svg")
    p2 = run("sweep", "merge", "--svg", pic2, out)
    case("sweep merge --svg: the same table", p.returncode == 0 and p2.stdout == p.stdout,
         p2.stderr)
    try:
        texts = [t.text for t in ET.parse(pic2).getroot().iter(NS + "text")]
        case("sweep merge --svg: a line per policy and trace",
             "lru examples/belady.pages" in texts and "lru examples/silberschatz.pages" in texts,
             texts)
    except (OSError, ET.ParseError) as e:
        case("sweep merge --svg: well-formed", False, f"{e} {p2.stderr}")
    p = run("sweep", "--svg", pic, "examples/belady.pages")
    case("sweep --svg without --frames: refused", p.returncode == 2 and
         "give --frames" in p.stderr, p.stderr)
    p = run("sweep", "merge", "--svg", out)
    case("sweep merge --svg without a directory: refused", p.returncode == 2, p.stderr)

summary()
