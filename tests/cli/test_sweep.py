#!/usr/bin/env python3
"""vmsim-cli sweep: the product of the axes, each row equal to the same
replay run alone, -j 1 and -j 2 alike, the GNU parallel path run for real,
the Slurm script (syntax, array indices, each task run by hand) and merge,
and every failure's one line (run from the source root).

usage: test_sweep.py VMSIM_CLI
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from cases import case, skip, summary

CLI = os.path.abspath(sys.argv[1])
LACKEY = os.path.abspath("tests/traces/true-start.lackey")
TIMING = ("seconds", "accesses_per_second")


def run(*args, **kw):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, **kw)


def flat(doc, prefix=""):
    """a replay report's scalars by dotted path, as sweep merge reads them"""
    out = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(flat(v, prefix + k + "."))
        elif not isinstance(v, list):
            out[prefix + k] = v
    return out


def untimed(row):
    return {k: v for k, v in row.items() if k not in TIMING}


tmp = tempfile.mkdtemp(prefix="vmsim-sweep-test-")
# the sweeps' own temporary directories go to a private TMPDIR, so that
# the check below sees only this test's (other tests sweep concurrently)
private_tmp = os.path.join(tmp, "tmpdir")
os.mkdir(private_tmp)
os.environ["TMPDIR"] = private_tmp
try:
    rw = os.path.join(tmp, "a,b.rw")         # a comma: CSV must quote it
    with open(rw, "w") as f:
        f.write("".join(f"{0x10000 + 4096 * (i % 40):x} {'RW'[i % 3 == 0]}\n"
                        for i in range(3000)))

    # ---- local runs: the product, each row what a single run prints ----
    args = ["--set", "memory.size=64MiB,128MiB", "--set", "tlb.l1d.entries=16,64",
            "--vary", "task-layout=flat", LACKEY, rw]
    p2 = run("--json", "sweep", "-j", "2", *args)
    case("sweep -j 2 exits 0", p2.returncode == 0, p2.stderr)
    rows = json.loads(p2.stdout) if p2.returncode == 0 else []
    case("one row per job: 2 traces x 2 x 2 x 1", len(rows) == 8, len(rows))
    want_order = [(t, m, e) for t in (LACKEY, rw) for m in ("64MiB", "128MiB")
                  for e in ("16", "64")]
    got_order = [(r["trace"], r["memory.size"], r["tlb.l1d.entries"]) for r in rows]
    case("rows in job order, the last axis fastest", got_order == want_order, got_order)
    case("jobs numbered from 1", [r["job"] for r in rows] == list(range(1, 9)),
         [r.get("job") for r in rows])
    for r in rows:
        single = run("--set", f"memory.size={r['memory.size']}",
                     "--set", f"tlb.l1d.entries={r['tlb.l1d.entries']}", "--json", "replay",
                     "-q", "--task-layout=flat", r["trace"])
        want = untimed(flat(json.loads(single.stdout)))
        got = {k: v for k, v in untimed(r).items()
               if k not in ("job", "memory.size", "tlb.l1d.entries", "--task-layout")}
        case(f"job {r['job']} equals the replay run alone", got == want,
             {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
              if got.get(k) != want.get(k)})
    case("the axes change the results (TLB entries change the L1d misses)",
         rows and rows[4]["tlb.l1d.misses"] != rows[5]["tlb.l1d.misses"],
         [r["tlb.l1d.misses"] for r in rows[4:6]])

    p1 = run("--json", "sweep", "-j", "1", *args)
    rows1 = json.loads(p1.stdout) if p1.returncode == 0 else []
    case("-j 1 and -j 2 give the same table",
         [untimed(r) for r in rows1] == [untimed(r) for r in rows], p1.stderr)

    # ---- policies and frames: Silberschatz's table, a reference string ----
    silb = "tests/traces/silberschatz.pages"
    want_faults = {("fifo", "3"): 15, ("fifo", "4"): 10, ("lru", "3"): 12, ("lru", "4"): 8,
                   ("opt", "3"): 9, ("opt", "4"): 8}
    pp = run("--json", "sweep", "-j", "2", "--policy", "fifo,lru,opt", "--frames", "3,4", silb)
    prows = json.loads(pp.stdout) if pp.returncode == 0 else []
    got_faults = {(r["--policy"], r["--frames"]): r["replacement.faults"] for r in prows}
    case("sweep over --policy fifo,lru,opt and --frames 3,4: the textbook's faults",
         got_faults == want_faults and [(r["--policy"], r["--frames"]) for r in prows] ==
         [(p, f) for p in ("fifo", "lru", "opt") for f in ("3", "4")],
         got_faults or pp.stderr)
    case("each policy row names its policy, frames and format",
         prows and all(r["replacement.policy"] == r["--policy"] and
                       str(r["replacement.frames"]) == r["--frames"] and
                       r["format"] == "pages" for r in prows), prows[:1])
    for r in prows:
        single = run("--json", "replay", "-q", "--policy", r["--policy"], "--frames",
                     r["--frames"], silb)
        want = untimed(flat(json.loads(single.stdout))) if single.returncode == 0 else {}
        got = {k: v for k, v in untimed(r).items() if k not in ("job", "--policy", "--frames")}
        case(f"policy job {r['job']} equals replay --policy {r['--policy']} --frames "
             f"{r['--frames']} alone", got == want and want.get("replacement.faults") ==
             want_faults[(r["--policy"], r["--frames"])],
             {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
              if got.get(k) != want.get(k)} or single.stderr)
    bp = run("sweep", "-j", "2", "--policy", "lru,lruu", "--frames", "3", silb)
    case("a misspelt policy: its job fails with replay's line", bp.returncode == 2 and
         bp.stdout == "" and "vmsim-cli: sweep: job 2 failed (exit status 2): " in bp.stderr and
         "did you mean 'lru'?" in bp.stderr, bp.stderr)

    c = run("sweep", "-j", "2", "--set", "memory.size=64MiB", LACKEY, rw)
    table = list(csv.reader(io.StringIO(c.stdout)))
    case("CSV: a header and a row per job", c.returncode == 0 and len(table) == 3 and
         table[0][:3] == ["job", "trace", "memory.size"], c.stdout[:300] + c.stderr)
    case("CSV quotes a field with a comma", f'"{rw}"' in c.stdout and table[2][1] == rw,
         table[2][:2] if len(table) > 2 else table)
    case("CSV rows as wide as the header", all(len(r) == len(table[0]) for r in table), "")
    left = [n for n in os.listdir(private_tmp) if n.startswith("vmsim-sweep-")]
    # ---- --out keeps the jobs' files; a directory with files is refused ----
    out = os.path.join(tmp, "kept")
    k = run("sweep", "-j", "2", "--out", out, "--set", "memory.size=64MiB,128MiB", rw)
    case("--out keeps each job's report", k.returncode == 0 and
         sorted(os.listdir(out)) == ["job-1.args", "job-1.json", "job-2.args", "job-2.json",
                                     "jobs.tsv"], os.listdir(out) if os.path.isdir(out) else k.stderr)
    m = run("sweep", "merge", out)
    case("merge of a kept directory prints the same table", m.stdout == k.stdout and
         m.returncode == 0, m.stderr)
    again = run("sweep", "--out", out, rw)
    case("a directory that holds files is refused",
         again.returncode == 2 and again.stderr.strip() ==
         f"vmsim-cli: {out}: not an empty directory (a sweep writes into a new or empty one)",
         again.stderr)

    # ---- a failing job: one line naming it, status 2, no table ----
    f = run("sweep", "-j", "2", "--set", "memory.size=64MiB,1KiB", rw)
    case("a failed job: status 2, its line, no table", f.returncode == 2 and f.stdout == "" and
         "vmsim-cli: sweep: job 2 failed (exit status 2): vmsim-cli: --set memory.size=1KiB:"
         in f.stderr, f.stderr)
    case("a local sweep leaves no temporary directory",
         sorted(n for n in os.listdir(private_tmp) if n.startswith("vmsim-sweep-"))
         == sorted(left), os.listdir(private_tmp))
    for bad, msg in [
            (["sweep", "-"], "vmsim-cli sweep: a sweep reads its traces many times: name "
             "files, not standard input (try 'vmsim-cli sweep --help')"),
            (["sweep", "--set", "memory.size", rw], "vmsim-cli sweep: --set takes "
             "NAME=V1,V2,..., not 'memory.size' (try 'vmsim-cli sweep --help')"),
            (["sweep", "--set", "memory.size=1,,2", rw], "vmsim-cli sweep: --set memory.size: "
             "an empty value, or a tab or newline in one (try 'vmsim-cli sweep --help')"),
            (["sweep", "a\tb.rw"], "vmsim-cli sweep: a trace's name with a tab or a newline "
             "cannot be a table's field: rename it (try 'vmsim-cli sweep --help')"),
            (["sweep", "--set", "mem\tory=1,2", rw], "vmsim-cli sweep: --set takes "
             "NAME=V1,V2,..., not 'mem\tory=1,2' (try 'vmsim-cli sweep --help')"),
            (["sweep", "--emit", "slurm", rw], "vmsim-cli sweep: --emit writes the jobs' "
             "files: it needs --out DIR (try 'vmsim-cli sweep --help')"),
            (["sweep", "merge", tmp], f"vmsim-cli: sweep merge: {tmp}/jobs.tsv: No such file "
             "or directory (not a sweep's directory)"),
            (["sweep", "job", out, "0"], "vmsim-cli sweep: sweep job takes the sweep's "
             "directory and a job number from 1 (try 'vmsim-cli sweep --help')"),
    ]:
        p = run(*bad)
        case(f"{' '.join(bad)}: one line, status 2", p.returncode == 2 and
             p.stderr.strip() == msg, repr(p.stderr) + " want " + repr(msg))

    # ---- GNU parallel, for real ----
    par = os.path.join(tmp, "par")
    e = run("sweep", "--emit", "parallel", "--out", par, "--set", "memory.size=64MiB,128MiB",
            "--set", "tlb.l1d.entries=16,64", rw)
    lines = e.stdout.splitlines()
    case("--emit parallel: one command a job, also in DIR/jobs.txt",
         e.returncode == 0 and len(lines) == 4 and
         open(os.path.join(par, "jobs.txt")).read() == e.stdout, e.stdout + e.stderr)
    case("--emit runs nothing", not any(n.endswith(".json") for n in os.listdir(par)), "")
    if shutil.which("parallel"):
        g = subprocess.run(["parallel", "--will-cite", "-j", "2"], input=e.stdout, text=True,
                           capture_output=True, timeout=300)
        case("GNU parallel runs the jobs", g.returncode == 0, g.stderr)
        mp = run("--json", "sweep", "merge", par)
        local = run("--json", "sweep", "-j", "2", "--set", "memory.size=64MiB,128MiB",
                    "--set", "tlb.l1d.entries=16,64", rw)
        case("parallel's table equals the local sweep's",
             mp.returncode == 0 and [untimed(r) for r in json.loads(mp.stdout)] ==
             [untimed(r) for r in json.loads(local.stdout)], mp.stderr + local.stderr)
    else:
        skip("GNU parallel runs the jobs", "GNU parallel is not installed (Debian: parallel)")

    # ---- Slurm: the script's syntax, its array, each task by hand, merge ----
    sl = os.path.join(tmp, "slurm")
    s = run("sweep", "--emit", "slurm", "--out", sl, "--set", "memory.size=64MiB,128MiB,256MiB",
            rw, LACKEY)
    script = os.path.join(sl, "sweep.sbatch")
    case("--emit slurm: the script on stdout and in DIR", s.returncode == 0 and
         open(script).read() == s.stdout, s.stderr)
    n = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
    case("the Slurm script parses (bash -n)", n.returncode == 0, n.stderr)
    arr = re.search(r"^#SBATCH --array=(\d+)-(\d+)$", s.stdout, re.M)
    case("the array covers the jobs: 1-6", arr and arr.groups() == ("1", "6"), s.stdout)
    body = [l for l in s.stdout.splitlines() if l and not l.startswith("#")]
    first_cmd = s.stdout.index(body[0]) if body else -1
    case("every #SBATCH line comes before the first command",
         body and all(m.start() < first_cmd for m in re.finditer("^#SBATCH", s.stdout, re.M)),
         s.stdout)
    for task in range(1, 7):
        t = subprocess.run(["bash", script], env=dict(os.environ, SLURM_ARRAY_TASK_ID=str(task)),
                           capture_output=True, text=True, timeout=300)
        case(f"array task {task} runs its job", t.returncode == 0 and
             os.path.exists(os.path.join(sl, f"job-{task}.json")), t.stderr)
    ms = run("--json", "sweep", "merge", sl)
    srows = json.loads(ms.stdout) if ms.returncode == 0 else []
    case("merge of the array's jobs: 6 rows in order",
         [(r["job"], r["trace"], r["memory.size"]) for r in srows] ==
         [(i + 1, t, m) for i, (t, m) in enumerate((t, m) for t in (rw, LACKEY)
                                                  for m in ("64MiB", "128MiB", "256MiB"))],
         ms.stderr)
    os.unlink(os.path.join(sl, "job-5.json"))
    mm = run("sweep", "merge", sl)
    case("merge with a job missing names it", mm.returncode == 2 and mm.stdout == "" and
         mm.stderr.strip() == f"vmsim-cli: sweep merge: {sl}/job-5.json: missing: job 5 did "
         "not complete (its errors, if any, are in job-5.err)", mm.stderr)
    with open(os.path.join(sl, "job-5.json"), "w") as f:
        f.write('{"trace": "x", "accesses": {"total": 1,}}')
    mb = run("sweep", "merge", sl)
    case("merge with a broken report names its line and column", mb.returncode == 2 and
         mb.stderr.strip() == f"vmsim-cli: sweep merge: {sl}/job-5.json:1:40: expected a "
         "member name", mb.stderr)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
summary()
