"""The tiny trace and TLB the replay tests work their answers out by hand
from (test_replay_research.py, test_replay_cost.py): L1d 2 entries (one set
of 2 ways), L1i 1, L2 4 (one set of 4 ways); P = 0x10010000 the code page,
A..D = 0x10000000 + 0..3 pages, all in one 2 MiB region."""
import os
import subprocess

TINY_TLB = ["--set", "tlb.l1d.entries=2", "--set", "tlb.l1d.ways=2", "--set",
            "tlb.l1i.entries=1", "--set", "tlb.l1i.ways=1", "--set", "tlb.l2.entries=4",
            "--set", "tlb.l2.ways=4"]
# no paging-structure caches: every walk starts at the root
NO_PSC = ["--set", "tlb.pml4e_cache.entries=0", "--set", "tlb.pdpte_cache.entries=0",
          "--set", "tlb.pde_cache.entries=0"]
TRACE = """I  10010000,4
I  10010004,4
 S 10000000,8
 S 10001000,8
 S 10002000,8
 L 10000000,8
 L 10001000,8
 L 10001008,8
 S 10003000,8
I  10010008,4
 L 10002000,8
"""


def write_trace(tmp):
    """TRACE as tmp/tiny.lackey: its path."""
    path = os.path.join(tmp, "tiny.lackey")
    with open(path, "w") as f:
        f.write(TRACE)
    return path


def runner(cli):
    """A function running @cli with its arguments, output captured."""
    return lambda *args: subprocess.run([cli, *args], capture_output=True, text=True,
                                        timeout=300)


def near(a, b):
    return a is not None and abs(a - b) < 1e-3
