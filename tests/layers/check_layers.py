#!/usr/bin/env python3
"""List every #include that crosses a layer upward; exit 1 if there is one.

The layers, lowest first: src/util <- src/phys <- src/mmu <- src/vma <-
src/kern <- tools/.  A file may include headers of its own layer and of
the layers below it.  Headers are named from src/ ("phys/mmzone.h"); an
include written another way ("../kern/x.h", "src/kern/x.h") is resolved
against the including file's folder and judged the same way.  Includes
that name no layer (<stdio.h>, "vmsim/api.h", "cli.h") are not checked.

usage: check_layers.py SOURCE_ROOT
Each upward include is one line: FILE:LINE: LAYER includes HIGHER/x.h
"""
import os
import re
import sys

LAYERS = ['util', 'phys', 'mmu', 'vma', 'kern', 'tools']
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def layer_of(rel):
    """The layer of a path relative to the source root, or None."""
    parts = rel.split('/')
    if parts[0] == 'src' and len(parts) > 2 and parts[1] in RANK:
        return parts[1]
    if parts[0] == 'tools':
        return 'tools'
    return None


def included_layer(root, rel_file, name):
    """The layer the header @name, included from @rel_file, belongs to."""
    first = name.split('/')[0]
    if first in RANK and first != 'tools' and '/' in name:
        return first, name
    # a path through the file's folder or the source root
    for base in (os.path.dirname(rel_file), ''):
        rel = os.path.normpath(os.path.join(base, name))
        if rel.startswith('..'):
            continue
        if os.path.exists(os.path.join(root, rel)):
            lay = layer_of(rel)
            if lay:
                return lay, rel.split('/', 1)[1] if lay != 'tools' else rel
    return None, name


def scan(root):
    found = []
    for top in ('src', 'tools'):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for fn in sorted(filenames):
                if not fn.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dirpath, fn)
                rel = os.path.relpath(path, root)
                mine = layer_of(rel)
                if mine is None:
                    continue
                with open(path, encoding='utf-8', errors='replace') as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        theirs, shown = included_layer(root, rel, m.group(1))
                        if theirs and RANK[theirs] > RANK[mine]:
                            found.append(f'{rel}:{lineno}: {mine} includes {shown}')
    return found


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split('\n\n')[2], file=sys.stderr)
        return 2
    root = sys.argv[1]
    if not os.path.isdir(os.path.join(root, 'src')):
        print(f'check_layers.py: {root}: no src/ folder', file=sys.stderr)
        return 2
    found = scan(root)
    for line in found:
        print(line)
    if found:
        print(f'{len(found)} upward include(s): a layer may include only its own '
              'and lower layers (util <- phys <- mmu <- vma <- kern <- tools)')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
