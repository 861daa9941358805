#!/usr/bin/env python3
"""Run vmsim-cli once and check its exit status and output.

usage: check_cli.py CLI SCENARIO [GLOBAL OPTION]...
  The scenario file is run with `CLI [GLOBAL OPTION]... run FILE`.  Its header comments say what
  to expect:
    # exit: N             the exit status (default 0)
    # stderr: TEXT        a line that must appear on stderr, exactly
    # stdout: TEXT        a line that must appear on stdout, exactly
    # stderr~: TEXT       a line on stderr must start with TEXT
  Messages name files relative to the working directory (the source root).
"""
import subprocess
import sys


def main():
    cli, path = sys.argv[1], sys.argv[2]
    want_exit, want_err, want_out, want_pfx = 0, [], [], []
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                continue
            body = line[1:].strip()
            if body.startswith("exit:"):
                want_exit = int(body[5:])
            elif body.startswith("stderr~:"):
                want_pfx.append(body[8:].strip())
            elif body.startswith("stderr:"):
                want_err.append(body[7:].strip())
            elif body.startswith("stdout:"):
                want_out.append(body[7:].strip())
    p = subprocess.run([cli] + sys.argv[3:] + ["run", path], capture_output=True, text=True,
                       timeout=600)
    ok = True
    if p.returncode != want_exit:
        print(f"{path}: exit status {p.returncode}, expected {want_exit}")
        ok = False
    for w in want_err:
        if w not in p.stderr.splitlines():
            print(f"{path}: stderr lacks the line: {w}")
            ok = False
    for w in want_pfx:
        if not any(l.startswith(w) for l in p.stderr.splitlines()):
            print(f"{path}: no stderr line starts with: {w}")
            ok = False
    for w in want_out:
        if w not in [l.rstrip() for l in p.stdout.splitlines()]:
            print(f"{path}: stdout lacks the line: {w}")
            ok = False
    if not ok:
        print("--- stdout\n" + p.stdout + "--- stderr\n" + p.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
