#!/usr/bin/env python3
"""check_layers.py can fail: source trees with known upward includes, each
of which it must list (file, line, the two layers), and trees with none,
where it must stay silent.

usage: test_check_layers.py CHECK_LAYERS_PY
"""
import os
import shutil
import subprocess
import sys
import tempfile

CHECK = sys.argv[1]


def tree(files):
    root = tempfile.mkdtemp(prefix='check_layers.')
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    return root


def run(files):
    root = tree(files)
    try:
        r = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    finally:
        shutil.rmtree(root)
    return r.returncode, r.stdout.splitlines()


failures = 0


def expect(what, files, rc, lines):
    global failures
    got_rc, got = run(files)
    listed = [line for line in got if ': ' in line and ' includes ' in line]
    if got_rc != rc or listed != lines:
        failures += 1
        print(f'FAIL {what}: rc {got_rc} (want {rc}), listed {listed} (want {lines})')
    else:
        print(f'ok   {what}')


BASE = {
    'src/util/list.h': '',
    'src/phys/mmzone.h': '#include "util/list.h"\n',
    'src/mmu/pgtable.h': '#include "phys/mmzone.h"\n',
    'src/vma/mm.h': '#include "mmu/pgtable.h"\n#include <stdint.h>\n',
    'src/kern/machine.h': '#include "vma/mm.h"\n#include "vmsim/machine.h"\n',
    'tools/cli/cli.c': '#include "kern/machine.h"\n#include "cli.h"\n',
    'tools/cli/cli.h': '',
}

expect('downward and sideways includes only', BASE, 0, [])
expect('vma includes kern', dict(BASE, **{
    'src/vma/mmap.c': '/* mmap */\n#include "vma/mm.h"\n#include "kern/machine.h"\n'}),
    1, ['src/vma/mmap.c:3: vma includes kern/machine.h'])
expect('util includes phys and mmu (each listed)', dict(BASE, **{
    'src/util/list.c': '#include "phys/mmzone.h"\n#  include "mmu/pgtable.h"\n'}),
    1, ['src/util/list.c:1: util includes phys/mmzone.h',
        'src/util/list.c:2: util includes mmu/pgtable.h'])
expect('a relative path reaching up', dict(BASE, **{
    'src/phys/buddy.c': '#include "../kern/machine.h"\n'}),
    1, ['src/phys/buddy.c:1: phys includes kern/machine.h'])
expect('a path from the source root', dict(BASE, **{
    'src/mmu/tlb.c': '#include "src/vma/mm.h"\n'}),
    1, ['src/mmu/tlb.c:1: mmu includes vma/mm.h'])
expect('the library includes the CLI', dict(BASE, **{
    'src/kern/api.c': '#include "tools/cli/cli.h"\n'}),
    1, ['src/kern/api.c:1: kern includes tools/cli/cli.h'])
expect('a header includes upward too', dict(BASE, **{
    'src/mmu/mmu.h': '#include "kern/machine.h"\n'}),
    1, ['src/mmu/mmu.h:1: mmu includes kern/machine.h'])

sys.exit(1 if failures else 0)
