#!/usr/bin/env python3
"""The exec differential cases on a host that lacks what they need.

Runs test_exec_diff with VMSIM_TEST_PRETEND_MISSING naming a host
capability or program (test_exec_diff and exec_oracle then answer as on a
host without it) and checks that exactly the cases that need it are
skipped, each with the reason printed, none failed, and the program exits
0:
  - ia32 (the i386 group alone): the three i386 cases;
  - thp, xz and zstd: the madvise probe and the two placement cases (a
    kernel without transparent huge pages), xz -T2 and zstd -T2;
  - ptrace: every case, since every one runs the oracle.
On a host that really lacks one of them the plain exec_diff test takes
the same path.
"""
import os
import re
import subprocess
import sys

exe = sys.argv[1]
problems = []


def run(missing, args=()):
    """Each case's outcome and the skip reasons it printed."""
    env = dict(os.environ, VMSIM_TEST_PRETEND_MISSING=missing)
    r = subprocess.run([exe, *args], env=env, capture_output=True, text=True)
    cases, cur = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"^\[ RUN      \] (\w+)$", line)
        if m:
            cur = m.group(1)
            cases[cur] = ["?", []]
            continue
        m = re.match(r"^\[ *(OK|SKIPPED|FAILED|ERROR) *\] (\w+)$", line)
        if m and cases.get(m.group(2), ["-"])[0] == "?":
            cases[m.group(2)][0] = m.group(1)
        elif cur and line.startswith("skipped: "):
            cases[cur][1].append(line)
    if r.returncode != 0:
        problems.append(f"{missing}: exit status {r.returncode}")
    for name, (outcome, reasons) in cases.items():
        if outcome not in ("OK", "SKIPPED"):
            problems.append(f"{missing}: {name} {outcome}")
        elif outcome == "SKIPPED" and not reasons:
            problems.append(f"{missing}: {name} skipped without a reason")
    return cases, r.stdout + r.stderr


def expect_skipped(missing, cases, names, reason):
    for name in names:
        outcome, reasons = cases.get(name, ["not run", []])
        if outcome != "SKIPPED" or not any(re.search(reason, r) for r in reasons):
            problems.append(f"{missing}: {name} {outcome}, not skipped for '{reason}'")


ia32 = ["test_diff_probe_i386", "test_diff_i386_by_hand", "test_diff_i386_read_implies_exec"]
cases, out = run("ia32", ["--only-i386"])
expect_skipped("ia32", cases, ia32, r"IA-32 emulation reported off")
if sorted(cases) != sorted(ia32):
    problems.append(f"ia32: ran {sorted(cases)}")

cases, out2 = run("thp,xz,zstd")
out += out2
expect_skipped("thp", cases, ["test_diff_probe_madvise", "test_diff_placement_static",
                              "test_diff_placement_libstdcxx"], r"no transparent huge pages")
expect_skipped("xz", cases, ["test_diff_xz_two_threads"], r"/usr/bin/xz is not installed")
expect_skipped("zstd", cases, ["test_diff_zstd_two_threads"], r"/usr/bin/zstd is not installed")

cases, out2 = run("ptrace")
out += out2
expect_skipped("ptrace", cases, [n for n in cases if n.startswith("test_diff_true")],
               r"ptrace\(PTRACE_SEIZE\) not permitted")
ran = [n for n, (outcome, _) in cases.items() if outcome != "SKIPPED"]
if ran or len(cases) < 20:
    problems.append(f"ptrace: {len(cases)} cases, these not skipped: {ran}")

if problems:
    print(out)
    print("FAIL: " + "; ".join(problems))
    sys.exit(1)
print("the cases skip with the reason when the host lacks i386 execution, transparent huge "
      "pages, xz, zstd or ptrace")
