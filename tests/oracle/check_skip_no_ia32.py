#!/usr/bin/env python3
"""The i386 exec cases on a host whose kernel refuses i386 programs.

Runs test_exec_diff's i386 group with VMSIM_TEST_PRETEND_NO_IA32 set (the
probe then answers as it does on a kernel without IA-32 emulation) and
checks that every i386 case is skipped with the reason, none failed or
passed, and the program exits 0.  On a host that really lacks IA-32
emulation the plain exec_diff test takes the same path.
"""
import os
import re
import subprocess
import sys

exe = sys.argv[1]
env = dict(os.environ, VMSIM_TEST_PRETEND_NO_IA32="1")
r = subprocess.run([exe, "--only-i386"], env=env, capture_output=True, text=True)
out = r.stdout + r.stderr
skipped = re.findall(r"^\[  SKIPPED \] (test_\w+)$", out, re.M)
reasons = re.findall(r"^skipped: IA-32 emulation reported off", out, re.M)
problems = []
if r.returncode != 0:
    problems.append(f"exit status {r.returncode}")
if sorted(set(skipped)) != sorted(["test_diff_probe_i386", "test_diff_i386_by_hand",
                                   "test_diff_i386_read_implies_exec"]):
    problems.append(f"skipped cases {sorted(set(skipped))}")
if len(reasons) != 3:
    problems.append(f"{len(reasons)} skip reasons printed, want 3")
if re.search(r"^\[       OK \]|^\[  FAILED  \] test_", out, re.M):
    problems.append("an i386 case ran instead of skipping")
if problems:
    print(out)
    print("FAIL: " + "; ".join(problems))
    sys.exit(1)
print("the 3 i386 cases skip with the reason when the host cannot run i386 code")
