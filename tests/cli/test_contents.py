#!/usr/bin/env python3
"""memory.contents: none, metadata-only RAM (run from the source root):
replays count exactly what a machine with contents counts, a footprint of
1 GiB costs the host a few tens of MiB, and every operation that needs the
bytes (exec, a scenario's read and write) is refused with one line.

usage: test_contents.py VMSIM_CLI
"""
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile

from cases import case, summary

CLI = sys.argv[1]
NONE = ["--set", "memory.contents=none"]


def run(*args, **kw):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, **kw)


def counters(doc):
    doc = dict(doc)
    for k in ("seconds", "accesses_per_second"):
        doc.pop(k)
    return doc


tmp = tempfile.mkdtemp(prefix="vmsim-contents-")
try:
    # ---- the same counts: the simulation never reads a user page's bytes ----
    for trace in ("tests/traces/true-start.lackey", "tests/traces/loop.champsim.xz"):
        a = run("--json", "replay", "-q", trace)
        b = run(*NONE, "--json", "replay", "-q", trace)
        case(f"{trace}: the same report with and without contents",
             a.returncode == b.returncode == 0 and
             counters(json.loads(a.stdout)) == counters(json.loads(b.stdout)), b.stderr)
    dump = run(*NONE, "meminfo")
    case("the key is accepted and the machine boots", dump.returncode == 0, dump.stderr)
    bad = run("--set", "memory.contents=some", "meminfo")
    case("a bad value: one line", bad.returncode == 2 and bad.stderr.strip() ==
         "vmsim-cli: --set memory.contents=some: bad value 'some' for memory.contents (none, stored)",
         bad.stderr)

    # ---- a 1 GiB footprint: the host keeps metadata only ----
    wide = os.path.join(tmp, "wide.vmt")
    n = 262144
    with open(wide, "wb") as f:
        f.write(b"VMSIMTR1")
        f.write(b"".join(struct.pack("<Q", (2 << 62) | (8 << 48) | (0x10000000 + i * 4096))
                         for i in range(n)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    w = run("--set", "memory.size=4GiB", *NONE, "--json", "replay", "-q", wide)
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    doc = json.loads(w.stdout) if w.returncode == 0 else {}
    case("1 GiB touched: every page faulted in", doc.get("rss_pages") == n, w.stderr)
    # 56 bytes of struct page and 8 of page table per page: 16 MiB, plus
    # the program; with contents the host would hold the whole GiB
    case("1 GiB touched: the host holds under 64 MiB", rss_kib < 64 * 1024,
         f"{rss_kib} KiB (before: {before})")

    # ---- what needs the bytes is refused ----
    e = run(*NONE, "replay", "--task-layout", "exec:/bin/true", "tests/traces/course.rw")
    case("exec is refused with one line", e.returncode == 2 and e.stderr.strip() ==
         "vmsim-cli: exec: the ELF's segments and the stack's strings are page contents, and "
         "this machine keeps none (memory.contents: none)", e.stderr)
    scen = os.path.join(tmp, "s.yaml")
    for step in ("write: { task: a, addr: $m, size: 8, value: 1 }",
                 "read: { task: a, addr: $m, size: 8 }"):
        with open(scen, "w") as f:
            f.write("machine: x86_64\nset: { memory.contents: none }\nsteps:\n"
                    "  - spawn: { task: a }\n"
                    "  - mmap: { task: a, length: 8KiB, prot: rw-, flags: [private, anonymous],"
                    " as: m }\n"
                    "  - touch: { task: a, addr: $m, length: 8KiB }\n"
                    f"  - {step}\n")
        p = run("run", scen)
        op = step.split(":")[0]
        case(f"a scenario's {op} is refused, naming the step", p.returncode == 2 and
             p.stderr.strip() == f"vmsim-cli: {scen}:7:5: step 4 ({op}): the bytes it "
             "moves are page contents, and this machine keeps none (memory.contents: none)",
             p.stderr)
    with open(scen, "w") as f:
        f.write("machine: x86_64\nset: { memory.contents: none }\nsteps:\n"
                "  - spawn: { task: a }\n"
                "  - mmap: { task: a, length: 8KiB, prot: rw-, flags: [private, anonymous], as: m }\n"
                "  - touch: { task: a, addr: $m, length: 8KiB, access: read }\n"
                "  - touch: { task: a, addr: $m, length: 8KiB }\n"
                "  - fork: { task: a, child: b }\n"
                "  - touch: { task: b, addr: $m, length: 8KiB }\n"
                "  - expect: { task: b, cow: 2, rss: 2 }\n")
    p = run("--check", "run", scen)
    case("touch, fork and copy-on-write work without contents", p.returncode == 0, p.stderr)
finally:
    subprocess.run(["rm", "-rf", tmp])
summary()
