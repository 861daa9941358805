#!/usr/bin/env python3
"""Every JSON document vmsim-cli prints, checked against docs/schema/.

usage: validate_json.py VMSIM_CLI      (run from the source root)

Runs every view and command with --json on both built-in machines (views,
layout, translate, exec, replay of tests/traces/*, convert-trace, and the
scenarios under examples/ and tests/), and for each document checks:
  - stdout is well-formed UTF-8 holding exactly one JSON value, with no
    key twice in an object;
  - it validates against its schema (JSON Schema draft 2020-12);
  - every address-like key holds a "0x" string, every size-like key an
    integer, and every integer survives a trip through an IEEE double;
  - text it cannot spell exactly (file names with bytes 0x80-0xff and
    control characters) comes out as Python's bytes.decode("utf-8",
    "replace") reads it: U+FFFD per maximal ill-formed subpart.
Exits 77 (skipped) when python3-jsonschema is missing.  Prints one line
per failure and a CMocka-style summary.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from report import case, finish


def import_jsonschema():
    try:
        import jsonschema
        return jsonschema
    except ImportError:
        pass
    # Debian's python3-jsonschema is installed for Debian's interpreter; a
    # python3 found first on PATH (a virtualenv, pyenv) may not see it.
    deb = "/usr/bin/python3"
    if (os.path.exists(deb) and os.path.realpath(sys.executable) != os.path.realpath(deb)
            and not os.environ.get("VMSIM_SCHEMA_REEXEC")):
        os.execve(deb, [deb, *sys.argv], dict(os.environ, VMSIM_SCHEMA_REEXEC="1"))
    print("SKIP: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(77)


jsonschema = import_jsonschema()

CLI = sys.argv[1]
SCHEMA_DIR = "docs/schema"

schemas = {}
for path in sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.schema.json"))):
    with open(path) as f:
        s = json.load(f)
    schemas[os.path.basename(path)] = s
    try:
        jsonschema.Draft202012Validator.check_schema(s)
        case(f"{path} is a valid draft 2020-12 schema", s.get("$id") == os.path.basename(path),
             "its $id must be its file name")
    except jsonschema.SchemaError as e:
        case(f"{path} is a valid draft 2020-12 schema", False, e.message)


def validator(name):
    schema = schemas[name + ".schema.json"]
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources(
            (n, Resource.from_contents(s)) for n, s in schemas.items())
        return jsonschema.Draft202012Validator(schema, registry=reg)
    except ImportError:  # jsonschema before 4.18 (Debian 12 has 4.10)
        resolver = jsonschema.RefResolver.from_schema(schema, store=dict(schemas))
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


validators = {}

ADDRESS = re.compile(r"^(addr|va|pa|cr3|root|table|entry|entry_addr|ip|sp|brk|start|end|last|"
                     r"task_size|page_offset|high_memory|value)$|_(addr|start|end|base)$|"
                     r"^(start|end)_(code|data|brk|stack)$")
SIZE = re.compile(r"^(size|ram)$|_size$")
HEX = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")


def no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dups = {k for k in keys if keys.count(k) > 1}
    if dups:
        raise ValueError(f"duplicate keys {sorted(dups)}")
    return dict(pairs)


def shape_problems(v, path="$"):
    """Address-like keys as 0x strings, sizes as integers, integers exact in a double."""
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            p = f"{path}.{k}"
            if ADDRESS.search(k) and not (x is None or (isinstance(x, str) and HEX.match(x))):
                out.append(f"{p} = {x!r} is not a 0x string")
            if SIZE.search(k) and not ADDRESS.search(k) and not isinstance(x, int):
                out.append(f"{p} = {x!r} is not a number of bytes")
            out += shape_problems(x, p)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += shape_problems(x, f"{path}[{i}]")
    elif isinstance(v, int) and not isinstance(v, bool):
        if int(float(v)) != v:
            out.append(f"{path} = {v} loses digits as a double")
    elif isinstance(v, float) and v != v:
        out.append(f"{path} is NaN")
    return out


def check(label, schema, args, expect_rc=(0,), stdin=None):
    """Run vmsim-cli ARGS, check its stdout as one document of SCHEMA; the
    parsed document, or None."""
    p = subprocess.run([CLI, *args], capture_output=True, timeout=300, input=stdin)
    if p.returncode not in expect_rc:
        case(f"{label} exits {expect_rc}", False, f"{p.returncode}: {p.stderr[-500:]!r}")
        return None
    try:
        text = p.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        case(f"{label}: stdout is UTF-8", False, e)
        return None
    try:
        doc = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except ValueError as e:
        case(f"{label}: stdout is one JSON document", False, f"{e}: {text[:300]!r}")
        return None
    case(f"{label}: one document and a newline", text.endswith("}\n") or text.endswith("]\n"),
         text[-40:])
    if schema not in validators:
        validators[schema] = validator(schema)
    errors = sorted(validators[schema].iter_errors(doc), key=lambda e: list(e.absolute_path))
    case(f"{label}: valid against {schema}.schema.json", not errors,
         "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5]))
    probs = shape_problems(doc)
    case(f"{label}: addresses, sizes and numbers", not probs, probs[:5])
    return doc


VIEWS = ["info", "buddyinfo", "zoneinfo", "meminfo", "slabinfo", "vmallocinfo", "layout",
         "pagetable", "tlb", "stats", "swaps", "vmstat", "memory.stat", "cgroups", "gdt",
         "interrupts"]
TRACES = sorted(glob.glob("tests/traces/*"))
LACKEY_TRACE = "tests/traces/true-start.lackey"
ADDRS = {"x86_64": ["0xffff880000123456", "0xffffffff81000000", "0x1000", "0x800000000000",
                    "ds:0xffff880000001000", "ss:0x800000000000", "0x2b:0x1000", "0x80:0"],
         "x86_32": ["0xc0123456", "0xf7000000", "0x1000", "0x7b:0xc0001000", "0x60:0x10",
                    "fs:0x10"],
         "x86_64-la57": ["0xff11000000123456", "0xffffffff81000000", "0x1000",
                         "0x100000000000000"],
         "x86_32-pae": ["0xc0123456", "0xf7000000", "0x1000"]}

tmp = tempfile.mkdtemp(prefix="vmsim-schema-")
try:
    for mach in ("x86_64", "x86_32", "x86_64-la57", "x86_32-pae"):
        for v in VIEWS:
            a = check(f"{mach} {v}", v, ["-c", mach, "--json", v])
            b = check(f"{mach} show {v}", v, ["-c", mach, "--json", "show", v])
            if v != "stats":
                case(f"{mach} {v} == show {v}", a == b)
        check(f"{mach} layout command", "layout", ["-c", mach, "--json", "layout"])
        d = check(f"{mach} swaps with an area", "swaps",
                  ["-c", mach, "--set", "swap.size=16MiB", "--json", "show", "swaps"])
        case(f"{mach} swaps with an area lists it", bool(d) and d[0]["Filename"] == "/dev/swap0", d)
        for addr in ADDRS[mach]:
            for extra in ([], ["--explain"], ["--explain", "--access", "write", "--mode", "user"],
                          ["--access", "fetch"]):
                # a logical address runs at the CPU's CPL (0) and fetches
                # through cs: those combinations are usage errors
                if ":" in addr and ("--mode" in extra or
                                    ("fetch" in extra and not addr[:1].isdigit())):
                    continue
                d = check(f"{mach} translate {' '.join(extra)} {addr}", "translate",
                          ["-c", mach, "--json", "translate", *extra, addr])
                if d and "--explain" in extra:
                    case(f"{mach} translate --explain {addr} has the walk",
                         "walk" in d and (d["walk"] or addr in ("0x800000000000", "0x100000000000000") or
                                          (d["fault"] or {}).get("vector") in ("#GP", "#SS")), d)
                    case(f"{mach} translate --explain {addr}: the segment step of a logical address",
                         ("segment" in d) == (":" in addr), d)
        for t in TRACES:
            for extra in ([], ["--interval", "1000"]):
                d = check(f"{mach} replay {' '.join(extra)} {t}", "replay",
                          ["-c", mach, "--json", "replay", "-q", *extra, t])
                if d and extra:
                    total = d["accesses"]["total"]
                    case(f"{mach} replay --interval 1000 {t}: a row per 1000 accesses, and "
                         "the partial one", [r["accesses"] for r in d["intervals"]] ==
                         list(range(1000, total + 1, 1000)) + ([total] if total % 1000 else []),
                         d["intervals"][:3])
                    case(f"{mach} replay --interval 1000 {t}: the deltas add up to the totals",
                         sum(r["delta"]["walks"] for r in d["intervals"]) == d["walks"] and
                         sum(r["delta"]["instructions"] for r in d["intervals"]) ==
                         d["accesses"]["I"], d["intervals"][:3])
        for t in TRACES:
            for policy in ("fifo", "opt", "wsclock", "nru"):
                d = check(f"{mach} replay --frames 4 --policy {policy} {t}", "replay",
                          ["-c", mach, "--json", "replay", "-q", "--frames", "4", "--policy",
                           policy, t])
                if d:
                    case(f"{mach} replay --frames: the replacement group",
                         d["replacement"]["policy"] == policy, d)
            # the kernel's reclaim in a cgroup: its counters under "reclaim"
            d = check(f"{mach} replay --frames 64 --policy linux {t}", "replay",
                      ["-c", mach, "--json", "replay", "-q", "--frames", "64", "--policy", "linux",
                       t])
            if d:
                case(f"{mach} replay --policy linux: the reclaim counters",
                     "reclaim" in d["replacement"] and d["replacement"]["swap_pages"] > 0, d)
    for t in TRACES:
        for extra in ([], ["--opt"], ["--sample", "0.5", "--error"], ["--points", "4"]):
            check(f"mrc {' '.join(extra)} {t}", "mrc", ["--json", "mrc", *extra, t])
    vmt = os.path.join(tmp, "t.vmt")
    check("convert-trace", "convert-trace", ["--json", "convert-trace", LACKEY_TRACE, vmt])
    sw = check("sweep", "sweep", ["--json", "sweep", "-j", "2", "--set",
                                  "memory.size=64MiB,128MiB", *TRACES])
    if sw is not None:
        case("sweep: a row per trace and value", len(sw) == 2 * len(TRACES), len(sw))
    check("replay of a vmsim binary trace", "replay", ["--json", "replay", "-q", vmt])
    check("replay from stdin", "replay", ["--json", "replay", "-q", "-"],
          stdin=open(LACKEY_TRACE, "rb").read())
    check("replay through exec's layout", "replay",
          ["--json", "replay", "-q", "--task-layout", "exec:/usr/bin/true", LACKEY_TRACE])
    bad = os.path.join(tmp, "bad.lackey")
    open(bad, "w").write("I  401000,4\n L 402000,8\n oops\n")
    d = check("replay stopped by a bad line: the document still completes", "replay",
              ["--json", "replay", "-q", "--interval", "1", bad], expect_rc=(2,))
    if d:
        case("replay stopped by a bad line: the counts so far", d["accesses"]["total"] == 2 and
             len(d["intervals"]) == 2, d)
    check("exec /usr/bin/true", "exec", ["--json", "exec", "/usr/bin/true"])
    check("exec with --show of every task view", "exec",
          ["--json", "exec", "--show", "status,smaps,pagetable,maps", "/usr/bin/true"])
    check("exec with --show of the OOM and cgroup views", "exec",
          ["--json", "exec", "--show", "oom_score,oom_score_adj,vmstat,memory.stat,cgroups",
           "/usr/bin/true"])
    check("exec with arguments and environment", "exec",
          ["--json", "exec", "--arg", "a b", "--env", "K=\x01v\"", "/usr/bin/true"])
    src = os.path.join(tmp, "t.c")
    open(src, "w").write("int main(void) { return 0; }\n")
    t32 = os.path.join(tmp, "t32")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc and subprocess.run([cc, "-m32", "-o", t32, src], capture_output=True).returncode == 0:
        check("x86_32 exec of a 32-bit binary", "exec", ["-c", "x86_32", "--json", "exec", t32])
    else:
        print("note: no 32-bit toolchain (gcc-multilib): exec checked on x86_64 only")

    scenarios = sorted(glob.glob("examples/*.yaml") + glob.glob("tests/**/scenarios/**/*.yaml",
                                                                   recursive=True))
    scenarios = [s for s in scenarios if "/bad/" not in s]
    for s in scenarios:
        d = check(f"run {s}", "run", ["--json", "run", s], expect_rc=(0, 1))
        if d:
            case(f"run {s}: failures counted", len(d["failures"]) == d["expectations"]["failed"])

    # Names JSON cannot carry as they are: bytes 0x80-0xff, ill-formed
    # UTF-8 (truncated, overlong, a surrogate), control characters, quotes.
    odd = (b"odd-" + bytes(range(0x80, 0x100)) + b"-\xe2\x82\xac\xe2\x82-\xf0\x9f\x98-"
           b"\xc0\xaf-\xe0\x80\xaf-\xf4\x90\x80\x80-\xed\xa0\x80-" + bytes(range(1, 0x20)) +
           b"\x7f\"\\-end")
    bdir = os.fsencode(tmp)
    elf = os.path.join(bdir, odd)
    shutil.copyfile("/usr/bin/true", elf)
    os.chmod(elf, 0o755)
    d = check("exec of a file with an odd name", "exec", [b"--json", b"exec", elf])
    if d:
        wpath = elf.decode("utf-8", "replace")
        case("exec: the odd name as U+FFFD replacement", d["file"] == wpath, (d["file"], wpath))
        case("exec: the maps name it the same way", any(m["name"] == wpath for m in d["maps"]),
             [m["name"] for m in d["maps"]])
    trace = os.path.join(bdir, odd + b".lackey")
    shutil.copyfile(LACKEY_TRACE, trace)
    d = check("replay of a trace with an odd name", "replay", [b"--json", b"replay", b"-q", trace])
    if d:
        case("replay: the odd name as U+FFFD replacement",
             d["trace"] == trace.decode("utf-8", "replace"), d["trace"])
    scn = os.path.join(bdir, odd + b".yaml")
    with open(scn, "w") as f:
        f.write("""machine: x86_32
steps:
  - spawn: { task: "t\\"\\\\\\u00e9" }
  - mmap: { task: "t\\"\\\\\\u00e9", length: 8KiB, prot: rw-, flags: [private, anonymous], as: buf }
  - touch: { task: "t\\"\\\\\\u00e9", addr: $buf, length: 8KiB, access: write }
  - read: { task: "t\\"\\\\\\u00e9", addr: 0, expect: segv }
  - show: { what: maps, task: "t\\"\\\\\\u00e9" }
  - show: { what: smaps, task: "t\\"\\\\\\u00e9" }
  - show: { what: status, task: "t\\"\\\\\\u00e9" }
  - show: { what: pagetable, task: "t\\"\\\\\\u00e9" }
  - show: stats
  - translate: { task: "t\\"\\\\\\u00e9", addr: $buf, access: write, mode: user, explain: true }
  - exec: { task: "t\\"\\\\\\u00e9", path: /nonexistent/file }
  - alloc_pages: { order: 0, zone: DMA, expect: 0x1 }
""")
    d = check("run of a scenario with an odd name", "run", [b"--json", b"run", scn],
              expect_rc=(1,))
    if d:
        case("run: the odd name as U+FFFD replacement", d["scenario"] == scn.decode("utf-8", "replace"),
             d["scenario"])
        outputs = [o for s in d["steps"] for o in s["output"]]
        stats = [o["data"] for o in outputs if o.get("view") == "stats"]
        case("run: a task name with a quote, a backslash and an e-acute keys the statistics",
             stats and "task.t\"\\\u00e9.rss_pages" in stats[0] and
             stats[0]["task.t\"\\\u00e9.rss_pages"] == 2, stats)
        case("run: an exec failure's reason is in the step's result",
             any(s["result"].get("kind") == "error" and "nonexistent" in s["result"].get("reason", "")
                 for s in d["steps"]), d["steps"])
        case("run: the walk is in the step's output", any("walk" in o for o in outputs), outputs)
        case("run: the failed expectation is listed", len(d["failures"]) == 1, d["failures"])
finally:
    shutil.rmtree(tmp, ignore_errors=True)

finish()
