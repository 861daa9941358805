#!/usr/bin/env python3
"""Run the examples of the user documentation and compare what they print.

usage: check_docs.py --cli CLI --root SRC [--build DIR] [--cc CMD] [FILE.md ...]

Without FILEs it checks README.md and docs/*.md under SRC.  Every fenced
block of a file must be accounted for, one of:

  ```sh        commands.  A block whose command lines all start with
               `vmsim-cli`, `$B` or `B=` is run with `sh -e` in a scratch
               directory (one per Markdown file) that holds `examples/`,
               `configs/`, `tests/` and `docs/` of the source tree,
               `build/tools/vmsim-cli/vmsim-cli`, and `vmsim-cli` on PATH;
               B is set to the CLI.  Any command failing fails the block.
  ```yaml      with a top-level `steps:` key: a scenario, run with
               `vmsim-cli --check run FILE` (FILE is `scenario.yaml` unless
               a file marker names it); it must exit 0.
  ```c         compiled (syntax only, -Wall -Werror) with the public and
               internal headers; a block without `#include` lines gets
               <stdio.h>, <stdint.h> and <vmsim/vmsim.h> first, so a
               prototype that disagrees with the header fails.
  ```text      right after a run block (only blank lines between): the
               output that block prints on stdout, compared line by line
               (trailing blanks ignored; a line `...` stands for any number
               of lines).  Commands that show stderr or an exit status say
               so themselves (`2>&1`, `|| echo "exit status $?"`).

and two markers, an HTML comment on the line before the block:

  <!-- file: NAME -->          write the block to NAME in the scratch
                               directory, not run: a config, a trace or a
                               scenario that a later command block of the
                               same file uses (it must name NAME)
  <!-- not run: REASON -->     skip it, saying why (host commands such as
                               meson or valgrind, a synopsis, a fragment)

Anything else fails: an unmarked block that cannot run, an output block
that follows nothing, a "not run" marker on a block that could run, a file
no later command uses.  Links
to files ([text](path)) must point at files of the repository.  Prints one
line per problem (FILE:LINE: message) and a count of what ran; exit status
1 on any problem, 2 on a usage error.
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^( *)(```+)\s*([A-Za-z0-9_+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*(not run|file)\s*:\s*(.*?)\s*-->\s*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
RUNNABLE_CMD = re.compile(r'^(vmsim-cli(\s|$)|"?\$\{?B\b\}?"?(\s|$)|B=)')
TIMEOUT = 300


class Block:
    def __init__(self, path, line, lang, text, marker):
        self.path, self.line, self.lang, self.text = path, line, lang, text
        self.marker = marker  # None, ("not run", reason) or ("file", name)
        self.output = None  # the ```text block that follows, if any

    def where(self):
        return f"{self.path}:{self.line}"


def parse(path, rel):
    """The fenced blocks of a Markdown file, with their markers."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, i, prev = [], 0, None  # prev: the last non-blank line outside blocks
    errors = []
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            if lines[i].strip():
                prev = lines[i]
            i += 1
            continue
        indent, ticks, lang = len(m.group(1)), m.group(2), m.group(3)
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not re.match(r"^ *" + ticks + r"\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        if i == len(lines):
            errors.append(f"{rel}:{start}: unterminated code block")
            break
        marker = None
        mm = MARKER.match(prev or "")
        if mm:
            marker = (mm.group(1), mm.group(2))
        b = Block(rel, start, lang, "\n".join(body) + "\n", marker)
        b.after_blank_only = prev is not None and prev.startswith("```")
        blocks.append(b)
        prev = lines[i]  # the closing fence
        i += 1
    return blocks, lines, errors


def command_lines(text):
    """The commands of a sh block: continuation lines joined, comments dropped."""
    cmds, cur = [], ""
    for line in text.split("\n"):
        s = line.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        cur += s
        if cur.endswith("\\"):
            cur = cur[:-1] + " "
            continue
        cmds.append(cur)
        cur = ""
    if cur:
        cmds.append(cur)
    return cmds


def is_runnable_sh(text):
    cmds = command_lines(text)
    return bool(cmds) and all(RUNNABLE_CMD.match(c) for c in cmds)


def is_scenario(text):
    return re.search(r"^steps:", text, re.M) is not None


def match_output(want, got):
    """True when got (lines) matches want (lines, `...` = any run of lines)."""
    memo = {}

    def m(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(want):
            r = j == len(got)
        elif want[i] == "...":
            r = any(m(i + 1, k) for k in range(j, len(got) + 1))
        else:
            r = j < len(got) and want[i] == got[j] and m(i + 1, j + 1)
        memo[key] = r
        return r

    return m(0, 0)


def norm(text):
    lines = [l.rstrip() for l in text.split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def first_difference(want, got):
    """Where got first departs from want, for the message."""
    j = 0
    for k, w in enumerate(want):
        if w == "...":
            nxt = next((x for x in want[k + 1:] if x != "..."), None)
            if nxt is None:
                return "output differs"
            if nxt not in got[j:]:
                return f"no output line {nxt!r} after a `...` line"
            j = got.index(nxt, j)
            continue
        if j >= len(got):
            return f"output line {j + 1}: expected {w!r}, got the end of the output"
        if w != got[j]:
            return f"output line {j + 1}: expected {w!r}, got {got[j]!r}"
        j += 1
    if j < len(got):
        return f"output line {j + 1}: {got[j]!r} after the end of the expected output"
    return "output differs"


class Checker:
    def __init__(self, args):
        self.cli = os.path.abspath(args.cli)
        self.root = os.path.abspath(args.root)
        self.build = os.path.abspath(args.build) if args.build else None
        self.cc = shlex.split(args.cc) if args.cc else None
        self.errors = []
        self.counts = dict(commands=0, scenarios=0, compiled=0, outputs=0, files=0, not_run=0)

    def error(self, block_or_where, msg):
        where = block_or_where if isinstance(block_or_where, str) else block_or_where.where()
        self.errors.append(f"{where}: {msg}")

    def scratch(self):
        d = tempfile.mkdtemp(prefix="vmsim-docs-")
        for name in ("examples", "configs", "tests", "docs"):
            if os.path.isdir(os.path.join(self.root, name)):
                os.symlink(os.path.join(self.root, name), os.path.join(d, name))
        os.makedirs(os.path.join(d, "build/tools/vmsim-cli"))
        os.symlink(self.cli, os.path.join(d, "build/tools/vmsim-cli/vmsim-cli"))
        os.makedirs(os.path.join(d, ".bin"))
        os.symlink(self.cli, os.path.join(d, ".bin/vmsim-cli"))
        return d

    def run(self, argv, cwd, block):
        env = dict(os.environ, B=self.cli, LC_ALL="C",
                   PATH=os.path.join(cwd, ".bin") + os.pathsep + os.environ.get("PATH", ""))
        try:
            return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.error(block, f"timed out after {TIMEOUT} s")
            return None

    def check_output(self, block, p):
        """Exit status 0, and the stdout the following text block shows."""
        if p is None:
            return
        if p.returncode != 0:
            lines = p.stderr.strip().split("\n") if p.stderr.strip() else ["(no stderr)"]
            more = f" (and {len(lines) - 1} more lines)" if len(lines) > 1 else ""
            self.error(block, f"exit status {p.returncode}: {lines[0]}{more}")
            return
        if block.output is not None:
            self.counts["outputs"] += 1
            want, got = norm(block.output.text), norm(p.stdout)
            if not match_output(want, got):
                self.error(block.output, first_difference(want, got))

    def run_sh(self, block, cwd):
        self.counts["commands"] += 1
        self.check_output(block, self.run(["sh", "-e", "-c", block.text], cwd, block))

    def run_scenario(self, block, cwd, name):
        self.counts["scenarios"] += 1
        with open(os.path.join(cwd, name), "w") as f:
            f.write(block.text)
        self.check_output(block, self.run([self.cli, "--check", "run", name], cwd, block))

    def compile_c(self, block, cwd):
        if not self.cc:
            self.error(block, "a C block, but no compiler given (--cc)")
            return
        self.counts["compiled"] += 1
        src = block.text
        if not re.search(r"^\s*#\s*include", src, re.M):
            src = "#include <stdio.h>\n#include <stdint.h>\n#include <vmsim/vmsim.h>\n" + src
        path = os.path.join(cwd, f"block{block.line}.c")
        with open(path, "w") as f:
            f.write(src)
        inc = [os.path.join(self.root, "include"), os.path.join(self.root, "src"), self.root]
        if self.build:
            inc.append(self.build)
        argv = self.cc + ["-std=c11", "-D_GNU_SOURCE", "-fsyntax-only", "-Wall", "-Werror",
                          "-Wno-unused-function", "-Wno-unused-variable"]
        argv += [f"-I{d}" for d in inc] + [path]
        p = self.run(argv, cwd, block)
        if p is not None and p.returncode != 0:
            first = next((l for l in p.stderr.split("\n") if "error" in l), p.stderr.strip())
            first = first.replace(cwd + os.sep, "")
            self.error(block, f"does not compile: {first}")

    def check_links(self, path, rel, lines):
        base = os.path.dirname(path)
        in_block = False
        for n, line in enumerate(lines, 1):
            if FENCE.match(line):
                in_block = not in_block
                continue
            if in_block:
                continue
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                    continue
                t = target.split("#")[0]
                if not os.path.exists(os.path.normpath(os.path.join(base, t))):
                    self.error(f"{rel}:{n}", f"link to {target}, which is not in the repository")

    def check_file(self, path):
        rel = os.path.relpath(path, self.root)
        blocks, lines, errors = parse(path, rel)
        self.errors += errors
        self.check_links(path, rel, lines)
        # attach each output block to the run block right before it
        kinds = []
        for k, b in enumerate(blocks):
            kinds.append(self.kind(b))
        for k, b in enumerate(blocks):
            if kinds[k] == "text" and b.marker is None and b.after_blank_only and k > 0 \
                    and kinds[k - 1] in ("sh", "scenario") and blocks[k - 1].output is None \
                    and (blocks[k - 1].marker is None or blocks[k - 1].marker[0] == "file"):
                blocks[k - 1].output = b
                kinds[k] = "output"
        for k, b in enumerate(blocks):
            if b.marker and b.marker[0] == "file" and b.marker[1] and not any(
                    kinds[j] == "sh" and re.search(r"(^|[\s/=])" + re.escape(b.marker[1]) +
                                                   r"($|[\s;|&)])", blocks[j].text, re.M)
                    for j in range(k + 1, len(blocks))):
                self.error(b, f"file {b.marker[1]} is written but no later command uses it")
        cwd = self.scratch()
        try:
            for b, kind in zip(blocks, kinds):
                self.check_block(b, kind, cwd)
        finally:
            shutil.rmtree(cwd, ignore_errors=True)

    def kind(self, b):
        if b.lang == "sh" and is_runnable_sh(b.text):
            return "sh"
        if b.lang == "yaml" and is_scenario(b.text):
            return "scenario"
        if b.lang == "c":
            return "c"
        if b.lang == "text":
            return "text"
        return "other"

    def check_block(self, b, kind, cwd):
        if kind == "output":
            return
        if b.marker and b.marker[0] == "not run":
            if not b.marker[1]:
                self.error(b, "a \"not run\" marker must say why")
            elif kind in ("sh", "scenario"):
                self.error(b, "marked \"not run\", but it can run: remove the marker")
            else:
                self.counts["not_run"] += 1
            return
        if b.marker and b.marker[0] == "file":
            name = b.marker[1]
            if not name or os.path.isabs(name) or ".." in name.split("/"):
                self.error(b, f"bad file name {name!r}")
                return
            self.counts["files"] += 1
            os.makedirs(os.path.dirname(os.path.join(cwd, name)) or cwd, exist_ok=True)
            with open(os.path.join(cwd, name), "w") as f:
                f.write(b.text)
            return
        if kind == "sh":
            self.run_sh(b, cwd)
        elif kind == "scenario":
            self.run_scenario(b, cwd, "scenario.yaml")
        elif kind == "c":
            self.compile_c(b, cwd)
        elif kind == "text":
            self.error(b, "an output block that follows no command or scenario: "
                          "put it right after one, or mark it <!-- not run: why -->")
        elif b.lang == "sh":
            cmds = [c.split()[0] for c in command_lines(b.text) if not RUNNABLE_CMD.match(c)]
            what = ", ".join(sorted(set(cmds))) or "nothing"
            self.error(b, f"runs other commands ({what}): mark it <!-- not run: why --> "
                          "or keep only vmsim-cli commands")
        elif b.lang == "yaml":
            self.error(b, "YAML that is not a scenario: mark it <!-- file: NAME --> "
                          "or <!-- not run: why -->")
        else:
            self.error(b, f"a {b.lang or 'plain'} block: give it a kind (sh, yaml, c, text) "
                          "or mark it <!-- not run: why -->")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--build")
    ap.add_argument("--cc")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    c = Checker(args)
    files = args.files or [os.path.join(c.root, "README.md")] + \
        sorted(glob.glob(os.path.join(c.root, "docs", "*.md")))
    for f in files:
        c.check_file(os.path.abspath(f))
    n = c.counts
    ran = n["commands"] + n["scenarios"] + n["compiled"]
    total = ran + n["outputs"] + n["files"] + n["not_run"]
    print(f"{len(files)} files, {total} blocks: {ran} run ({n['commands']} command blocks, "
          f"{n['scenarios']} scenarios, {n['compiled']} compiled), {n['outputs']} outputs "
          f"compared, {n['files']} files written, {n['not_run']} marked not run")
    for e in c.errors:
        print(e)
    if c.errors:
        print(f"{len(c.errors)} problems")
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
