#!/usr/bin/env python3
"""Sum the test cases of one or more meson test logs into
'N passed, N failed, N skipped'.

A CMocka program counts as the cases it reports ("[  PASSED  ] N test(s).",
"[  FAILED  ] N test(s)" and "[  SKIPPED ] N test(s)"); any other test
counts as one case, skipped when it exited 77 (meson's SKIP).  A program
that failed without reporting its failed cases (a crash, a sanitizer abort,
a timeout) counts as one failure more.  Every skip prints its reason in the
test's log.  Exit status 1 if anything failed.
"""
import json
import re
import sys

PASSED = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
FAILED = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)
SKIPPED = re.compile(r"^\[  SKIPPED \] (\d+) test", re.M)


def count(path):
    passed = failed = skipped = 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            result = t.get("result")
            ok = result in ("OK", "EXPECTEDFAIL", "SKIP")
            p = sum(int(n) for n in PASSED.findall(out))
            fl = sum(int(n) for n in FAILED.findall(out))
            sk = sum(int(n) for n in SKIPPED.findall(out))
            if p or fl or sk:
                passed += p
                failed += fl
                skipped += sk
                if not ok and fl == 0:
                    failed += 1
                    print(f"failed: {t.get('name')} ({result})", file=sys.stderr)
            elif result == "SKIP":
                skipped += 1
            elif ok:
                passed += 1
            else:
                failed += 1
                print(f"failed: {t.get('name')} ({result})", file=sys.stderr)
    return passed, failed, skipped


def main():
    passed = failed = skipped = 0
    for path in sys.argv[1:]:
        p, f, s = count(path)
        passed += p
        failed += f
        skipped += s
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
