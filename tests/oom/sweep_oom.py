#!/usr/bin/env python3
"""Host out-of-memory sweeps through vmsim-cli, as SQLite's malloc tests do.

usage: sweep_oom.py CLI [NAME...]   (NAME: only the cases of that name)

For each command below, run it once untouched (the reference), then again
with VMSIM_HOST_FAIL=N for N = 1, 2, ... (every N, or every STEP-th for the
big ones) until the run no longer meets a failure, in both modes: one-shot
(only the N-th host allocation fails) and persistent (every one from the
N-th on fails).  At every N the run must have either

  - met the failure: exit status 2, stderr exactly the one line
    "vmsim-cli: out of host memory" (for a scenario whose steps say lines
    on stderr -- failed expectations, failed steps, -v -- after the
    reference's own lines up to some point: what was said before the
    failure), and stdout a prefix of the reference's stdout but never all
    of it: nothing printed after the failure (every command ends with a
    last piece, a summary, a report or a document) and nothing
    half-printed; for commands that print one piece at the end (JSON,
    exec, a view) stdout is empty: a JSON document is never truncated;
  - or not met it (N past the last allocation): the reference's result.

No crash (a signal, or a sanitizer's exit status), and in the ASan build no
leak: LeakSanitizer runs at every exit (detect_leaks=1) and its report
changes the exit status.  The last N that failed is checked to be large
enough that the sweep reached the command's own work, not just the start.
"""
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

OOM_LINE = b"vmsim-cli: out of host memory\n"

# Timing fields differ from run to run: mask them before comparing.
TIMING = [
    (re.compile(rb"^time  .*$", re.M), b"time"),
    (re.compile(rb'"seconds":[0-9.e+-]+,"accesses_per_second":[0-9.e+-]+'), b'"seconds"'),
    (re.compile(rb'"seconds":[0-9.e+-]+,"references_per_second":[0-9.e+-]+'), b'"seconds"'),
]


def mask(out):
    for rx, sub in TIMING:
        out = rx.sub(sub, out)
    return out


def run(cli, args, fail=None):
    """Exit status, stdout (timing masked), stderr, and the output files
    (the arguments holding "{run}", made unique per run) that exist after
    it; those are removed."""
    tag = fail.replace(",", "-") if fail else "ref"
    outputs = [a.replace("{run}", tag) for a in args if "{run}" in a]
    args = [a.replace("{run}", tag) for a in args]
    env = dict(os.environ)
    env.pop("VMSIM_HOST_FAIL", None)
    if fail:
        env["VMSIM_HOST_FAIL"] = fail
    # keep what meson set (halt_on_error, abort_on_error) and ask for leaks
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "detect_leaks=1"]))
    p = subprocess.run([cli] + args, env=env, capture_output=True, timeout=120)
    written = [f for f in outputs if os.path.exists(f)]
    for f in written:
        os.unlink(f)
    return p.returncode, mask(p.stdout), p.stderr, written


def sweep(cli, name, args, step=1, whole=False, said_before=False, min_allocs=20):
    """Sweep one command; returns a list of problems (empty when it held)."""
    ref_rc, ref_out, ref_err, _ = run(cli, args)
    problems = []
    if OOM_LINE in ref_err or ref_rc not in (0, 1, 2):
        return [f"{name}: the reference run failed: exit {ref_rc}\n{ref_err.decode()}"]
    ref_err_lines = ref_err.splitlines(keepends=True)
    pool = concurrent.futures.ThreadPoolExecutor(max(2, os.cpu_count() or 1))
    for mode in ("", ",persistent"):
        n, last_failed, batch = 1, 0, []
        while True:
            # a few runs at a time: a run is mostly process start-up
            if not batch:
                batch = list(pool.map(lambda k: run(cli, args, f"{k}{mode}"),
                                      range(n, n + 4 * step, step)))
            rc, out, err, written = batch.pop(0)
            if OOM_LINE not in err:
                # past the last allocation: the reference, exactly
                if (rc, out, err) != (ref_rc, ref_out, ref_err):
                    problems.append(f"{name} N={n}{mode}: no failure met, yet exit {rc} "
                                    f"(reference {ref_rc}) or different output\n"
                                    f"stderr: {err.decode(errors='replace')}")
                break
            last_failed = n
            why = []
            if rc != 2:
                why.append(f"exit status {rc}, not 2")
            if not err.endswith(OOM_LINE):
                why.append("stderr does not end with the out-of-host-memory line")
            before = err[:len(err) - len(OOM_LINE)].splitlines(keepends=True)
            if before and not said_before:
                why.append("stderr has more than the one line")
            elif before != ref_err_lines[:len(before)] or OOM_LINE in err[:-len(OOM_LINE)]:
                why.append("stderr has lines the reference run does not print")
            if whole and out:
                why.append("stdout is not empty")
            if not ref_out.startswith(out):
                why.append("stdout is not a prefix of the reference's")
            elif ref_out and out == ref_out:
                why.append("stdout is all the reference's: the command went on after the "
                           "failure")
            if written:
                why.append("an output file was written: " + ", ".join(written))
            if why:
                problems.append(f"{name} N={n}{mode}: " + "; ".join(why) +
                                f"\n--- stderr\n{err.decode(errors='replace')}"
                                f"--- stdout (tail)\n{out[-300:].decode(errors='replace')}")
                if len(problems) > 10:
                    return problems
            n += step
        if last_failed < min_allocs:
            problems.append(f"{name}{mode}: only {last_failed} host allocations met: "
                            "the sweep did not reach the command's work")
        print(f"{name}{mode or ',once'}: failures at N = 1..{last_failed} (step {step}) held")
    return problems


def main():
    cli = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    os.chdir(root)
    with tempfile.TemporaryDirectory() as tmp:
        return sweep_all(cli, tmp, set(sys.argv[2:]))


def sweep_all(cli, tmp, only):
    small = "tests/oom/small.yaml"
    cases = [
        # every allocation of a small scenario, text and JSON
        ("run small", ["--check", "run", small], 1, False),
        ("run small --json", ["--json", "run", small], 5, True),
        # a big one, sampled
        ("run cow-fork", ["run", "examples/cow-fork.yaml"], 11, False),
        # a real ELF and its interpreter
        ("exec true", ["exec", "/usr/bin/true"], 1, True),
        ("exec true --json", ["--json", "exec", "/usr/bin/true"], 3, True),
        # the checkers' own allocations (a full check after the exec; a
        # point every 65536 accesses and a full check at the end)
        ("exec --check", ["--check", "exec", "/usr/bin/true"], 3, True),
        ("replay --check", ["--check=2", "replay", "tests/traces/true-start.lackey"], 3, True),
        # the event log (a file, not stdout) on a booted machine
        ("exec --trace-events", ["--trace-events", os.path.join(tmp, "ev{run}.log"), "exec",
                                 "/usr/bin/true"], 2, True),
        # a trace: the summary, and a time series printed as it goes
        ("replay", ["replay", "tests/traces/true-start.lackey"], 1, True),
        ("replay --interval", ["replay", "--interval", "2000", "tests/traces/true-start.lackey"],
         2, False),
        ("replay --json", ["--json", "replay", "--interval", "5000",
                           "tests/traces/true-start.lackey"], 2, True),
        # page replacement in N frames (OPT's pass first), and the curves
        ("replay --frames opt", ["replay", "--frames", "3", "--policy", "opt",
                                 "examples/silberschatz.pages"], 1, True),
        ("replay --frames --json", ["--json", "replay", "--frames", "4", "--policy", "lfu",
                                    "tests/traces/true-start.lackey"], 2, True),
        ("mrc --json", ["--json", "mrc", "--opt", "--sample", "0.5", "--error",
                        "tests/traces/true-start.lackey"], 1, True),
        ("mrc --svg", ["mrc", "--opt", "--svg", os.path.join(tmp, "m{run}.svg"),
                       "examples/silberschatz.pages"], 1, True),
        # views and one-piece commands
        ("zoneinfo --json", ["--json", "-c", "x86_32", "zoneinfo"], 1, True),
        ("translate --json", ["--json", "translate", "--explain", "0xffff880000123456"], 1, True),
        ("layout --svg", ["-c", "x86_32", "layout", "--svg", os.path.join(tmp, "l{run}.svg")], 1,
         True),
        # the views exec shows, as one document
        ("exec --show --json", ["--json", "exec", "--show", "status,smaps,pagetable",
                                "/usr/bin/true"], 5, True),
        # the help lists the views: all of it, or nothing; and a name that
        # is no view or command is only said to be one when they were listed
        ("help", ["help"], 1, True),
        ("unknown view", ["show", "zoneinf"], 1, True),
        ("unknown command", ["zoneinf"], 1, True),
        ("convert-trace", ["convert-trace", "tests/traces/true-start.lackey",
                           os.path.join(tmp, "t.vmt")], 1, True),
        # a config with a YAML syntax error: the parser's own allocations
        # fail before it reaches the error, and that is never a syntax error
        ("bad config", ["-c", "tests/configs/bad/32-yaml-syntax.yaml", "info"], 1, True),
        # (NAME, ARGS, STEP, WHOLE, SAID_BEFORE): stderr lines the run says
        # before the failure may stay above its line -- expectations that
        # fail, and steps that fail without one ...
        ("run mismatches", ["run", "tests/oom/mismatch.yaml"], 2, False, True),
        # ... and with -v every step's line, each said once the step is over
        ("run small -v", ["-v", "run", small], 7, False, True),
        # the simulated machine out of memory (steps fail with ENOMEM, later
        # ones are not run): the host's failure must still be told apart
        ("run simulated oom", ["run", "tests/scenarios/outcomes/oom-is-an-outcome.yaml"], 5,
         False, True),
    ]
    # commands whose only host allocations are a few at the start
    few = {"convert-trace", "help", "unknown view", "unknown command"}
    problems = []
    for name, args, step, whole, *said in cases:
        if only and name not in only:
            continue
        problems += sweep(cli, name, args, step, whole, said_before=bool(said),
                          min_allocs=1 if name in few else 20)
    # the variable itself: a malformed value is bad input, not ignored
    for bad in ("0", "x", "3,sometimes", "-1", "7,"):
        rc, out, err, _ = run(cli, ["info"], bad)
        if rc != 2 or b"VMSIM_HOST_FAIL" not in err or out:
            problems.append(f"VMSIM_HOST_FAIL={bad!r}: exit {rc}, stderr {err!r}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
