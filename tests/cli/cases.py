"""What the CLI test scripts share: a case is a name and a condition; a
failed one prints one line, and summary() prints a CMocka-style count so
the suite's log reads like the C tests'."""
import sys

passed = failed = skipped = 0


def case(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def skip(name, why):
    """a case the host cannot run, with the reason"""
    global skipped
    skipped += 1
    print(f"SKIP {name}: {why}")


def summary():
    """print the counts and exit: 1 if a case failed"""
    print(f"[  PASSED  ] {passed} test(s).")
    if skipped:
        print(f"[  SKIPPED ] {skipped} test(s).")
    if failed:
        print(f"[  FAILED  ] {failed} test(s), listed above.")
    sys.exit(1 if failed else 0)
