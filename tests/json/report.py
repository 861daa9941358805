"""Counting checks for the JSON tests: one FAIL line per failed check and a
CMocka-style summary at the end, so that the suite counts cases."""
import sys

passed = failed = 0


def case(name, cond, detail=""):
    """Count one check; print why when it fails."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {str(detail)[:2000]}")


def finish():
    """The summary lines, and exit 1 if any check failed."""
    print(f"[  PASSED  ] {passed} test(s).")
    if failed:
        print(f"[  FAILED  ] {failed} test(s), listed above.")
    sys.exit(1 if failed else 0)
