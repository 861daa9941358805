#!/usr/bin/env python3
"""replay --json --interval streams its rows: host memory does not grow
with the trace's length.

usage: replay_stream.py VMSIM_CLI

Replays two generated traces over the same few pages, one 20 times longer
than the other, with a row per access (--interval 1), and compares the
peak resident memory of the two runs (getrusage of the child).  Keeping
the rows until the end, as a buffered document would, costs ~110 bytes a
row: tens of MiB more for the long trace.  Streaming costs one 64 KiB
chunk whatever the length.  The long run's document is then read back
whole, so the rows did go out, all of them, as one valid document.
"""
import json
import os
import subprocess
import sys
import tempfile

from report import case, finish

CLI = sys.argv[1]
SHORT, LONG = 20_000, 400_000
LIMIT_KIB = 8 << 10          # allowed growth of the peak RSS, KiB


def write_trace(path, n):
    """n accesses, alternating fetches and loads over 16 pages."""
    with open(path, "w") as f:
        for i in range(n // 2):
            f.write(f"I  {0x401000 + (i % 16) * 0x1000 + (i % 64) * 8:08x},4\n")
            f.write(f" L {0x600000 + (i % 16) * 0x1000:08x},8\n")


def peak_rss_kib(trace, out_path):
    """Run the replay, stdout to out_path; (exit status, peak RSS in KiB)."""
    with open(out_path, "wb") as out:
        p = subprocess.Popen([CLI, "--set", "memory.size=64MiB", "--json", "replay", "-q",
                              "--interval", "1", trace], stdout=out, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read()
        p.stderr.close()
    if p.returncode != 0:
        print(err.decode(errors="replace"))
    return p.returncode, ru.ru_maxrss


with tempfile.TemporaryDirectory() as d:
    short, long_ = os.path.join(d, "short.lackey"), os.path.join(d, "long.lackey")
    write_trace(short, SHORT)
    write_trace(long_, LONG)
    out = os.path.join(d, "out.json")
    rc1, rss1 = peak_rss_kib(short, out)
    rc2, rss2 = peak_rss_kib(long_, out)
    case("both replays exit 0", rc1 == 0 and rc2 == 0, (rc1, rc2))
    size = os.path.getsize(out)
    case("the long replay's rows went out", size > LONG * 80, size)
    case(f"peak RSS grows by less than {LIMIT_KIB} KiB from {SHORT} to {LONG} rows",
         rss2 - rss1 < LIMIT_KIB, f"{rss1} KiB -> {rss2} KiB for {size} bytes of JSON")
    with open(out) as f:
        doc = json.load(f)
    rows = doc.get("intervals", [])
    case("one row per access, in order", len(rows) == LONG and
         all(r["accesses"] == i + 1 for i, r in enumerate(rows)), len(rows))
    case("the totals follow the rows", doc.get("accesses", {}).get("total") == LONG,
         doc.get("accesses"))
    print(f"peak RSS {rss1} KiB ({SHORT} rows), {rss2} KiB ({LONG} rows, {size} bytes of JSON)")
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([CLI, "--json", "replay", "-q", "--interval", "1", short],
                               stdout=full, stderr=subprocess.PIPE, text=True)
        case("a stdout that refuses writes: exit 2 and a message", p.returncode == 2 and
             p.stderr.strip() == "vmsim-cli: standard output: No space left on device", (p.returncode, p.stderr))
    else:
        print("note: no /dev/full on this host; the write-error case is not run")

finish()
