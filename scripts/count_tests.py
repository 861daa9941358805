#!/usr/bin/env python3
"""Sum the test cases of one or more meson test logs into 'N passed, N failed'.

A CMocka program counts as the cases it reports ("[  PASSED  ] N test(s)."
and "[  FAILED  ] N test(s)"); any other test counts as one case.  A program
that failed without reporting its failed cases (a crash, a sanitizer abort,
a timeout) counts as one failure more.  Exit status 1 if anything failed.
"""
import json
import re
import sys

PASSED = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
FAILED = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)


def count(path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
            p = sum(int(n) for n in PASSED.findall(out))
            fl = sum(int(n) for n in FAILED.findall(out))
            if p or fl:
                passed += p
                failed += fl
                if not ok and fl == 0:
                    failed += 1
            elif ok:
                passed += 1 if t.get("result") != "SKIP" else 0
            else:
                failed += 1
                print(f"failed: {t.get('name')} ({t.get('result')})", file=sys.stderr)
    return passed, failed


def main():
    passed = failed = 0
    for path in sys.argv[1:]:
        p, f = count(path)
        passed += p
        failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
