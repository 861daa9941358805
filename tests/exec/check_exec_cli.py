#!/usr/bin/env python3
"""vmsim-cli exec from the outside: corrupt, truncated and hostile ELF
files (made here from the host's /usr/bin/true) give exit status 2 and one
line on stderr naming the file, nothing on stdout, never a crash; usage
errors give 2; a good exec prints the maps and registers (text and JSON).

usage: check_exec_cli.py CLI
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile


def run(cli, *args):
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=120)


def main():
    cli = sys.argv[1]
    fails = 0
    src = "/usr/bin/true"
    if not os.access(src, os.R_OK):
        print("SKIP: no /usr/bin/true")
        return 77
    good = open(src, "rb").read()
    tmp = tempfile.mkdtemp(prefix="vmsim-exec-cli-")
    cases = {
        "empty": b"",
        "magic": b"\x7fELG" + good[4:],
        "truncated-header": good[:40],
        "truncated-phdrs": good[:100],
        "class": good[:4] + b"\x07" + good[5:],
        "machine": good[:18] + struct.pack("<H", 40) + good[20:],
        "phnum-huge": good[:56] + struct.pack("<H", 0xffff) + good[58:],
        "phoff-huge": good[:32] + struct.pack("<Q", 1 << 62) + good[40:],
        "script": b"#!/bin/sh\necho hi\n",
        "script-no-interpreter": b"#!  \t\necho hi\n",
        "script-long-path": b"#!/" + b"x" * 300 + b"\n",
        "script-missing": b"#!/no/such/interpreter\n",
    }
    rng = random.Random(1)
    for i in range(40):
        b = bytearray(good[:4096] if i % 2 else good)
        for _ in range(8):
            b[rng.randrange(0, 512)] = rng.randrange(256)
        cases["mutant-%d" % i] = bytes(b)
    refused = 0
    for name, data in cases.items():
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        p = run(cli, "exec", path)
        lines = p.stderr.splitlines()
        if p.returncode < 0 or p.returncode not in (0, 2):
            print(f"{name}: exit status {p.returncode} (a crash?)\n{p.stderr}")
            fails += 1
        elif p.returncode == 2:
            refused += 1
            if len(lines) != 1 or path not in lines[0] or p.stdout:
                print(f"{name}: want one stderr line naming {path} and no stdout, got "
                      f"{lines!r} / {p.stdout[:200]!r}")
                fails += 1
        os.unlink(path)
    os.rmdir(tmp)
    if refused < len(cases) // 2:
        print(f"only {refused} of {len(cases)} corrupt files refused")
        fails += 1
    for args in (["exec"], ["exec", "--arg"], ["exec", "--stack-rlimit", "lots", src],
                 ["exec", "--bogus", src], ["exec", "a", "b"]):
        p = run(cli, *args)
        if p.returncode != 2 or not p.stderr:
            print(f"{args}: exit {p.returncode}, stderr {p.stderr!r}")
            fails += 1
    p = run(cli, "exec", "--arg", "x", "--env", "A=1", src)
    if p.returncode != 0 or "[stack]" not in p.stdout or "AT_ENTRY" not in p.stdout:
        print(f"good exec: exit {p.returncode}\n{p.stdout[:500]}\n{p.stderr}")
        fails += 1
    else:
        p = run(cli, "--json", "exec", src)
        try:
            doc = json.loads(p.stdout)
            assert doc["maps"] and doc["auxv"] and doc["ip"].startswith("0x")
        except Exception as e:  # noqa: BLE001 - any malformed document fails
            print(f"--json exec: {e}\n{p.stdout[:300]}")
            fails += 1
    print(f"{len(cases)} corrupt files ({refused} refused), usage errors, good exec: "
          f"{'ok' if not fails else str(fails) + ' failures'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
