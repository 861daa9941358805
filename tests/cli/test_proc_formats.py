#!/usr/bin/env python3
"""/proc/meminfo, /proc/vmstat and /proc/zoneinfo as the kernel prints them.

usage: test_proc_formats.py VMSIM_CLI      (run from the source root)

The simulator's views against two references:
  - Linux 6.12's own order of meminfo lines (fs/proc/meminfo.c and the x86
    arch_report_meminfo()), below: every line the simulator prints comes
    in that order, and the lines it leaves out are those it does not model;
  - the host's files, when readable: every name both print comes in the
    same relative order, and a value that fits the kernel's field width
    ends in the same column (the host kernel may be older or newer, so
    names only one side has are not an error).
Values are checked elsewhere (test_commands.py, the scenarios); here only
the formats and the orders.  Prints one line per failure and a summary.
"""
import json
import os
import re
import subprocess
import sys

from cases import case, summary

CLI = sys.argv[1]

# fs/proc/meminfo.c meminfo_proc_show(), Linux 6.12, x86 with HIGHMEM
# (x86_32), ZSWAP, MEMORY_FAILURE, THP, CMA, UNACCEPTED_MEMORY, hugetlbfs
MEMINFO_6_12 = [
    "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active",
    "Inactive", "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)",
    "Unevictable", "Mlocked", "HighTotal", "HighFree", "LowTotal", "LowFree", "SwapTotal",
    "SwapFree", "Zswap", "Zswapped", "Dirty", "Writeback", "AnonPages", "Mapped", "Shmem",
    "KReclaimable", "Slab", "SReclaimable", "SUnreclaim", "KernelStack", "PageTables",
    "SecPageTables", "NFS_Unstable", "Bounce", "WritebackTmp", "CommitLimit", "Committed_AS",
    "VmallocTotal", "VmallocUsed", "VmallocChunk", "Percpu", "HardwareCorrupted",
    "AnonHugePages", "ShmemHugePages", "ShmemPmdMapped", "FileHugePages", "FilePmdMapped",
    "CmaTotal", "CmaFree", "Unaccepted", "HugePages_Total", "HugePages_Free",
    "HugePages_Rsvd", "HugePages_Surp", "Hugepagesize", "Hugetlb", "DirectMap4k",
    "DirectMap4M", "DirectMap2M", "DirectMap1G",
]
# what the simulator has no value for (docs/memcg.md, docs/fidelity.md)
NOT_MODELLED = {"Zswap", "Zswapped", "Percpu", "CmaTotal", "CmaFree", "Unaccepted"}
VMSIM_ONLY = {"MemMap"}  # vmsim's own, last
ARCH_LINES = {
    "x86_64": {"HighTotal", "HighFree", "LowTotal", "LowFree", "DirectMap4M"},
    "x86_32": {"DirectMap2M", "DirectMap1G"},
}
COUNT_LINES = {"HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"}


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def read_host(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return None


def same_relative_order(ours, theirs):
    """The names both lists have, in each list's order, must be equal."""
    common = set(ours) & set(theirs)
    a = [n for n in ours if n in common]
    b = [n for n in theirs if n in common]
    return a == b, a, b


MEMINFO_LINE = re.compile(r"^([A-Za-z0-9_()]+):( +)(\d+)( kB)?$")
host_meminfo = read_host("/proc/meminfo")

for mach in ("x86_64", "x86_32"):
    lines = run("-c", mach, "meminfo").stdout.splitlines()
    parsed = [MEMINFO_LINE.match(l) for l in lines]
    case(f"{mach} meminfo: every line is 'Name:  value[ kB]'", all(parsed) and lines,
         [l for l, p in zip(lines, parsed) if not p])
    names = [p.group(1) for p in parsed if p]
    j = json.loads(run("-c", mach, "--json", "meminfo").stdout)
    case(f"{mach} meminfo: the JSON has the text's names, in order", list(j) == names,
         (list(j), names))
    case(f"{mach} meminfo: MemMap (vmsim's) comes last", names and names[-1] == "MemMap", names[-1:])
    kernel = [n for n in names if n not in VMSIM_ONLY]
    ref = [n for n in MEMINFO_6_12 if n not in ARCH_LINES[mach]]
    case(f"{mach} meminfo: Linux 6.12's lines in its order", [n for n in ref if n in kernel] == kernel,
         kernel)
    case(f"{mach} meminfo: left out exactly the lines not modelled",
         set(ref) - set(kernel) == NOT_MODELLED, set(ref) - set(kernel))
    for l, p in zip(lines, parsed):
        if not p:
            continue
        name, value = p.group(1), p.group(3)
        if name in COUNT_LINES:
            # hugetlb_report_meminfo(): "HugePages_Total:   %5lu"
            ok = len(l) == 24 and not p.group(4)
        elif name == "HardwareCorrupted":
            ok = l == f"HardwareCorrupted: {int(value):5d} kB"
        else:
            # show_val_kb(): a 16-column label, the value in 8 columns
            ok = l == f"{name + ':':<16}{int(value):>8d} kB"
        case(f"{mach} meminfo: {name} in the kernel's columns", ok, repr(l))
    if host_meminfo:
        hp = [MEMINFO_LINE.match(l) for l in host_meminfo]
        hnames = [p.group(1) for p in hp if p]
        ok, a, b = same_relative_order(kernel, hnames)
        case(f"{mach} meminfo: the names the host prints too come in the host's order", ok, (a, b))
        if mach == "x86_64":
            case("x86_64 meminfo: most host lines are there", len(a) >= 40, a)
        ours = {p.group(1): l for l, p in zip(lines, parsed) if p}
        for hl, p in zip(host_meminfo, hp):
            if not p or p.group(1) not in ours:
                continue
            ol = ours[p.group(1)]
            om = MEMINFO_LINE.match(ol)
            # the same width wherever neither value overflows its field
            if len(p.group(3)) <= 5 and len(om.group(3)) <= 5:
                case(f"{mach} meminfo: {p.group(1)} lines up with the host's",
                     len(hl) == len(ol), (hl, ol))

# /proc/vmstat: "name value", the host's relative order
VMSTAT_LINE = re.compile(r"^([a-z0-9_]+) (\d+)$")
host_vmstat = read_host("/proc/vmstat")
for mach in ("x86_64", "x86_32"):
    lines = run("-c", mach, "vmstat").stdout.splitlines()
    parsed = [VMSTAT_LINE.match(l) for l in lines]
    case(f"{mach} vmstat: every line is 'name value'", all(parsed) and len(lines) > 20,
         [l for l, p in zip(lines, parsed) if not p])
    names = [p.group(1) for p in parsed if p]
    case(f"{mach} vmstat: each name once", len(set(names)) == len(names))
    case(f"{mach} vmstat: zone items first, nr_unstable last",
         names[:1] == ["nr_free_pages"] and names[-1:] == ["nr_unstable"], names)
    j = json.loads(run("-c", mach, "--json", "vmstat").stdout)
    case(f"{mach} vmstat: the JSON has the text's names and values, in order",
         list(j.items()) == [(p.group(1), int(p.group(2))) for p in parsed if p])
    zones = {"x86_64": ["dma", "dma32", "normal", "movable"],
             "x86_32": ["dma", "normal", "high", "movable"]}[mach]
    case(f"{mach} vmstat: pgalloc_* of the arch's zones",
         [n for n in names if n.startswith("pgalloc_")] == [f"pgalloc_{z}" for z in zones], names)
    if host_vmstat:
        hnames = [l.split()[0] for l in host_vmstat if l.strip()]
        ok, a, b = same_relative_order(names, hnames)
        case(f"{mach} vmstat: the names the host prints too come in the host's order", ok, (a, b))
        if mach == "x86_64":
            case("x86_64 vmstat: most names are the host's", len(a) >= len(names) - 8,
                 set(names) - set(hnames))

# /proc/zoneinfo: "per-node stats" on the node's first populated zone,
# the zone's counters after "protection:", in the host's order
host_zoneinfo = read_host("/proc/zoneinfo")
STAT = re.compile(r"^      ([a-z0-9_]+) +(\d+)$")


def zoneinfo_blocks(lines):
    """[(zone header, per-node names, zone stat names)]"""
    out, cur, where = [], None, None
    for l in lines:
        if l.startswith("Node "):
            cur = [l, [], []]
            out.append(cur)
            where = None
        elif l == "  per-node stats":
            where = 1
        elif l.startswith("  pages free"):
            where = None
        elif l.startswith("        protection:"):
            where = 2
        elif l.startswith("  pagesets"):
            where = None
        elif cur and where and STAT.match(l):
            cur[where].append(STAT.match(l).group(1))
    return out


for mach in ("x86_64", "x86_32"):
    text = run("-c", mach, "zoneinfo").stdout.splitlines()
    blocks = zoneinfo_blocks(text)
    per_node = [b for b in blocks if b[1]]
    case(f"{mach} zoneinfo: per-node stats once, on the first populated zone",
         len(per_node) == 1 and per_node[0] is blocks[0], [b[0] for b in per_node])
    zj = json.loads(run("-c", mach, "--json", "zoneinfo").stdout)
    case(f"{mach} zoneinfo: the JSON has the same counters",
         [list(z.get("stats", {})) for z in zj] == [b[2] for b in blocks] and
         list(zj[0].get("per_node_stats", {})) == blocks[0][1])
    vm = json.loads(run("-c", mach, "--json", "vmstat").stdout)
    case(f"{mach} zoneinfo: the zones' nr_free_pages add up to vmstat's",
         sum(z.get("stats", {}).get("nr_free_pages", 0) for z in zj) == vm["nr_free_pages"])
    if host_zoneinfo:
        hb = zoneinfo_blocks(host_zoneinfo)
        hnode = next((b[1] for b in hb if b[1]), [])
        hzone = next((b[2] for b in hb if b[2]), [])
        ok, a, b = same_relative_order(blocks[0][1], hnode)
        case(f"{mach} zoneinfo: per-node names in the host's order", ok and a, (a, b))
        ok, a, b = same_relative_order(blocks[0][2], hzone)
        case(f"{mach} zoneinfo: zone counter names in the host's order", ok and a, (a, b))

summary()
