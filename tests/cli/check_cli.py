#!/usr/bin/env python3
"""Run vmsim-cli once and check its exit status and output.

usage: check_cli.py CLI SCENARIO [GLOBAL OPTION]...
  The scenario file is run with `CLI [GLOBAL OPTION]... run FILE`.  Its header comments say what
  to expect:
    # exit: N             the exit status (default 0)
    # stderr: TEXT        a line that must appear on stderr, exactly
    # stdout: TEXT        a line that must appear on stdout, exactly
    # stderr~: TEXT       a line on stderr must start with TEXT
    # machines: A B ...   run it once per built-in machine, as `CLI -c A ...` (a
                          scenario with no `machine:` key)
    # stdout[A]: TEXT     a line that must appear on stdout of the run on A
  Messages name files relative to the working directory (the source root).
"""
import subprocess
import sys


def main():
    cli, path = sys.argv[1], sys.argv[2]
    want_exit, want_err, want_out, want_pfx = 0, [], [], []
    machines, want_on = [], {}
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                continue
            body = line[1:].strip()
            if body.startswith("machines:"):
                machines = body[9:].split()
            elif body.startswith("stdout[") and "]:" in body:
                name, text = body[7:].split("]:", 1)
                want_on.setdefault(name, []).append(text.strip())
            elif body.startswith("exit:"):
                want_exit = int(body[5:])
            elif body.startswith("stderr~:"):
                want_pfx.append(body[8:].strip())
            elif body.startswith("stderr:"):
                want_err.append(body[7:].strip())
            elif body.startswith("stdout:"):
                want_out.append(body[7:].strip())
    if machines:
        unknown = set(want_on) - set(machines)
        if unknown:
            print(f"{path}: stdout[] of machines not in `# machines:`: {sorted(unknown)}")
            return 1
        return max(check(cli, path, ["-c", m], want_exit, want_err, want_out + want_on.get(m, []),
                         want_pfx) for m in machines)
    return check(cli, path, [], want_exit, want_err, want_out, want_pfx)


def check(cli, path, extra, want_exit, want_err, want_out, want_pfx):
    p = subprocess.run([cli] + extra + sys.argv[3:] + ["run", path], capture_output=True,
                       text=True, timeout=600)
    if extra:
        path = f"{path} ({' '.join(extra)})"
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
        # (a header comment cannot keep a line's indentation)
        if w not in [l.rstrip() for l in p.stdout.splitlines()] + \
                [l.strip() for l in p.stdout.splitlines()]:
            print(f"{path}: stdout lacks the line: {w}")
            ok = False
    if not ok:
        print("--- stdout\n" + p.stdout + "--- stderr\n" + p.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
