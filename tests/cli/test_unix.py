#!/usr/bin/env python3
"""vmsim-cli as a Unix tool: option conventions, help, suggestions, checked
numbers and writes, safe output files, closed pipes, exec --show and
--stack-rlimit 0, and the man page and completion built from the same tables.
Run from the source root.

usage: test_unix.py VMSIM_CLI MAN_PAGE BASH_COMPLETION
Prints one line per failed case and a CMocka-style summary.
"""
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys

from cases import case, summary
import tempfile

CLI, MAN, COMPLETION = (os.path.abspath(a) for a in sys.argv[1:4])
LACKEY = "tests/traces/true-start.lackey"
TRUE = "/usr/bin/true" if os.access("/usr/bin/true", os.X_OK) else None


def run(*args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run([CLI, *args], timeout=120, **kw)


def one_line_error(p, status=2):
    """exit @status, nothing on stdout, exactly one line on stderr"""
    return p.returncode == status and p.stdout == "" and len(p.stderr.splitlines()) == 1


def temporaries(d):
    return [f for f in os.listdir(d) if f.startswith(".")]


# ---- the command list and per-command help --------------------------------

top = run("help")
case("help exits 0", top.returncode == 0 and top.stdout.startswith("usage: vmsim-cli"), top.stderr)
commands = []
in_cmds = False
for line in top.stdout.splitlines():
    if line == "commands:":
        in_cmds = True
    elif in_cmds and line.startswith("  ") and line[2] != " ":
        name = line.split()[0]
        if name != "VIEW":
            commands.append(name)
    elif in_cmds and not line:
        break
case("help lists the commands", {"show", "exec", "replay", "convert-trace", "help"} <= set(commands),
     commands)
case("--help is help", run("--help").stdout == top.stdout)
case("-h is help", run("-h").stdout == top.stdout)

helps = {}
for cmd in commands:
    a, b, h = run(cmd, "--help"), run("help", cmd), run(cmd, "-h")
    helps[cmd] = a.stdout
    case(f"{cmd} --help exits 0 with its usage", a.returncode == 0 and
         a.stdout.startswith(f"usage: vmsim-cli [GLOBAL OPTION]... {cmd} "), a.stdout[:200] + a.stderr)
    case(f"help {cmd} == {cmd} --help == {cmd} -h", a.stdout == b.stdout == h.stdout and
         b.returncode == 0)
case("a view's --help is show's", run("buddyinfo", "--help").stdout == helps["show"])
p = run("help", "frobnicate")
case("help of an unknown command exits 2", one_line_error(p) and "frobnicate" in p.stderr, p.stderr)


def options_of(text):
    """{long name: value name or None} from the options block of a --help"""
    opts = {}
    for line in text.splitlines():
        m = re.match(r"^  (?:-(\w), )?\s*--([\w-]+)(?:=(\S+))?", line)
        if m:
            opts[m.group(2)] = m.group(3)
    return opts


# ---- every option with a value, in both forms --------------------------------

tmp = tempfile.mkdtemp(prefix="vmsim-unix-")
# command -> {option: (value, operands)}: each run is compared --opt=V against --opt V
VALUES = {
    "layout": {"svg": (os.path.join(tmp, "x.svg"), [])},
    "translate": {"access": ("write", ["0xffff880000123456"]),
                  "mode": ("user", ["0xffff880000123456"])},
    "exec": {"sysroot": ("/", [TRUE]), "arg": ("-c", [TRUE]), "env": ("A=1", [TRUE]),
             "arg0": ("name", [TRUE]), "stack-rlimit": ("1MiB", [TRUE]),
             "show": ("status,maps", [TRUE])},
    "replay": {"format": ("lackey", ["-q", LACKEY]), "task-layout": ("flat", ["-q", LACKEY]),
               "interval": ("5000", ["-q", LACKEY]), "frames": ("4", ["-q", LACKEY]),
               "policy": ("clock", ["-q", "--frames", "4", LACKEY]),
               "refresh": ("100", ["-q", "--frames", "4", "--policy", "aging", LACKEY]),
               "tau": ("100", ["-q", "--frames", "4", "--policy", "wsclock", LACKEY]),
               "seed": ("7", ["-q", "--frames", "4", "--policy", "random", LACKEY]),
               "thp": ("always", ["-q", LACKEY]),
               "svg": (os.path.join(tmp, "r.svg"), ["-q", "--interval", "5000", LACKEY])},
    "mrc": {"format": ("lackey", [LACKEY]), "sample": ("0.5", [LACKEY]),
            "points": ("4", [LACKEY]), "curve": ("tlb", [LACKEY]),
            "svg": (os.path.join(tmp, "m.svg"), [LACKEY])},
    "convert-trace": {"format": ("lackey", [LACKEY, os.path.join(tmp, "both.vmt")])},
    # {n}: a different directory for each of the two runs (a sweep's must be new)
    "sweep": {"set": ("memory.size=64MiB,128MiB", [LACKEY]),
              "vary": ("interval=5000", [LACKEY]), "frames": ("3,4", [LACKEY]),
              "policy": ("fifo,lru", ["--frames", "4", LACKEY]), "jobs": ("2", [LACKEY]),
              "out": (os.path.join(tmp, "sweep-{n}"), [LACKEY]),
              "emit": ("parallel", ["--out", os.path.join(tmp, "emit-{n}"), LACKEY]),
              "svg": (os.path.join(tmp, "sweep.svg"), ["--frames", "3,4", LACKEY])},
}
GLOBAL_VALUES = {"config": "x86_32", "set": "memory.size=64MiB",
                 "trace-events": os.path.join(tmp, "ev.log")}


def stable(text):
    # the replay report's time and rate differ between runs (a sweep's
    # table has them as the last columns but one)
    text = re.sub(r",[0-9.e+-]+,[0-9]+,(true|false)$", ",,", text, flags=re.M)
    return re.sub(r'(time .*|"seconds":[^,]*,"accesses_per_second":[^,]*)', "", text)


for cmd in commands:
    for opt, arg in options_of(helps[cmd]).items():
        if arg is None:
            continue
        if cmd not in VALUES or opt not in VALUES[cmd]:
            case(f"{cmd} --{opt} has a both-forms case here", False, "add it to VALUES")
            continue
        val, rest = VALUES[cmd][opt]
        if None in rest:
            continue    # no /usr/bin/true on this host
        if cmd == "sweep" and opt in ("frames", "policy") and f"--{opt}" not in helps["replay"]:
            continue    # passed through to replay, which has no --{opt} in this build
        a = run(cmd, f"--{opt}={val.replace('{n}', 'a')}", *[r.replace("{n}", "a") for r in rest])
        b = run(cmd, f"--{opt}", val.replace("{n}", "b"), *[r.replace("{n}", "b") for r in rest])
        a.stdout = re.sub(r"(sweep|emit)-a", r"\1-b", a.stdout)
        case(f"{cmd} --{opt}=V and --{opt} V", a.returncode == 0 and
             stable(a.stdout) == stable(b.stdout) and a.stdout, (a.stderr, b.stderr))
for opt, arg in options_of(top.stdout.split("commands:")[0]).items():
    if arg is None:
        continue
    val = GLOBAL_VALUES.get(opt)
    if val is None:
        case(f"--{opt} has a both-forms case here", False, "add it to GLOBAL_VALUES")
        continue
    a = run(f"--{opt}={val}", "--json", "meminfo")
    la = open(GLOBAL_VALUES["trace-events"]).read() if opt == "trace-events" else None
    b = run(f"--{opt}", val, "--json", "meminfo")
    lb = open(GLOBAL_VALUES["trace-events"]).read() if opt == "trace-events" else None
    case(f"--{opt}=V and --{opt} V", a.returncode == 0 and a.stdout == b.stdout and la == lb,
         (a.stderr, b.stderr))
p = run("-cx86_32", "--json", "meminfo")
case("-cNAME (attached short value)", p.stdout == run("-c", "x86_32", "--json", "meminfo").stdout)
case("-c x86_32 differs from the default", p.stdout != run("--json", "meminfo").stdout)
p = run("--conf", "x86_32", "--json", "meminfo")
case("an unambiguous prefix of a long option", p.stdout == run("-c", "x86_32", "--json", "meminfo").stdout,
     p.stderr)

# ---- -- ends the options ----------------------------------------------------


def arg_bytes(out):
    mm = {l.split()[0]: int(l.split()[1], 16) for l in out.splitlines()
          if re.match(r"^(arg_start|arg_end) ", l)}
    return mm.get("arg_end", 0) - mm.get("arg_start", 0)


if TRUE:
    base = len(TRUE) + 1
    p = run("exec", TRUE, "--arg", "-c")
    case("exec PROG --arg -c passes -c", p.returncode == 0 and arg_bytes(p.stdout) == base + 3, p.stderr)
    p = run("exec", "--", TRUE, "-c", "--json")
    case("exec -- PROG -c --json passes both", p.returncode == 0 and
         arg_bytes(p.stdout) == base + 3 + 7, p.stderr)
    p = run("exec", TRUE, "--", "-c")
    case("exec PROG -- -c", p.returncode == 0 and arg_bytes(p.stdout) == base + 3, p.stderr)
    p = run("exec", TRUE, "-c")
    case("exec PROG -c without -- is an unknown option", one_line_error(p) and "'-c'" in p.stderr and
         "global option" in p.stderr, p.stderr)
p = run("translate", "--", "0xffff880000123456")
case("translate -- ADDR", p.returncode == 0 and "-> pa 0x123456" in p.stdout, p.stdout + p.stderr)
p = run("--", "info")
case("-- before the command", p.returncode == 0 and p.stdout, p.stderr)

# ---- errors: unknown names with the nearest one, values ----------------------

for args, want in ((["transalte", "1"], "did you mean 'translate'?"),
                   (["buddyinf"], "did you mean 'buddyinfo'?"),
                   (["translate", "--explian", "1"], "did you mean '--explain'?"),
                   (["exec", "--agr0", "x", "y"], "did you mean '--arg0'?"),
                   (["translate", "--access=wrte", "1"], "did you mean 'write'?"),
                   (["show", "zonifo"], "did you mean 'zoneinfo'?"),
                   (["--jsno", "info"], "did you mean '--json'?")):
    p = run(*args)
    case(f"{args}: one line naming the nearest", one_line_error(p) and want in p.stderr, p.stderr)
for args, want in ((["frobnicate"], "unknown command 'frobnicate'"),
                   (["translate", "--zzz", "1"], "unknown option '--zzz'"),
                   (["replay", "-x", LACKEY], "unknown option '-x'"),
                   (["info", "--json"], "'--json' is a global option: put it before the command"),
                   (["run", "examples/buddy.yaml", "--check"], "'--check' is a global option"),
                   (["exec", "--ar", "x"], "ambiguous"),
                   (["exec", "--arg"], "--arg=A needs a value"),
                   (["-c"], "-c, --config=NAME|FILE needs a value"),
                   (["--json=yes", "info"], "'--json' takes no value"),
                   ([], "which command?"),
                   (["translate"], "which address?"),
                   (["info", "extra"], "takes no arguments")):
    p = run(*args)
    case(f"{args}: {want}", one_line_error(p) and want in p.stderr and "did you mean" not in
         p.stderr.replace("'--json'", ""), p.stderr)
p = run("-c", "x86-46", "info")
case("-c with an unknown built-in names it and lists the built-ins", one_line_error(p) and
     "x86-46" in p.stderr and "x86_32, x86_32-pae, x86_64, x86_64-la57" in p.stderr, p.stderr)
p = run("-c", "tests/configs/none-such.yaml", "info")
case("-c with a missing file names it", one_line_error(p) and "none-such.yaml" in p.stderr, p.stderr)

# ---- numbers: negative, wrapping, out of range --------------------------------

NUMS = [["replay", "--interval", "-1", LACKEY], ["replay", "--interval=-1", LACKEY],
        ["replay", "--interval", "0", LACKEY], ["replay", "--interval", "18446744073709551616", LACKEY],
        ["replay", "--interval", "1e3", LACKEY],
        ["exec", "--stack-rlimit", "-5", "/bin/true"], ["exec", "--stack-rlimit=-5", "/bin/true"],
        ["exec", "--stack-rlimit", "16EiB", "/bin/true"],
        ["exec", "--stack-rlimit", "18446744073709551615", "/bin/true"],
        ["translate", "--", "-1"], ["translate", "0x10000000000000000"],
        ["--set", "memory.size=-1", "info"]]
for args in NUMS:
    p = run(*args)
    case(f"{args} refused", one_line_error(p), (p.returncode, p.stdout[:100], p.stderr))

# ---- version -----------------------------------------------------------------

v = run("--version")
case("--version == version", v.returncode == 0 and v.stdout == run("version").stdout and
     re.match(r"^vmsim-cli \d+\.\d+", v.stdout), v.stdout)
p = run("-v", "--verbose", "run", "examples/buddy.yaml")
case("-v and --verbose are accepted", p.returncode == 0, p.stderr)

# ---- writes are checked --------------------------------------------------------

if os.access("/dev/full", os.W_OK):
    for args in (["info"], ["--json", "zoneinfo"], ["help"], ["exec", "/bin/true"], ["layout"],
                 ["run", "examples/buddy.yaml"], ["replay", "-q", LACKEY], ["show", "pagetable"]):
        with open("/dev/full", "w") as full:
            p = run(*args, stdout=full, capture_output=False, stderr=subprocess.PIPE)
        case(f"{args} > /dev/full exits 2", p.returncode == 2 and
             p.stderr == "vmsim-cli: standard output: No space left on device\n", p.stderr)
    p = run("--trace-events", "/dev/full", "run", "examples/buddy.yaml")
    case("--trace-events /dev/full exits 2 naming it", p.returncode == 2 and
         "vmsim-cli: /dev/full: No space left on device" in p.stderr.splitlines(), p.stderr)
    p = run("layout", "--svg", "/dev/full")
    case("--svg /dev/full: one line, before any output", one_line_error(p) and
         p.stderr == "vmsim-cli: /dev/full: No space left on device\n", p.stderr)
    p = run("convert-trace", LACKEY, "/dev/full")
    case("convert-trace to /dev/full exits 2", one_line_error(p) and "/dev/full" in p.stderr, p.stderr)
    case("/dev/full is still the device (written in place, never replaced)",
         stat.S_ISCHR(os.stat("/dev/full").st_mode))
else:
    print("SKIP: /dev/full is not writable here (the write-error cases)")

missing = os.path.join(tmp, "no", "dir", "x")
for args in (["--trace-events", missing, "info"], ["layout", "--svg", missing],
             ["convert-trace", LACKEY, missing], ["--trace-events", missing, "run", "examples/buddy.yaml"]):
    p = run(*args)
    case(f"{args}: one line with the path and strerror, before any output", one_line_error(p) and
         p.stderr == f"vmsim-cli: {missing}: No such file or directory\n", p.stderr)

# ---- output files: never the input, replaced whole or not at all ----------------

t = os.path.join(tmp, "T.lackey")
shutil.copy(LACKEY, t)
before = open(t, "rb").read()
p = run("convert-trace", t, t)
case("convert-trace T T is refused", one_line_error(p) and "is the input file" in p.stderr, p.stderr)
case("... and T is intact", open(t, "rb").read() == before)
os.link(t, t + ".hard")
p = run("convert-trace", t, t + ".hard")
case("convert-trace T HARDLINK(T) is refused", one_line_error(p) and open(t, "rb").read() == before,
     p.stderr)
p = run("--trace-events", t, "convert-trace", t, os.path.join(tmp, "o.vmt"))
case("--trace-events onto the input is refused", one_line_error(p) and open(t, "rb").read() == before,
     p.stderr)
# each input is a copy in the scratch folder: a CLI that failed to refuse
# must not be able to replace anything outside it
scn, cfg, elf = (os.path.join(tmp, n) for n in ("buddy.yaml", "x86_32.yaml", "true"))
shutil.copy("examples/buddy.yaml", scn)
shutil.copy("configs/x86_32.yaml", cfg)
shutil.copy(TRUE or "/bin/sh", elf)
for what, args, victim in (
        ("the scenario", ["--trace-events", scn, "run", scn], scn),
        ("the config", ["-c", cfg, "layout", "--svg", cfg], cfg),
        ("the ELF", ["--trace-events", elf, "exec", elf], elf)):
    old = open(victim, "rb").read()
    p = run(*args)
    case(f"an output onto {what} is refused", one_line_error(p) and "is the input file" in p.stderr and
         open(victim, "rb").read() == old, p.stderr)
case("no temporaries left", temporaries(tmp) == [], temporaries(tmp))

out = os.path.join(tmp, "old.vmt")
bad = os.path.join(tmp, "bad.lackey")
open(bad, "w").write("I  401000,4\n oops\n")
open(out, "w").write("old\n")
p = run("convert-trace", bad, out)
case("a bad trace leaves the old output", p.returncode == 2 and open(out).read() == "old\n", p.stderr)
p = run("convert-trace", LACKEY, out)
case("a good one replaces it", p.returncode == 0 and open(out, "rb").read()[:8] != b"old\n", p.stderr)
case("no temporaries left", temporaries(tmp) == [], temporaries(tmp))


def fsize_limit(n):
    """a child whose writes past @n bytes fail with EFBIG: a full disk"""
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return pre


for what, args, target in (
        ("--svg", ["layout", "--svg", os.path.join(tmp, "f.svg")], os.path.join(tmp, "f.svg")),
        ("--trace-events", ["--trace-events", os.path.join(tmp, "f.log"), "run",
                            "examples/showcase.yaml"], os.path.join(tmp, "f.log")),
        ("convert-trace", ["convert-trace", LACKEY, os.path.join(tmp, "f.vmt")],
         os.path.join(tmp, "f.vmt"))):
    open(target, "w").write("old\n")
    p = run(*args, preexec_fn=fsize_limit(4096))
    case(f"{what}: a failing write exits 2 naming the file", p.returncode == 2 and
         f"vmsim-cli: {target}: File too large" in p.stderr.splitlines(), p.stderr)
    case(f"{what}: ... and the old file is untouched", open(target).read() == "old\n")
    case(f"{what}: ... and no temporary is left", temporaries(tmp) == [], temporaries(tmp))

# ---- a closed pipe ends the run quietly ---------------------------------------


def closed_pipe(args, ignore=False):
    r, w = os.pipe()
    os.close(r)
    pre = (lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if ignore else None
    p = subprocess.run([CLI, *args], stdout=w, stderr=subprocess.PIPE, text=True, timeout=120,
                       preexec_fn=pre)
    os.close(w)
    return p


for ignore in (False, True):
    p = closed_pipe(["--json", "zoneinfo"], ignore)
    case(f"closed pipe (SIGPIPE {'ignored' if ignore else 'default'} by the parent) is quiet",
         p.returncode == -signal.SIGPIPE and p.stderr == "", (p.returncode, p.stderr))
log = os.path.join(tmp, "pipe.log")
open(log, "w").write("old\n")
p = closed_pipe(["--trace-events", log, "run", "examples/showcase.yaml"])
case("closed pipe: the log is not replaced and no temporary is left", p.stderr == "" and
     open(log).read() == "old\n" and temporaries(tmp) == [], (p.stderr, temporaries(tmp)))
p = subprocess.run(["bash", "-c", f"'{CLI}' -c x86_32 show pagetable | head -1"], capture_output=True,
                   text=True, timeout=120)
case("| head -1 is quiet", p.returncode == 0 and p.stderr == "" and len(p.stdout.splitlines()) == 1,
     p.stderr)

# ---- exec --show -----------------------------------------------------------------

if TRUE:
    default = run("exec", TRUE)
    case("exec --show maps is the default", run("exec", "--show", "maps", TRUE).stdout == default.stdout)
    views = {"maps": r"^[0-9a-f]+-[0-9a-f]+ r-xp .*/true$", "smaps": r"^KernelPageSize: +4 kB$",
             "status": r"^VmStk:\s+\d+ kB$", "pagetable": r"^page table of task true"}
    for v, pat in views.items():
        p = run("exec", "--show", v, TRUE)
        others = [o for o in views if o != v and o not in ("maps",) and v != "smaps"]
        case(f"exec --show {v}", p.returncode == 0 and re.search(pat, p.stdout, re.M) and
             "AT_ENTRY" in p.stdout and not any(re.search(views[o], p.stdout, re.M) for o in others),
             p.stdout[:300] + p.stderr)
    a = run("exec", "--show", "status,maps", TRUE).stdout
    case("--show keeps the order given", a.index("VmStk") < a.index("[stack]"))
    case("--show A,B == --show A --show B", a == run("exec", "--show", "status", "--show", "maps", TRUE).stdout)
    j = run("--json", "exec", "--show", "maps,smaps,status,pagetable", TRUE)
    try:
        d = json.loads(j.stdout)
        ok = all(k in d for k in ("maps", "smaps", "status", "pagetable", "auxv", "mm"))
    except ValueError as e:
        ok, d = False, e
    case("--json exec --show: one key per view", ok, str(d)[:300])
    st = run("exec", "--show", "status,maps", TRUE).stdout
    vmstk = int(re.search(r"^VmStk:\s+(\d+) kB", st, re.M).group(1))
    s, e = [int(x, 16) for x in re.search(r"^([0-9a-f]+)-([0-9a-f]+) .*\[stack\]$", st, re.M).groups()]
    case("status VmStk is the [stack] VMA's size", vmstk * 1024 == e - s, (vmstk, e - s))
    p = run("exec", "--show", "maps,nope", TRUE)
    case("--show of an unknown view is refused", one_line_error(p) and "'nope'" in p.stderr, p.stderr)

# ---- --stack-rlimit 0: the kernel keeps the pages of the strings -------------------


def stack_of(out):
    s, e = [int(x, 16) for x in re.search(r"^([0-9a-f]+)-([0-9a-f]+) .*\[stack\]$", out, re.M).groups()]
    base = int(re.search(r"^mmap_base +0x([0-9a-f]+)", out, re.M).group(1), 16)
    return e - s, base


if TRUE:
    p = run("exec", "--stack-rlimit", "0", TRUE)
    case("--stack-rlimit 0 is accepted", p.returncode == 0, p.stderr)
    if p.returncode == 0:
        size, base = stack_of(p.stdout)
        # setup_arg_pages: stack_base = vm_end - 0 is not below vm_start, so the
        # VMA stays the page the strings are on; mmap_base: the 128 MiB minimum gap
        case("rlimit 0: the stack is the one page of the strings", size == 4096, hex(size))
        case("rlimit 0: mmap_base is 128 MiB below TASK_SIZE", base == 0x7ffffffff000 - (128 << 20),
             hex(base))
        size8, _ = stack_of(run("exec", "--stack-rlimit", "8MiB", TRUE).stdout)
        case("rlimit 8MiB: the stack grows by 128 KiB", size8 == 4096 + (128 << 10), hex(size8))
        p = run("exec", "--stack-rlimit", "0", "--arg", "x" * 6000, TRUE)
        size, _ = stack_of(p.stdout)
        case("rlimit 0 with 6000 bytes of arguments: the two pages they fill", size == 8192, hex(size))

# ---- the man page and the completion come from the same text as --help ---------------


def normal(text):
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")
    text = re.sub(r"^\.(TP|PP|SS|SH|TH|B)\b ?", " ", text, flags=re.M)
    return " ".join(text.replace('"', " ").split())


man = normal(open(MAN).read())


def help_rows(text):
    """each option row and paragraph of a --help, whitespace-normalised"""
    rows, cur = [], []
    for line in text.splitlines()[2:]:
        if re.match(r"^  \S|^      --", line) or not line.strip() or line.endswith(":"):
            if cur:
                rows.append(" ".join(" ".join(cur).split()))
            cur = [] if not line.strip() or line.endswith(":") else [line]
        else:
            cur.append(line)
    if cur:
        rows.append(" ".join(" ".join(cur).split()))
    return rows


for cmd in commands:
    for row in help_rows(helps[cmd]):
        case(f"man page has {cmd} --help's text: {row[:50]}", row in man, row)
for row in help_rows(top.stdout.split("commands:")[0]):
    case(f"man page has the global help's text: {row[:50]}", row in man, row)
case("man page has every command's section", all(f" {c} " in man for c in commands))
if shutil.which("groff"):
    p = subprocess.run(["groff", "-man", "-ww", "-z", MAN], capture_output=True, text=True)
    case("groff reads the man page without a warning", p.returncode == 0 and p.stderr == "", p.stderr)
else:
    print("SKIP: no groff here (the man page's syntax check)")


def complete(line):
    words = line.split(" ")
    script = (f"source '{COMPLETION}'\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n_vmsim_cli\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp)
    return sorted(p.stdout.split()), p.stderr


for line, want in (("vmsim-cli tra", ["translate"]),
                   ("vmsim-cli bud", ["buddyinfo"]),
                   ("vmsim-cli --js", ["--json"]),
                   # an optional value is never the next word
                   ("vmsim-cli --check=5 ru", ["run"]),
                   ("vmsim-cli --check ru", ["run"]),
                   # the built-in machines and the config files (cwd: the scratch folder)
                   ("vmsim-cli -c x86_", ["x86_32", "x86_32-pae", "x86_32.yaml", "x86_64", "x86_64-la57"]),
                   ("vmsim-cli --config x86_3", ["x86_32", "x86_32-pae", "x86_32.yaml"]),
                   ("vmsim-cli run bud", ["buddy.yaml"]),
                   ("vmsim-cli -c x86_32 trans", ["translate"]),
                   ("vmsim-cli translate --access ", ["fetch", "read", "write"]),
                   ("vmsim-cli translate --access=w", ["--access=write"]),
                   ("vmsim-cli translate --access = w", ["write"]),
                   ("vmsim-cli exec --st", ["--stack-rlimit"]),
                   ("vmsim-cli exec --show maps,sm", ["maps,smaps"]),
                   ("vmsim-cli show zone", ["zoneinfo"]),
                   ("vmsim-cli help conv", ["convert-trace"]),
                   ("vmsim-cli replay --format ",
                    sorted(["lackey", "vmsim", "rw", "ls", "champsim", "pages"])),
                   ("vmsim-cli mrc --format ",
                    sorted(["lackey", "vmsim", "rw", "ls", "champsim", "pages"])),
                   ("vmsim-cli replay --policy enh", ["enhanced-clock"]),
                   ("vmsim-cli mrc --curve ", ["frames", "tlb"]),
                   ("vmsim-cli --json replay -", sorted(["--format", "--task-layout", "--interval",
                                                         "--frames", "--policy", "--refresh",
                                                         "--tau", "--seed", "--csv", "--svg", "--thp",
                                                         "--quiet", "-q", "--help", "-h"]))):
    got, err = complete(line)
    case(f"completion of '{line}'", got == want and not err, (got, err))
for cmd in commands:
    got, _ = complete(f"vmsim-cli {cmd} --")
    want = sorted(f"--{o}" for o in options_of(helps[cmd]))
    case(f"completion offers {cmd}'s options, as --help lists them", got == want, (got, want))

shutil.rmtree(tmp)
summary()
