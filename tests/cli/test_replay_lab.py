#!/usr/bin/env python3
"""The replay laboratory through the CLI (run from the source root):
replay --frames N --policy P, reference strings (--format pages), mrc.

usage: test_replay_lab.py VMSIM_CLI

Known answers (Silberschatz's string, Belady's anomaly) in text, JSON and
CSV; the mrc curve equal to replay --frames N --policy lru at every N, on a
reference string and on a real program's trace; SHARDS's error reported;
the SVG well-formed with its labels; malformed reference strings reported
as TRACE:LINE with exit status 2; the options refused with one line.
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from cases import case, summary

CLI = sys.argv[1]
SILB = "examples/silberschatz.pages"
BELADY = "examples/belady.pages"
LACKEY = "tests/traces/true-start.lackey"


def run(*args, stdin=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, input=stdin)


def replacement(trace, frames, policy, *extra):
    p = run("--json", "replay", "-q", "--frames", str(frames), "--policy", policy, *extra, trace)
    if p.returncode != 0:
        return {"error": p.stderr}
    return json.loads(p.stdout)["replacement"]


# ---- known answers ----
for policy, want in (("fifo", 15), ("lru", 12), ("opt", 9)):
    r = replacement(SILB, 3, policy)
    case(f"Silberschatz {policy} in 3 frames: {want} faults", r.get("faults") == want, r)
    case(f"Silberschatz {policy}: 20 references, 6 first uses",
         r.get("references") == 20 and r.get("first_use_faults") == 6, r)
for frames, want in ((3, 9), (4, 10)):
    r = replacement(BELADY, frames, "fifo")
    case(f"Belady fifo in {frames} frames: {want} faults", r.get("faults") == want, r)

p = run("replay", "--frames", "3", "--policy", "fifo", SILB)
case("text: the policy line", p.returncode == 0 and
     "policy    fifo in 3 frames: 20 references, 15 page faults (6 first use), 12 evictions, "
     "0 dirty (0 writes to disk)" in p.stdout, p.stdout + p.stderr)
case("text: the format is named", "(page numbers)" in p.stdout, p.stdout)

p = run("replay", "--csv", "--frames", "3", "--policy", "lru", SILB)
rows = list(csv.DictReader(io.StringIO(p.stdout)))
case("csv: a header and one row", p.returncode == 0 and len(rows) == 1, p.stdout + p.stderr)
if rows:
    case("csv: the row's values", rows[0]["policy"] == "lru" and rows[0]["frames"] == "3" and
         rows[0]["faults"] == "12" and rows[0]["trace"] == SILB and rows[0]["format"] == "pages",
         rows)
p = run("replay", "--csv", LACKEY)
rows = list(csv.DictReader(io.StringIO(p.stdout)))
case("csv without --frames: the replacement columns empty",
     p.returncode == 0 and len(rows) == 1 and rows[0]["policy"] == "" and rows[0]["faults"] == "",
     p.stdout)
case("csv without --frames: the reclaim columns named, empty",
     len(rows) == 1 and rows[0].get("pgscan") == "" and
     rows[0].get("workingset_restore_file") == "", p.stdout)

# every policy runs on a real trace and counts consistently
for policy in ("fifo", "lru", "opt", "clock", "enhanced-clock", "nru", "aging", "lfu", "random",
               "wsclock"):
    r = replacement(LACKEY, 6, policy, "--refresh", "50", "--tau", "100")
    ok = "faults" in r and r["faults"] >= 12 and r["evictions"] == r["faults"] - 6 and \
        r["dirty_evictions"] <= r["evictions"] and r["disk_writes"] >= r["dirty_evictions"]
    case(f"{policy} on {LACKEY} in 6 frames", ok, r)
    p = run("--check", "replay", "-q", "--frames", "4", "--policy", policy, LACKEY)
    case(f"{policy} under --check (the resident set is the present PTEs)", p.returncode == 0,
         p.stderr)

# OPT is the least, for each frame count
for frames in (2, 4, 8):
    opt = replacement(LACKEY, frames, "opt")["faults"]
    others = {p: replacement(LACKEY, frames, p)["faults"] for p in ("fifo", "lru", "clock", "lfu")}
    case(f"OPT faults least in {frames} frames", all(opt <= v for v in others.values()),
         (opt, others))

# ---- mrc: the same LRU counts at every size ----
for trace in (SILB, LACKEY):
    d = json.loads(run("--json", "mrc", "--opt", trace).stdout)
    for row in d["curve"]:
        r = replacement(trace, row["frames"], "lru")
        case(f"mrc {trace} at {row['frames']} frames == replay lru", r["faults"] == row["lru_faults"],
             (row, r))
        if row["frames"] in (1, 3, 5, 8):
            r = replacement(trace, row["frames"], "opt")
            case(f"mrc --opt {trace} at {row['frames']} frames == replay opt",
                 r["faults"] == row["opt_faults"], (row, r))
    case(f"mrc {trace}: the curve never rises", all(
        a["lru_faults"] >= b["lru_faults"] for a, b in zip(d["curve"], d["curve"][1:])), d["curve"])

p = run("mrc", "--csv", BELADY)
case("mrc --csv", p.returncode == 0 and p.stdout.splitlines()[:4] ==
     ["frames,lru_faults,lru_miss_ratio", "1,12,1.00000000", "2,12,1.00000000",
      "3,10,0.83333333"], p.stdout)
p = run("mrc", "--csv", "--curve", "tlb", LACKEY)
rows = list(csv.DictReader(io.StringIO(p.stdout)))
case("mrc --curve tlb: powers of two with MPKI", p.returncode == 0 and rows and
     [int(r["entries"]) for r in rows] == [1 << k for k in range(len(rows))] and
     rows[0]["mpki_4k"] != "", p.stdout)
p = run("--json", "mrc", "--sample", "50%", "--error", LACKEY)
d = json.loads(p.stdout) if p.returncode == 0 else {}
case("mrc --sample --error reports the error", "error" in d and
     0 <= d["error"]["mean_abs_miss_ratio"] <= d["error"]["max_abs_miss_ratio"] <= 1, p.stdout + p.stderr)
p = run("mrc", "--points", "3", LACKEY)
case("mrc --points 3: three rows", p.returncode == 0 and
     [l.split()[0] for l in p.stdout.split("\n\n")[1].splitlines()[1:]] == ["1", "3", "12"], p.stdout)

with tempfile.TemporaryDirectory() as tmp:
    for curve in ("frames", "tlb"):
        svg = os.path.join(tmp, f"{curve}.svg")
        p = run("mrc", "--opt", "--curve", curve, "--svg", svg, SILB)
        try:
            root = ET.parse(svg).getroot()
            texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
            lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
            want = ["frames", "page faults", "LRU", "OPT"] if curve == "frames" else \
                ["TLB entries (fully associative, LRU)", "4 KiB pages", "2 MiB pages"]
            case(f"mrc --svg {curve}: labelled axes, a legend, the curves",
                 p.returncode == 0 and all(w in texts for w in want) and len(lines) == 2, texts)
        except (OSError, ET.ParseError) as e:
            case(f"mrc --svg {curve}: well-formed", False, f"{e} {p.stderr}")

    svg = os.path.join(tmp, "interval.svg")
    p = run("replay", "-q", "--interval", "2000", "--frames", "6", "--policy", "clock", "--svg", svg,
            LACKEY)
    try:
        root = ET.parse(svg).getroot()
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
        points = lines[0].get("points").split() if lines else []
        case("replay --interval --svg: the counters over time, the policy's faults too",
             p.returncode == 0 and "accesses" in texts and "page faults (policy)" in texts and
             "events per 2000 accesses" in texts and len(lines) == 5 and len(points) == 9,
             (texts, len(points), p.stderr))
    except (OSError, ET.ParseError) as e:
        case("replay --interval --svg: well-formed", False, f"{e} {p.stderr}")
    p = run("replay", "--svg", svg, LACKEY)
    case("replay --svg without --interval: refused", p.returncode == 2 and
         "give --interval N" in p.stderr, p.stderr)

    # ---- reference strings: the format ----
    def trace(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    t = trace("multi.txt", "# a comment\n\n1, 2,3\n\t4w 5W # and one after\n6r\n")
    p = run("--json", "replay", "-q", t)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    case("pages: detected, commas, tabs, comments, w/r suffixes",
         d.get("format") == "pages" and d["accesses"]["total"] == 6 and d["accesses"]["S"] == 2,
         p.stdout + p.stderr)
    for text, line, msg in (("7 0 1\n2 x 3\n", 2, "expected a page number: 'x'"),
                            ("7 0 1\n\n12q\n", 3, "expected a page number with an optional r or w: '12q'"),
                            ("1 99999999999\n", 1, "page number too large (at most 17179869183): '99999999999'")):
        t = trace("bad.txt", text)
        p = run("replay", "--format", "pages", t)
        case(f"pages: {msg!r} at line {line}", p.returncode == 2 and
             p.stderr.strip().splitlines()[-1] == f"vmsim-cli: {t}:{line}: {msg}", p.stderr)
        p = run("mrc", "--format", "pages", t)
        case(f"mrc: {msg!r} at line {line}", p.returncode == 2 and
             p.stderr.strip() == f"vmsim-cli: {t}:{line}: {msg}" and p.stdout == "",
             p.stdout + p.stderr)
    p = run("replay", "--format", "pages", LACKEY)
    case("--format pages on a lackey trace: its first line", p.returncode == 2 and
         p.stderr.strip() == f"vmsim-cli: {LACKEY}:1: expected a page number: '==4242=='",
         p.stderr)
    p = run("replay", "-q", "--frames", "3", "--policy", "opt", "-", stdin=open(SILB).read())
    case("opt from standard input: refused (the trace is read twice)", p.returncode == 2 and
         "give a file, not standard input" in p.stderr, p.stderr)
    p = run("replay", "-q", "--frames", "3", "--policy", "opt", "/dev/stdin", stdin=open(SILB).read())
    case("opt from a pipe by name: refused", p.returncode == 2 and
         "give a file, not a pipe or a device" in p.stderr, p.stderr)
    p = run("replay", "-q", "--frames", "3", "-", stdin=open(SILB).read())
    case("lru from standard input", p.returncode == 0 and "12 page faults" in p.stdout, p.stderr)

# ---- options ----
for args, msg in ((["--policy", "lru"], "--policy needs --frames N"),
                  (["--frames", "0"], "--frames"),
                  (["--frames", "3", "--policy", "lruu"], "did you mean 'lru'?")):
    p = run("replay", *args, SILB)
    case(f"replay {' '.join(args)}: one line, exit 2", p.returncode == 2 and msg in p.stderr and
         len(p.stderr.strip().splitlines()) == 1, p.stderr)
p = run("--json", "replay", "--frames", "3", "--csv", SILB)
case("replay --csv with --json: one line, exit 2", p.returncode == 2 and
     "--csv prints one table: not with --json" in p.stderr and
     len(p.stderr.strip().splitlines()) == 1, p.stderr)

# ---- --policy linux: the kernel's reclaim in a memory cgroup of N pages ----
def pages_file(tmp, name, refs):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(" ".join(refs) + "\n")
    return path


def written(string, k):
    """A reference string of writes, each page a block of k pages."""
    return [f"{p * k + i}w" for p in string for i in range(k)]


with tempfile.TemporaryDirectory() as tmp:
    # a loop over N+1 pages: LRU-like reclaim evicts the page needed next,
    # so every reference after the first round faults too (and reads it
    # back from swap); the cgroup never holds more than N pages
    loop = pages_file(tmp, "loop.pages", [f"{i}w" for _ in range(10) for i in range(129)])
    r = replacement(loop, 128, "linux")
    case("linux: a loop over 129 pages in 128 frames faults at every reference",
         r.get("references") == 1290 and r.get("faults") == 1290 and
         r.get("first_use_faults") == 129 and r["reclaim"]["pgmajfault"] == 1161 and
         r["reclaim"]["workingset_refault_anon"] == 1161 and r["reclaim"]["pgscan"] > 0, r)
    case("linux: each eviction was reclaim's (pgsteal), each one written (nr_vmscan_write); "
         "pages of zeroes cost the swap area no write",
         r.get("evictions") == r["reclaim"]["pgsteal"] and
         r.get("dirty_evictions") == r["reclaim"]["nr_vmscan_write"] == r.get("evictions") and
         r.get("disk_writes") == r["reclaim"]["pswpout"] == 0, r)
    p = run("--check", "replay", "-q", "--frames", "128", "--policy", "linux", loop)
    case("linux under --check: the cgroup stays within its frames", p.returncode == 0, p.stderr)
    # a hot set that fits: the first uses only, no reclaim at all
    hot = pages_file(tmp, "hot.pages", [f"{i}w" for _ in range(10) for i in range(96)])
    r = replacement(hot, 128, "linux")
    case("linux: 96 hot pages in 128 frames fault only on first use",
         r.get("faults") == 96 and r.get("first_use_faults") == 96 and r.get("evictions") == 0 and
         r["reclaim"]["pgscan"] == 0, r)
    # reads of pages never written map the shared zero page: no frame
    reads = pages_file(tmp, "reads.pages", [f"{i}" for _ in range(10) for i in range(129)])
    r = replacement(reads, 128, "linux")
    case("linux: reading 129 never-written pages takes no frame (the zero page)",
         r.get("faults") == 129 and r.get("evictions") == 0, r)
    # the classic strings, each page a block of 64 written pages, in 3 and
    # 4 blocks of frames: linux lies between OPT and FIFO on
    # Silberschatz's string (not on Belady's: there it does worse than
    # FIFO in 3 blocks and as FIFO in 4)
    silb = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]
    belady = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]
    for name, string in (("Silberschatz", silb), ("Belady", belady)):
        path = pages_file(tmp, name + ".pages", written(string, 64))
        for blocks in (3, 4):
            f = {pol: replacement(path, blocks * 64, pol).get("faults")
                 for pol in ("opt", "fifo", "linux")}
            between = f["opt"] < f["linux"] < f["fifo"]
            case(f"{name} x64 in {blocks}x64 frames: linux {'between' if name == 'Silberschatz' else 'not between'} "
                 f"OPT and FIFO", between == (name == "Silberschatz"), f)
    # the textbook sizes are too small for the kernel: new pages wait in
    # the CPU's LRU batch (31 pages) where reclaim cannot take them, so a
    # cgroup of 3 pages runs out, and its OOM killer ends the replay
    p = run("--json", "replay", "-q", "--frames", "3", "--policy", "linux", pages_file(
        tmp, "silbw.pages", written(silb, 1)))
    d = json.loads(p.stdout) if p.stdout else {}
    case("linux in 3 frames: the cgroup's OOM killer ends the replay (exit 1)",
         p.returncode == 1 and d.get("out_of_memory") is True and
         "Memory cgroup out of memory: Killed process 1 (replay)" in p.stderr, p.stderr[-300:])
    # text and CSV carry the reclaim counters
    p = run("replay", "--frames", "128", "--policy", "linux", loop)
    case("linux, text: the policy and reclaim lines", p.returncode == 0 and
         "policy    linux in 128 frames: 1290 references, 1290 page faults (129 first use)" in
         p.stdout and "reclaim   pgscan " in p.stdout and " pgmajfault 1161," in p.stdout, p.stdout)
    p = run("replay", "--csv", "--frames", "128", "--policy", "linux", loop)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    case("linux, csv: the reclaim columns", p.returncode == 0 and len(rows) == 1 and
         rows[0]["policy"] == "linux" and rows[0]["pgmajfault"] == "1161" and
         rows[0]["faults"] == "1290", p.stdout[:400])
    p = run("replay", "--frames", "128", "--policy", "linux", "-", stdin=open(loop).read())
    case("linux reads the trace twice: not from standard input", p.returncode == 2 and
         "give a file, not standard input" in p.stderr, p.stderr)
    p = run("sweep", "-j", "1", "--out", os.path.join(tmp, "sw"), "--policy", "lru,linux",
            "--frames", "128", loop)
    case("sweep --policy takes linux", p.returncode == 0 and "linux" in p.stdout, p.stdout + p.stderr)
for args, msg in ((["--sample", "0"], "--sample takes a rate"),
                  (["--sample", "2"], "--sample takes a rate"),
                  (["--error"], "give --sample"),
                  (["--curve", "tlbb"], "did you mean 'tlb'?")):
    p = run("mrc", *args, SILB)
    case(f"mrc {' '.join(args)}: one line, exit 2", p.returncode == 2 and msg in p.stderr, p.stderr)

summary()
