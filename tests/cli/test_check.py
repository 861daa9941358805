#!/usr/bin/env python3
"""--check from the outside (run from the source root): the option's forms,
the incremental and full passes agreeing on every example, exec and replay
checked, and the kernel's BUG reports failing a run with or without it.

usage: test_check.py VMSIM_CLI
Prints one line per failed case and a CMocka-style summary.
"""
import glob
import os
import subprocess
import sys
import tempfile

from cases import case, skip, summary

CLI = sys.argv[1]


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600)


# the option's forms
for bad in ("--check=", "--check=x", "--check=-1", "--check=3x", "--check=99999999999"):
    p = run(bad, "run", "examples/buddy.yaml")
    case(f"{bad} is a usage error", p.returncode == 2 and "--check=N" in p.stderr, p.stderr)

for good in ("--check=5", "--check=0x10", "--check=1_000"):
    p = run(good, "run", "examples/buddy.yaml")
    case(f"{good} is accepted", p.returncode == 0, p.stderr)
# optional: only --check=N gives a value; a global option goes before the command
p = run("--check", "5", "run", "examples/buddy.yaml")
case("--check 5: 5 is the command", p.returncode == 2 and "unknown command '5'" in p.stderr, p.stderr)
p = run("run", "examples/buddy.yaml", "--check=5")
case("--check=5 after the command is refused", p.returncode == 2 and "global option" in p.stderr,
     p.stderr)

# every example: the same run with full passes only, points only, and both
for f in sorted(glob.glob("examples/*.yaml")):
    base = run("run", f)
    for opt in ("--check=1", "--check=0", "--check=2", "--check"):
        p = run(opt, "run", f)
        case(f"{opt} run {f}: same outcome and output as without",
             p.returncode == base.returncode and p.stdout == base.stdout, p.stderr)

# a corrupted PTE: the kernel's report fails the run even without --check
bad = "tests/scenarios/fail/check-corrupt-pte.yaml"
p = run("run", bad)
case("a kernel BUG report fails a run without --check",
     p.returncode == 1 and "page dumped because: bad pte" in p.stderr
     and "expected no kernel BUG report" in p.stderr
     and "expected consistent state" not in p.stderr, p.stderr)
for opt in ("--check", "--check=0", "--check=1"):
    p = run(opt, "run", bad)
    case(f"{opt}: the corruption is reported after the step that made it",
         p.returncode == 1 and ":20: step 4 (invariants): expected consistent state, got mm: PTE at"
         in p.stderr, p.stderr)

# a change no mark covers: the full check finds it, after the step N says
untracked = "tests/scenarios/fail/check-untracked-kwrite.yaml"
for opt, steps in (("--check=1", [6, 7, 8]), ("--check=2", [7, 8]), ("--check", [8]),
                   ("--check=0", [8])):
    p = run(opt, "run", untracked)
    got = [int(l.split("step ")[1].split(" ")[0]) for l in p.stderr.splitlines()
           if "(invariants): expected consistent state" in l]
    case(f"{opt}: an untracked change is found by the full checks, after steps {steps}",
         p.returncode == 1 and got == steps, p.stderr)

# exec: checked after the exec
probe = run("exec", "/bin/true")
if probe.returncode != 0:
    skip("exec --check", f"the host's /bin/true does not exec here: {probe.stderr.strip()}")
else:
    p = run("--check", "exec", "/bin/true")
    case("--check exec: exit 0, the same output", p.returncode == 0 and p.stdout == probe.stdout,
         p.stderr)

# replay: a point every 65536 accesses, a full pass every N points and at the end
with tempfile.TemporaryDirectory() as d:
    trace = os.path.join(d, "t.lackey")
    with open(trace, "w") as t:
        # 200000 accesses over 2 MiB of a heap and a stack, some stores
        for i in range(200000):
            a = 0x10000000 + (i * 4160) % (2 << 20)
            t.write(f" {'S' if i % 3 == 0 else 'L'} {a:x},8\n")
            if i % 7 == 0:
                t.write(f" M {0x7ff000000 - (i % 4096) * 8:x},8\n")
    base = run("replay", "-q", trace)
    case("replay of the generated trace runs", base.returncode == 0, base.stderr)

    def body(out):
        return [l for l in out.splitlines() if not l.startswith("time")]

    for opt in ("--check", "--check=1", "--check=0"):
        p = run(opt, "replay", "-q", trace)
        case(f"{opt} replay: exit 0, the same counts", p.returncode == 0
             and body(p.stdout) == body(base.stdout), p.stderr + p.stdout)

summary()
