#!/usr/bin/env python3
"""The CLI's commands, their formats and exit statuses (run from the source root).

usage: test_commands.py VMSIM_CLI
Prints one line per case and a CMocka-style summary so the suite counts cases.
"""
import json
import re
import subprocess
import sys

from cases import case, summary

CLI = sys.argv[1]


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


BUDDY = re.compile(r"^Node \d+, zone +\S+ (( +\d+) ){11}$")

for mach in ("x86_64", "x86_32", "x86_64-la57", "x86_32-pae", "configs/x86_64.yaml",
             "configs/x86_32.yaml", "configs/x86_64-la57.yaml", "configs/x86_32-pae.yaml"):
    for view in ("info", "buddyinfo", "zoneinfo", "meminfo"):
        p = run("-c", mach, view)
        case(f"{mach} {view} exits 0", p.returncode == 0 and p.stdout, p.stderr)
        j = run("-c", mach, "--json", view)
        try:
            json.loads(j.stdout)
            ok = j.returncode == 0
        except ValueError as e:
            ok = False
        case(f"{mach} {view} --json is one JSON document", ok, j.stdout[:200] + j.stderr)

    b = run("-c", mach, "buddyinfo").stdout.splitlines()
    case(f"{mach} buddyinfo lines in /proc format", b and all(BUDDY.match(l) for l in b), b)

    # meminfo (JSON in bytes) MemTotal = sum of managed pages; MemFree = sum of free
    zi = json.loads(run("-c", mach, "--json", "zoneinfo").stdout)
    mi = json.loads(run("-c", mach, "--json", "meminfo").stdout)
    case(f"{mach} MemTotal = managed pages", mi["MemTotal"] == 4096 * sum(z["managed_pages"] for z in zi),
         (mi, zi))
    case(f"{mach} MemFree = free pages", mi["MemFree"] == 4096 * sum(z["free_pages"] for z in zi))
    bi = json.loads(run("-c", mach, "--json", "buddyinfo").stdout)
    for z in bi:
        zz = [x for x in zi if x["zone"] == z["zone"] and x["node"] == z["node"]][0]
        case(f"{mach} {z['zone']} buddyinfo sums to zoneinfo free",
             sum(n << o for o, n in enumerate(z["nr_free"])) == zz["free_pages"])

# The same values from the built-in and from the shipped config file
for arch in ("x86_64", "x86_32", "x86_64-la57", "x86_32-pae"):
    case(f"{arch} built-in zoneinfo == configs/{arch}.yaml",
         run("-c", arch, "zoneinfo").stdout == run("-c", f"configs/{arch}.yaml", "zoneinfo").stdout)

# stats: the same names and values in text and JSON
for mach in ("x86_64", "x86_32", "x86_64-la57", "x86_32-pae"):
    t = run("-c", mach, "stats").stdout.splitlines()
    j = json.loads(run("-c", mach, "--json", "stats").stdout)
    tv = {l.split()[0]: int(l.split()[1]) for l in t}
    case(f"{mach} stats text == json", tv == j and len(tv) > 10, (tv, j))
    case(f"{mach} stats nr_free_pages == meminfo MemFree",
         j["nr_free_pages"] * 4096 == json.loads(run("-c", mach, "--json", "meminfo").stdout)["MemFree"])

# --trace-events: one numbered line per event, alloc/free pairs of the lesson
import os
import tempfile
with tempfile.TemporaryDirectory() as d:
    log = os.path.join(d, "ev.log")
    p = run("--trace-events", log, "run", "examples/buddy.yaml")
    lines = open(log).read().splitlines()
    case("--trace-events run exits 0", p.returncode == 0, p.stderr)
    case("events are numbered from 1", [int(l.split()[0]) for l in lines] == list(range(1, len(lines) + 1)))
    kinds = [l.split()[1] for l in lines]
    case("the lesson's 7 allocations and 3 frees are logged",
         kinds.count("alloc_pages") == 6 and kinds.count("alloc_fail") == 1 and kinds.count("free_pages") == 3,
         kinds)
    case("the first event is the first allocation", lines and lines[0].startswith("1 alloc_pages pfn=0x100 order=0 zone=DMA"),
         lines[:1])
    log2 = os.path.join(d, "ev2.log")
    p = run("--trace-events", log2, "run", "examples/showcase.yaml")
    kinds2 = {l.split()[1] for l in open(log2).read().splitlines()}
    case("the showcase logs every layer's events",
         {"alloc_pages", "free_pages", "page_fault", "tlb_fill", "tlb_flush", "fault",
          "mmap", "munmap", "brk"} <= kinds2, kinds2)
    faults = [l for l in open(log2).read().splitlines() if " fault " in l and "kind=cow" in l]
    case("the child's copy-on-write is logged with its task", any("task=child" in l for l in faults), faults)
p = run("--trace-events", "/nonexistent/dir/x.log", "info")
case("--trace-events to an unwritable path exits 2", p.returncode == 2 and "/nonexistent/dir/x.log" in p.stderr, p.stderr)

# replay: the recorded trace of /bin/true's start, flat layout
for mach in ("x86_64", "x86_32", "x86_64-la57", "x86_32-pae"):
    p = run("-c", mach, "--json", "replay", "-q", "tests/traces/true-start.lackey")
    case(f"{mach} replay exits 0", p.returncode == 0, p.stderr)
    if p.returncode == 0:
        j = json.loads(p.stdout)
        a = j["accesses"]
        case(f"{mach} replay counts every record", a["total"] == 19997 and
             a["I"] + a["L"] + a["S"] + a["M"] == a["total"], a)
        t = j["tlb"]
        # every translation is an L1 lookup (retries after faults add more),
        # except addresses beyond the arch's reach, which never reach the TLB
        case(f"{mach} L1 lookups cover the translations", t["l1d"]["hits"] + t["l1d"]["misses"] +
             t["l1i"]["hits"] + t["l1i"]["misses"] + j["regions"]["unmappable_accesses"] >=
             a["page_touches"], (t, a))
        case(f"{mach} unmappable only beyond 4 GiB", (j["regions"]["unmappable_accesses"] > 0) ==
             mach.startswith("x86_32"), j["regions"])
        case(f"{mach} every L2 miss is a walk", t["l2"]["misses"] == j["walks"], (t, j["walks"]))
        case(f"{mach} rss = demand-zero + cow pages", j["rss_pages"] ==
             j["faults"]["demand_zero"] + j["faults"]["cow"], j)
p = run("replay", "-q", "--interval", "5000", "tests/traces/true-start.lackey")
rows = [l for l in p.stdout.splitlines() if l and l[0].isdigit()]
case("replay --interval prints a row per 5000 accesses and the partial last",
     [r.split()[0] for r in rows] == ["5000", "10000", "15000", "19997"], rows)
with tempfile.TemporaryDirectory() as d:
    bad = os.path.join(d, "bad.lackey")
    open(bad, "w").write("I  401000,4\n L 402000,8\n oops\n")
    p = run("replay", "-q", bad)
    case("a bad trace line exits 2 naming the line", p.returncode == 2 and
         p.stderr.strip() == f"vmsim-cli: {bad}:3: expected I, L, S or M: ' oops'", p.stderr)
    case("the counters so far are printed", "accesses  2:" in p.stdout, p.stdout)
    # a file that is not a trace fails on its first line, before any report
    for notrace, first in (("/bin/true", "'\\x7fELF\\x02"), ("examples/buddy.yaml", "'# The buddy")):
        p = run("replay", "-q", notrace)
        case(f"replay of {notrace} exits 2 on line 1, no report",
             p.returncode == 2 and p.stdout == "" and len(p.stderr.splitlines()) == 1 and
             p.stderr.startswith(f"vmsim-cli: {notrace}:1: expected I, L, S or M: {first}") and
             all(c >= " " for c in p.stderr.rstrip("\n")), (p.stdout, p.stderr))
    vmt = os.path.join(d, "t.vmt")
    p = run("convert-trace", "tests/traces/true-start.lackey", vmt)
    case("convert-trace exits 0", p.returncode == 0, p.stderr)
    a = json.loads(run("--json", "replay", "-q", "tests/traces/true-start.lackey").stdout)
    b = json.loads(run("--json", "replay", "-q", vmt).stdout)
    for k in ("accesses", "tlb", "walks", "faults", "rss_pages"):
        case(f"binary replay == lackey replay: {k}", a[k] == b[k], (a[k], b[k]))
    p = subprocess.run([CLI, "replay", "-q", "-"], input=open("tests/traces/true-start.lackey").read(),
                       capture_output=True, text=True)
    case("replay - reads standard input", p.returncode == 0 and "accesses  19997" in p.stdout, p.stderr)

# replay through an exec'ed binary: Valgrind's layout is not the kernel's,
# so its accesses land outside the VMAs exec built and count as SIGSEGV
p = run("--json", "replay", "-q", "--task-layout", "exec:/bin/true", "tests/traces/true-start.lackey")
case("replay --task-layout exec: runs", p.returncode == 0, p.stderr)
if p.returncode == 0:
    j = json.loads(p.stdout)
    case("exec layout: no regions are created, misses are SIGSEGV",
         j["regions"]["created"] == 0 and j["faults"]["segv"] > 0, j)
p = run("replay", "-q", "--task-layout", "exec:/nonexistent", "tests/traces/true-start.lackey")
case("replay exec of a missing file exits 2", p.returncode == 2 and "/nonexistent" in p.stderr, p.stderr)

# --set
p = run("--set", "memory.size=64MiB", "--json", "meminfo")
case("--set memory.size=64MiB", p.returncode == 0 and json.loads(p.stdout)["MemTotal"] < 64 << 20, p.stdout)
p = run("--set", "memory.size=64MB", "info")
case("--set with a bad size exits 2", p.returncode == 2 and "--set" in p.stderr and
     len(p.stderr.splitlines()) == 1, p.stderr)
p = run("--set", "pagecache.fault_around_bytes=0", "info")
case("fault_around_bytes 0 (off) is accepted", p.returncode == 0, p.stderr)
p = run("--set", "memory.sise=1GiB", "info")
case("--set with an unknown key exits 2", p.returncode == 2 and "memory.sise" in p.stderr, p.stderr)
p = run("-c", "tests/configs/does-not-exist.yaml", "info")
case("a missing config file exits 2", p.returncode == 2 and "does-not-exist.yaml" in p.stderr, p.stderr)

# usage errors
for args in ([], ["frobnicate"], ["run"], ["show"], ["-c"], ["--set"]):
    p = run(*args)
    case(f"usage error {args} exits 2", p.returncode == 2 and p.stderr, p.stderr)
p = run("help")
case("help exits 0", p.returncode == 0 and "usage:" in p.stdout)
p = run("run", "tests/scenarios/none-such.yaml")
case("a missing scenario exits 2", p.returncode == 2 and "none-such.yaml" in p.stderr, p.stderr)

# configs and scenarios are regular files of at most 64 MiB: a FIFO (no
# writer: must not hang), a device and an oversized file are refused at once
with tempfile.TemporaryDirectory() as d:
    fifo = os.path.join(d, "fifo.yaml")
    os.mkfifo(fifo)
    big = os.path.join(d, "big.yaml")
    with open(big, "wb") as f:
        f.truncate((64 << 20) + 1)
    for what, path, msg in (("a FIFO", fifo, "is a FIFO"),
                            ("/dev/zero", "/dev/zero", "is a character device"),
                            ("a directory", d, "is a directory"),
                            ("a file over the cap", big, "at most 64 MiB")):
        for args in (["-c", path, "info"], ["run", path]):
            p = run(*args)
            case(f"{args[0]} {what} exits 2 with one line", p.returncode == 2 and msg in p.stderr
                 and path in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr)
    # exec opens the file without waiting on a FIFO, and reads a 2 GiB
    # (sparse) binary page by page
    p = run("exec", fifo)
    case("exec of a FIFO exits 2 at once", p.returncode == 2 and "not a regular file" in p.stderr,
         p.stderr)
    if os.access("/usr/bin/true", os.R_OK):
        bigexe = os.path.join(d, "true-2g")
        with open("/usr/bin/true", "rb") as src, open(bigexe, "wb") as dst:
            dst.write(src.read())
            dst.truncate(2 << 30)
        p = run("exec", bigexe)
        case("exec of a 2 GiB binary runs", p.returncode == 0 and "true-2g" in p.stdout, p.stderr)

# 2 * 10^5 steps whose `as:` names are each used once: the names are hashed,
# so this runs in seconds (with a scan per name it took minutes)
with tempfile.TemporaryDirectory() as d:
    big = os.path.join(d, "steps.yaml")
    n = 100000
    with open(big, "w") as f:
        f.write("machine: x86_64\nsteps:\n")
        f.writelines(f"  - kmalloc: {{ size: 64, as: k{i} }}\n" for i in range(n))
        f.writelines(f"  - kfree: {{ addr: $k{i} }}\n" for i in range(n))
    p = run("run", big)
    case("a scenario of 2*10^5 steps runs", p.returncode == 0 and f"{2 * n} steps" in p.stdout,
         p.stderr[:300])

# a 64 GiB machine boots quickly (deferred struct page init); generous bound
p = run("--set", "memory.size=64GiB", "--json", "meminfo")
case("a 64 GiB machine boots", p.returncode == 0 and json.loads(p.stdout)["MemTotal"] > 60 << 30, p.stderr)

# scenario steps on stderr: silent when every step did what it should,
# one line per failed step without an expect, one per step with -v
p = run("run", "examples/buddy.yaml")
case("a scenario whose steps all succeed prints nothing on stderr",
     p.returncode == 0 and p.stderr == "", p.stderr)
q = run("-v", "run", "examples/buddy.yaml")
nsteps = int(re.search(r": (\d+) steps", p.stdout).group(1))
vlines = q.stderr.splitlines()
case("-v prints one stderr line per step, in order", q.returncode == 0 and
     len(vlines) == nsteps and all(re.match(rf"examples/buddy.yaml:\d+: step {i + 1} \(\w+\): ", l)
                                   for i, l in enumerate(vlines)), q.stderr)
case("-v leaves stdout as it is", q.stdout == p.stdout)
case("--verbose is -v", run("--verbose", "run", "examples/buddy.yaml").stderr == q.stderr)
oom = "tests/scenarios/outcomes/oom-is-an-outcome.yaml"
q = run("-v", "run", oom)
case("-v: a failed step's line is printed once", q.returncode == 0 and
     sum(bool(re.fullmatch(rf"{oom}:\d+: step 6 \(fork\): ENOMEM", l)) for l in q.stderr.splitlines()) == 1,
     q.stderr)
p = run("--json", "run", oom)
try:
    steps = json.loads(p.stdout)["steps"]
    ok = p.returncode == 0 and "step " not in p.stderr and steps[6]["result"] == {
        "kind": "not_run", "reason": "task 'q' was not created: step 6 (fork): ENOMEM"} and \
        {"message": "Out of memory and no killable processes..."} in steps[5]["output"]
except (ValueError, KeyError, IndexError):
    ok = False
case("--json: outcomes and the kernel's log in the document, no step lines on stderr", ok,
     (p.stdout[:300], p.stderr))

summary()
