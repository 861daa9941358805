"""The examples run as a user runs them: a subprocess of this Python."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("VMSIM_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))


def test_replay_plot_table():
    trace = os.path.join(ROOT, "tests", "traces", "true-start.lackey")
    out = subprocess.run([sys.executable, os.path.join(HERE, "replay_plot.py"), trace, "--table"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [int(r[0]) for r in rows] == [4, 8, 16, 32, 64, 128]
    misses = [int(r[2]) for r in rows]
    # on this trace a larger TLB of the same associativity never misses
    # more, and 4 entries (one set of 4) miss more than 128
    assert misses[0] > misses[-1]
    assert all(a >= b for a, b in zip(misses, misses[1:]))
