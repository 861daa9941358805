#!/usr/bin/env python3
"""The documentation checker can fail: each case is a small Markdown page
that check_docs.py must accept, or reject with a given message.

usage: test_check_docs.py CHECK_DOCS CLI SOURCE_ROOT CC
"""
import os
import subprocess
import sys
import tempfile

F = "```"

GOOD = f"""# A page whose every block is accounted for

{F}sh
vmsim-cli -c x86_32 buddyinfo
{F}

{F}text
Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      1
...
Node 0, zone  HighMem      0      1      0      0      0      0      0      0      0      0     35
{F}

<!-- file: small.yaml -->
{F}yaml
arch: x86_64
memory: {{ size: 64MiB }}
{F}

{F}sh
B=build/tools/vmsim-cli/vmsim-cli
$B -c small.yaml info | head -1
$B -c missing.yaml info 2>&1 || echo "exit status $?"
{F}

{F}text
machine   x86_64 (x86_64)
vmsim-cli: missing.yaml: No such file or directory
exit status 2
{F}

{F}yaml
machine: x86_64
set: {{ memory.size: 64MiB, buddy.pcp: false }}
steps:
  - alloc_pages: {{ order: 0, zone: DMA, expect: 0x100000 }}
{F}

{F}text
scenario.yaml: 1 steps, 1 expectations checked, 0 failed
{F}

{F}c
int vmsim_show(struct vmsim_machine *m, const char *what, int json, FILE *out);
{F}

<!-- not run: a host command -->
{F}sh
valgrind --tool=lackey ls
{F}

A [link](other.md) to a file that exists.
"""

CASES = [
    # (name, page, expected exit status, a line the output must contain); a
    # block is named by the line of its opening fence
    ("good", GOOD, 0, "run (2 command blocks, 1 scenarios, 1 compiled), 3 outputs compared, "
                      "1 files written, 1 marked not run"),
    ("wrong output", f"{F}sh\nvmsim-cli -c x86_32 buddyinfo\n{F}\n\n{F}text\nNode 0, zone DMA\n{F}\n",
     1, "page.md:5: output line 1: expected 'Node 0, zone DMA'"),
    ("output too long", f"{F}sh\nvmsim-cli -c x86_32 buddyinfo | head -1\n{F}\n\n{F}text\n...\n"
     f"Node 0, zone   Normal\n{F}\n", 1, "page.md:5: no output line 'Node 0, zone   Normal' after a `...` line"),
    ("missing output line", f"{F}sh\nvmsim-cli -c x86_32 buddyinfo\n{F}\n\n{F}text\n...\nextra\n{F}\n",
     1, "page.md:5: no output line 'extra' after a `...` line"),
    ("output longer than shown", f"{F}sh\nvmsim-cli -c x86_32 buddyinfo\n{F}\n\n{F}text\n"
     f"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      1\n"
     f"{F}\n", 1, "page.md:5: output line 2: 'Node 0, zone   Normal"),
    ("output shorter than shown", f"{F}sh\nvmsim-cli -c x86_32 buddyinfo | head -1\n{F}\n\n{F}text\n"
     f"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      1\n"
     f"more\n{F}\n", 1, "page.md:5: output line 2: expected 'more', got the end of the output"),
    ("failing command", f"{F}sh\nvmsim-cli frobnicate\n{F}\n", 1,
     "page.md:1: exit status 2: vmsim-cli: unknown command 'frobnicate'"),
    ("failing first of two", f"{F}sh\n$B nosuch\n$B info\n{F}\n", 1,
     "page.md:1: exit status 2: vmsim-cli: unknown command 'nosuch'"),
    ("failing scenario", f"{F}yaml\nmachine: x86_64\nsteps:\n  - alloc_pages: {{ order: 0, "
     f"expect: 0x1 }}\n{F}\n", 1, "page.md:1: exit status 1: scenario.yaml:3: step 1"),
    ("bad scenario", f"{F}yaml\nmachine: x86_64\nsteps:\n  - frob: {{}}\n{F}\n", 1,
     "page.md:1: exit status 2: vmsim-cli: scenario.yaml:3:5: step 1: unknown op 'frob'"),
    ("host command", f"{F}sh\nmeson setup build\n$B info\n{F}\n", 1,
     "page.md:1: runs other commands (meson)"),
    ("plain block", f"{F}\nvmsim-cli info\n{F}\n", 1, "page.md:1: a plain block"),
    ("stray output", f"Some text.\n\n{F}text\nhello\n{F}\n", 1,
     "page.md:3: an output block that follows no command"),
    ("output after prose", f"{F}sh\n$B info\n{F}\n\nprose\n\n{F}text\nx\n{F}\n", 1,
     "page.md:7: an output block that follows no command"),
    ("yaml fragment", f"{F}yaml\n- spawn: {{ task: a }}\n{F}\n", 1,
     "page.md:1: YAML that is not a scenario"),
    ("runnable marked not run", f"<!-- not run: lazy -->\n{F}sh\n$B info\n{F}\n", 1,
     "page.md:2: marked \"not run\", but it can run"),
    ("marker without reason", f"<!-- not run: -->\n{F}sh\nmeson test\n{F}\n", 1,
     "page.md:2: a \"not run\" marker must say why"),
    ("prototype against the header", f"{F}c\nint vmsim_show(struct vmsim_machine *m, "
     f"const char *what, long json, FILE *out);\n{F}\n", 1,
     "page.md:1: does not compile: block1.c:4:5: error: conflicting types for 'vmsim_show'"),
    ("broken link", "See [the notes](notes.md).\n", 1,
     "page.md:1: link to notes.md, which is not in the repository"),
    ("unterminated", f"{F}sh\n$B info\n", 1, "page.md:1: unterminated code block"),
    ("unused file", f"<!-- file: t.lackey -->\n{F}text\nI  04016c0,3\n{F}\n", 1,
     "page.md:2: file t.lackey is written but no later command uses it"),
    ("file then command", f"<!-- file: t.lackey -->\n{F}text\nI  04016c0,3\n{F}\n\n"
     f"{F}sh\n$B replay -q t.lackey > /dev/null\n{F}\n", 0, "1 files written"),
]


def main():
    check, cli, root, cc = sys.argv[1:5]
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "other.md"), "w") as f:
            f.write("# the target of a link\n")
        path = os.path.join(d, "page.md")
        for name, page, want_rc, want_line in CASES:
            with open(path, "w") as f:
                f.write(page)
            p = subprocess.run([sys.executable, check, "--cli", cli, "--root", root,
                                "--cc", cc, path], capture_output=True, text=True, timeout=600)
            out = p.stdout.replace(os.path.relpath(path, root), "page.md")
            if p.returncode != want_rc or want_line not in out:
                bad += 1
                print(f"FAIL {name}: exit {p.returncode} (want {want_rc}), want a line with "
                      f"{want_line!r}; output:\n{out}{p.stderr}")
            else:
                print(f"ok   {name}")
    print(f"{len(CASES) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
