"""vmsim: the x86 MMU and Linux memory management, simulated, from Python.

A thin layer over libvmsim's public C API (ctypes; nothing to compile).
Every call that fails in C with a negative errno raises OSError with that
errno (FileNotFoundError, PermissionError, ... as Python maps them), and
the library's one-line reason when it gives one::

    import vmsim
    with vmsim.Machine("x86_64", sets={"memory.size": "256MiB"}) as m:
        t = m.spawn("a")
        addr = t.mmap(8192, prot="rw")
        t.write(addr, b"hello")
        print(t.read(addr, 5), m.translate(addr, task=t, mode="user").pa)
        print(m.view("maps", task="a"))
"""
import ctypes
import errno as _errno
import json as _json
import os

from . import _lib
from ._lib import lib

__all__ = ["Machine", "Task", "Replay", "MemoryFault", "Translation", "Mrc", "run_scenario",
           "read_trace", "convert_trace", "version", "version_number"]

PROT = {"r": 0x1, "w": 0x2, "x": 0x4}
MAP = {"shared": 0x01, "private": 0x02, "fixed": 0x10, "anonymous": 0x20,
       "populate": 0x8000, "fixed_noreplace": 0x100000}
ACCESS = {"read": 0, "write": 1, "fetch": 2}
MODE = {"kernel": 0, "user": 1}
REC = {"I": 0, "L": 1, "S": 2, "M": 3}
LAYOUT = {"flat": 0, "task": 1}
FAULT = {0: None, 1: "#PF", 2: "#GP", 3: "#SS", 4: "#NP"}
SEGMENT = {"es": 1, "cs": 2, "ss": 3, "ds": 4, "fs": 5, "gs": 6}
SEG_SELECTOR = 7


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return lib.vmsim_version().decode()


def version_number():
    """The version as MAJOR * 10000 + MINOR * 100 + PATCH."""
    return lib.vmsim_version_number()


def _raise(ret, err=None, what=None):
    code = -ret
    msg = err.msg.decode(errors="replace") if err is not None and err.msg else os.strerror(code)
    if what and not (err is not None and err.msg):
        msg = "%s: %s" % (what, msg)
    raise OSError(code, msg)


def _check(ret, err=None, what=None):
    if ret < 0:
        _raise(ret, err, what)
    return ret


def _enc(s):
    return s.encode() if isinstance(s, str) else s


def _prot(prot):
    if isinstance(prot, int):
        return prot
    value = 0
    for c in prot.replace("-", ""):
        if c not in PROT:
            raise ValueError("prot %r: letters r, w, x (or an int)" % prot)
        value |= PROT[c]
    return value


def _flags(flags):
    if isinstance(flags, int):
        return flags
    value = 0
    for f in flags:
        if f not in MAP:
            raise ValueError("mmap flag %r: one of %s" % (f, ", ".join(MAP)))
        value |= MAP[f]
    return value


ACCMODE = {"O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2}


def _accmode(mode):
    if isinstance(mode, int) and mode in ACCMODE.values():
        return mode
    if mode not in ACCMODE:
        raise ValueError("open mode %r: one of %s" % (mode, ", ".join(ACCMODE)))
    return ACCMODE[mode]


class MemoryFault(OSError):
    """An access a signal stopped: errno EFAULT, with the signal the task
    would get (signal, si_code, addr) and the bytes moved before it."""

    def __init__(self, outcome, data=b""):
        super().__init__(_errno.EFAULT, "signal %d (si_code %d) at %#x" %
                         (outcome.signal, outcome.si_code, outcome.addr))
        self.signal = outcome.signal
        self.si_code = outcome.si_code
        self.addr = outcome.addr
        self.done = outcome.done
        self.faults = outcome.faults
        self.data = data


class Translation:
    """What vmsim_translate() found: pa (None on a fault), fault ("#PF",
    "#GP", "#SS", "#NP" or None), error_code, fault_level, cr3, format,
    with explain=True the walk: one dict per level, and for a logical
    address the segment step as a dict (segment)."""

    def __init__(self, r, walk, ok, segment=None):
        self.segment = segment
        self.pa = r.pa if ok else None
        self.cr3 = r.cr3
        self.format = r.format.decode()
        self.fault = None if ok else FAULT[r.fault]
        self.error_code = r.error_code
        self.fault_level = r.fault_level.decode() if r.fault_level else None
        self.walk = walk
        self.page_pa = r.page_pa if walk is not None and r.walk_ok else None
        self.page_shift = r.page_shift if walk is not None and r.walk_ok else None

    def __repr__(self):
        if self.pa is not None:
            return "<Translation pa=%#x>" % self.pa
        return "<Translation %s error_code=%#x at %s>" % (self.fault, self.error_code,
                                                          self.fault_level)


class Machine:
    """A simulated machine: a built-in name ("x86_64", "x86_32") or a
    config file, or yaml= the text of a config; sets= overrides as a dict
    or "KEY=VALUE" strings."""

    def __init__(self, config="x86_64", sets=None, yaml=None):
        if isinstance(sets, dict):
            sets = ["%s=%s" % kv for kv in sets.items()]
        self._sets = _lib.strings(sets)
        err = _lib.Error()
        if yaml is not None:
            h = lib.vmsim_machine_create_yaml(_enc(config), _enc(yaml), self._sets,
                                              ctypes.byref(err))
        else:
            h = lib.vmsim_machine_create(_enc(config), self._sets, ctypes.byref(err))
        if not h:
            _raise(err.code or -_errno.EINVAL, err)
        self._h = h
        self._tasks = {}        # handle -> Task
        self._replays = []      # open, closed before the machine goes
        self._event_cb = None

    # -- life cycle --
    def close(self):
        """Destroy the machine; its tasks and replays go with it."""
        if getattr(self, "_h", None):
            for rp in list(self._replays):
                rp.close()
            for t in self._tasks.values():
                t._h = None
            lib.vmsim_machine_destroy(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def handle(self):
        if not self._h:
            raise ValueError("the machine was closed")
        return self._h

    def check(self):
        """Every consistency checker; OSError(EFAULT) names a violation."""
        err = _lib.Error()
        _check(lib.vmsim_machine_check(self.handle, ctypes.byref(err)), err)

    # -- tasks --
    def _task(self, h):
        if not h:
            return None
        t = self._tasks.get(h)
        if t is None:
            t = self._tasks[h] = Task(self, h)
        return t

    def spawn(self, name, stack_size=0, start_brk=0, stack_rlimit=0):
        """A new task with an empty address space (and a [stack] VMA of
        stack_size bytes when given)."""
        o = _lib.SpawnOpts(start_brk, stack_size, stack_rlimit)
        h = ctypes.c_void_p()
        _check(lib.vmsim_task_spawn(self.handle, _enc(name), ctypes.byref(o), ctypes.byref(h)),
               what="spawn %s" % name)
        return self._task(h.value)

    def task(self, name):
        """The task called name, or None."""
        return self._task(lib.vmsim_task_find(self.handle, _enc(name)))

    def current(self, cpu=0):
        """The task running on cpu, or None."""
        return self._task(lib.vmsim_task_current(self.handle, cpu))

    # -- the MMU --
    def translate(self, va, task=None, access="read", mode="kernel", cpu=0, explain=False,
                  segment=None, size=1):
        """One translation (TLB, walk, A/D) through task's tables or the
        kernel's.  A fault is a result: .pa is None and .fault says why.
        With segment ("ds", ..., or a selector value) va is a logical
        address's offset: the segment step first, for an access of size
        bytes, at the CPU's CPL (mode must agree)."""
        walk = [] if explain else None
        seg = {}

        def on_seg(sp, arg):
            v = sp.contents
            seg.update({"register": v.reg.decode(), "selector": v.selector, "cpl": v.cpl,
                        "descriptor": v.desc if v.desc_read else None,
                        "base": v.base if v.cached else None,
                        "limit": v.limit if v.cached else None,
                        "offset": v.offset, "linear": v.linear if v.ok else None,
                        "fault": None if v.ok else {13: "#GP", 12: "#SS", 11: "#NP",
                                                    14: "#PF"}[v.vector],
                        "error_code": v.error_code,
                        "why": v.why.decode() if v.why else None})

        def on_level(lv, arg):
            v = lv.contents
            walk.append({"level": v.name.decode(), "intel": v.intel.decode(),
                         "depth": v.depth, "table": v.table, "index": v.index,
                         "entry_addr": v.entry_addr, "entry": v.entry,
                         "flags": v.flags.decode().split(),
                         "swap": {"type": v.swap_type, "offset": v.swap_offset,
                                  "exclusive": bool(v.swap_exclusive)} if v.swap else None})

        o = _lib.TranslateOpts(ACCESS[access], MODE[mode], cpu)
        cb = _lib.WALK_FN(on_level) if explain else _lib.WALK_FN()
        o.walk = cb
        scb = None
        if segment is not None:
            if isinstance(segment, str):
                o.segment = SEGMENT[segment]
            else:
                o.segment, o.selector = SEG_SELECTOR, segment
            o.size = size
            scb = _lib.SEG_FN(on_seg)
            o.seg = scb
        r = _lib.Translation()
        ret = lib.vmsim_translate(self.handle, task.handle if task else None, va,
                                  ctypes.byref(o), ctypes.byref(r))
        if ret < 0 and ret != -_errno.EFAULT:
            _raise(ret, what="translate %#x" % va)
        return Translation(r, walk, ret == 0, seg if segment is not None else None)

    # -- what it tells --
    def stat(self, name):
        """The statistic called name (the names of `vmsim-cli stats`)."""
        v = ctypes.c_uint64()
        _check(lib.vmsim_stat(self.handle, _enc(name), ctypes.byref(v)), what=name)
        return v.value

    def stats(self):
        """Every statistic, as a dict in the registry's order."""
        out = {}

        def each(name, value, arg):
            out[name.decode()] = value
            return 0

        _check(lib.vmsim_stats_foreach(self.handle, _lib.STAT_FN(each), None))
        return out

    def view(self, name, task=None, addr=None, json=False):
        """A view (meminfo, buddyinfo, maps, smaps, pagetable, tlb, ...) as
        the kernel's text, or with json=True parsed from its JSON."""
        o = _lib.ViewOpts(_enc(task), addr is not None, addr or 0, bool(json))
        size = 1 << 16
        while True:
            buf = ctypes.create_string_buffer(size)
            err = _lib.Error()
            n = lib.vmsim_view(self.handle, _enc(name), ctypes.byref(o), buf, size,
                               ctypes.byref(err))
            _check(n, err)
            if n < size:
                text = buf.value.decode()
                return _json.loads(text) if json else text
            size = n + 1

    @staticmethod
    def view_names():
        n = lib.vmsim_view_names(None, 0)
        buf = ctypes.create_string_buffer(n + 1)
        lib.vmsim_view_names(buf, n + 1)
        return [v.strip() for v in buf.value.decode().split(",")]

    def subscribe(self, callback):
        """callback(seq, kind, task, fields) for every event (fields a dict
        of the event's key=value pairs); None stops them."""
        if callback is None:
            self._event_cb = None
            _check(lib.vmsim_events_subscribe(self.handle, _lib.EVENT_FN(), None))
            return

        def each(seq, kind, task, fields, arg):
            kv = dict(f.split("=", 1) for f in fields.decode().split() if "=" in f)
            callback(seq, kind.decode(), task.decode() if task else None, kv)

        self._event_cb = _lib.EVENT_FN(each)   # kept alive as long as subscribed
        _check(lib.vmsim_events_subscribe(self.handle, self._event_cb, None))

    # -- the page allocator --
    def alloc_pages(self, order=0, gfp="GFP_KERNEL"):
        pfn = ctypes.c_uint64()
        _check(lib.vmsim_alloc_pages(self.handle, _enc(gfp), order, ctypes.byref(pfn)))
        return pfn.value

    def free_pages(self, pfn, order=0):
        _check(lib.vmsim_free_pages(self.handle, pfn, order))

    # -- replay --
    def replay(self, task, layout="flat"):
        """A Replay of accesses through task ("flat": memory made on
        demand; "task": the task's own VMAs)."""
        return Replay(self, task, layout)


class Task:
    """A task of a Machine (get one from Machine.spawn, Task.fork)."""

    def __init__(self, machine, handle):
        self.machine = machine
        self._h = handle

    @property
    def handle(self):
        if not self._h:
            raise ValueError("the task exited")
        self.machine.handle     # the machine is still there
        return self._h

    @property
    def pid(self):
        return lib.vmsim_task_pid(self.handle)

    @property
    def name(self):
        return lib.vmsim_task_name(self.handle).decode()

    def __repr__(self):
        return "<Task %s pid %d>" % (self.name, self.pid) if self._h else "<Task (exited)>"

    def fork(self, name, share_vm=False):
        h = ctypes.c_void_p()
        _check(lib.vmsim_task_fork(self.handle, _enc(name), 0x100 if share_vm else 0,
                                   ctypes.byref(h)), what="fork %s" % name)
        return self.machine._task(h.value)

    def exit(self):
        lib.vmsim_task_exit(self.handle)
        self.machine._tasks.pop(self._h, None)
        self._h = None

    def switch(self, cpu=0):
        _check(lib.vmsim_task_switch(self.machine.handle, cpu, self.handle))

    def exec(self, path, argv=None, envp=(), host_path=None, sysroot=None, stack_rlimit=None):
        """execve(path, argv, envp) of a real ELF file; a dict of ip, sp,
        load_bias, interp_base, vdso_base, compat, interp and auxv."""
        a, e = _lib.strings(argv), _lib.strings(list(envp))
        o = _lib.ExecOpts(_enc(path), _enc(host_path), _enc(sysroot), a, e)
        if stack_rlimit is not None:
            o.stack_rlimit = (1 << 64) - 1 if stack_rlimit == "unlimited" else stack_rlimit
            o.has_stack_rlimit = 1
        info, err = _lib.ExecInfo(), _lib.Error()
        _check(lib.vmsim_task_exec(self.handle, ctypes.byref(o), ctypes.byref(info),
                                   ctypes.byref(err)), err)
        auxv = {}
        for i in range(info.nr_auxv):
            t, v = info.auxv[i][0], info.auxv[i][1]
            name = lib.vmsim_auxv_name(t)
            auxv[name.decode() if name else t] = v
        return {"ip": info.ip, "sp": info.sp, "load_bias": info.load_bias,
                "interp_base": info.interp_base, "vdso_base": info.vdso_base,
                "compat": bool(info.compat), "interp": info.interp.decode(), "auxv": auxv}

    def mm_info(self):
        i = _lib.MmInfo()
        _check(lib.vmsim_task_mm_info(self.handle, ctypes.byref(i)))
        d = {f: getattr(i, f) for f in _lib.MM_FIELDS}
        d["map_count"] = i.map_count
        return d

    # -- system calls --
    def mmap(self, length, prot="rw", flags=("private", "anonymous"), addr=0, file=None,
             offset=0, open="O_RDWR"):
        """mmap(2): the address.  prot "rwx" letters or an int; flags names
        (private, shared, anonymous, fixed, fixed_noreplace, populate) or
        an int; file a host path or a file of the machine by name; open
        the access mode the program opened it with ("O_RDONLY",
        "O_WRONLY", "O_RDWR" or os.O_RDONLY ...)."""
        out = ctypes.c_uint64()
        if file is not None and not isinstance(flags, int):
            flags = [f for f in flags if f != "anonymous"]
        _check(lib.vmsim_mmap_file(self.handle, addr, length, _prot(prot), _flags(flags),
                                   _enc(file), _accmode(open), offset, ctypes.byref(out)),
               what="mmap")
        return out.value

    def munmap(self, addr, length):
        _check(lib.vmsim_munmap(self.handle, addr, length), what="munmap")

    def mprotect(self, addr, length, prot):
        _check(lib.vmsim_mprotect(self.handle, addr, length, _prot(prot)), what="mprotect")

    def brk(self, addr=0):
        """brk(2): the new break (0 asks for the current one)."""
        out = ctypes.c_uint64()
        _check(lib.vmsim_brk(self.handle, addr, ctypes.byref(out)), what="brk")
        return out.value

    def mremap(self, old_addr, old_size, new_size, maymove=False, fixed_addr=None,
               dontunmap=False):
        flags = (1 if maymove or fixed_addr is not None or dontunmap else 0) | \
            (2 if fixed_addr is not None else 0) | (4 if dontunmap else 0)
        out = ctypes.c_uint64()
        _check(lib.vmsim_mremap(self.handle, old_addr, old_size, new_size, flags,
                                fixed_addr or 0, ctypes.byref(out)), what="mremap")
        return out.value

    def madvise(self, addr, length, advice):
        _check(lib.vmsim_madvise(self.handle, addr, length, advice), what="madvise")

    def mlock(self, addr, length, onfault=False):
        _check(lib.vmsim_mlock2(self.handle, addr, length, 1 if onfault else 0), what="mlock")

    def munlock(self, addr, length):
        _check(lib.vmsim_munlock(self.handle, addr, length), what="munlock")

    def mlockall(self, flags):
        _check(lib.vmsim_mlockall(self.handle, flags), what="mlockall")

    def munlockall(self):
        _check(lib.vmsim_munlockall(self.handle), what="munlockall")

    def mincore(self, addr, length):
        """mincore(2): bytes, one per page, 1 when resident."""
        n = (length + 4095) // 4096
        vec = ctypes.create_string_buffer(n)
        _check(lib.vmsim_mincore(self.handle, addr, length, vec, n), what="mincore")
        return vec.raw

    def msync(self, addr, length, flags=4):
        _check(lib.vmsim_msync(self.handle, addr, length, flags), what="msync")

    # -- user accesses --
    def _access(self, acc, va, buf, n):
        o = _lib.Outcome()
        ret = lib.vmsim_access(self.handle, acc, va, buf, n, ctypes.byref(o))
        if ret == -_errno.EFAULT:
            raise MemoryFault(o, buf.raw[:o.done] if buf is not None and acc != 1 else b"")
        _check(ret)
        return o

    def read(self, va, n):
        """n bytes at va, faulting pages in; MemoryFault on a SIGSEGV/SIGBUS."""
        buf = ctypes.create_string_buffer(n)
        self._access(ACCESS["read"], va, buf, n)
        return buf.raw

    def fetch(self, va, n):
        buf = ctypes.create_string_buffer(n)
        self._access(ACCESS["fetch"], va, buf, n)
        return buf.raw

    def write(self, va, data):
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        self._access(ACCESS["write"], va, buf, len(data))

    def touch(self, va, n=1, access="read"):
        """The access without moving bytes (machines with memory.contents
        none too): the number of page faults it took."""
        return self._access(ACCESS[access], va, None, n).faults


class Replay:
    """Accesses through a task as a CPU runs them; see vmsim/replay.h."""

    def __init__(self, machine, task, layout="flat"):
        self.machine = machine
        h = ctypes.c_void_p()
        _check(lib.vmsim_replay_open(machine.handle, task.handle, LAYOUT[layout],
                                     ctypes.byref(h)))
        self._h = h.value
        machine._replays.append(self)

    def close(self):
        if self._h:
            lib.vmsim_replay_close(self._h)
            self._h = None
            self.machine._replays.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def access(self, addr, size=1, type="L"):
        _check(lib.vmsim_replay_access(self._h, addr, size, REC[type]))

    def batch(self, records):
        """records: (addr, size, type) tuples, type one of I L S M."""
        recs = (_lib.Rec * len(records))(*[(a, s, REC[t]) for a, s, t in records])
        _check(lib.vmsim_replay_batch(self._h, recs, len(records)))

    def file(self, path, format=None):
        err = _lib.Error()
        _check(lib.vmsim_replay_file(self._h, _enc(os.fspath(path)), _enc(format),
                                     ctypes.byref(err)), err)

    def counters(self):
        c = _lib.ReplayCounters()
        _check(lib.vmsim_replay_counters(self._h, ctypes.byref(c)))
        return {f: getattr(c, f) for f in _lib.REPLAY_FIELDS}

    def set_policy(self, policy="lru", frames=None, refresh=1000, tau=1000, seed=1,
                   trace=None, format=None):
        """Give the task `frames` page frames under `policy` (fifo, lru,
        opt, clock, enhanced-clock, nru, aging, lfu, random, wsclock, or
        linux: the kernel's reclaim), before the first record; opt and
        linux read `trace` (the file about to be replayed) ahead."""
        p = _lib.ReplayPolicy(_enc(policy), frames or 0, refresh, tau, seed,
                              _enc(os.fspath(trace)) if trace is not None else None,
                              _enc(format))
        err = _lib.Error()
        _check(lib.vmsim_replay_set_policy(self._h, ctypes.byref(p), ctypes.byref(err)), err)

    def stats(self):
        """Everything the replay counted (the numbers of `vmsim-cli replay
        --json`), as a dict."""
        s = _lib.ReplayStats()
        _check(lib.vmsim_replay_stats(self._h, ctypes.byref(s), ctypes.sizeof(s)))

        def counts(arr):
            return {c.name.decode(): c.value for c in arr}

        d = {"accesses": s.accesses, "by_type": dict(zip("ILSM", s.by_type)),
             "instructions": s.instructions, "page_touches": s.page_touches,
             "crossings": s.crossings,
             "tlb": {lv: counts(s.tlb[i]) for i, lv in enumerate(("l1d", "l1i", "l2"))},
             "large_pages": {"l1d_fills": s.l1d_large_fills,
                             "l1d_evictions": s.l1d_large_evictions,
                             "l1i_fills": s.l1i_large_fills,
                             "l1i_evictions": s.l1i_large_evictions},
             "walks": s.walks, "walk_entries_read": s.entries_read,
             "format": s.format.decode(), "levels": [], "walk_entries_saved": s.entries_saved,
             "cost": {"l1_hit": s.cost_l1_hit, "l2_hit": s.cost_l2_hit,
                      "walk_ref": s.cost_walk_ref},
             "translation_cycles": s.translation_cycles, "faults": counts(s.faults),
             "segv": s.segv, "regions": s.regions, "region_bytes": s.region_bytes,
             "unmappable_accesses": s.unmappable, "rss_pages": s.rss,
             "page_table_pages": s.pt_pages, "out_of_memory": bool(s.oom),
             "machine": s.machine.decode(), "replacement": None}
        for lv in s.level[:s.levels]:
            d["levels"].append({
                "linux_name": lib.vmsim_pt_level_name(lv.linux_level).decode(),
                "intel_name": lv.intel_name.decode(), "page_size": lv.page_size,
                "maps": bool(lv.maps), "entries_read": lv.entries_read,
                "pages_mapped": lv.pages_mapped,
                "psc": None if not lv.psc_name else {"name": lv.psc_name.decode(),
                                                     "hits": lv.psc_hits,
                                                     "misses": lv.psc_misses}})
        if s.policy:
            r = {"policy": s.policy.decode(), "frames": s.frames}
            r.update({f: getattr(s, f) for f in _lib.REPLAY_POLICY_FIELDS})
            r["faults"] = r.pop("faults_policy")
            if s.kernel:
                r["swap_pages"] = s.swap_pages
                r["reclaim"] = counts(s.reclaim)
            d["replacement"] = r
        return d


_TYPE_NAME = "ILSM"


def read_trace(path, format=None, batch=4096):
    """The records of a trace file (any format replay reads, compressed or
    not): (addr, size, type) tuples, type one of I L S M."""
    h, err = ctypes.c_void_p(), _lib.Error()
    _check(lib.vmsim_trace_open(_enc(os.fspath(path)), _enc(format), ctypes.byref(h),
                                ctypes.byref(err)), err)
    recs = (_lib.Rec * batch)()
    try:
        while True:
            n = lib.vmsim_trace_read(h, recs, batch, ctypes.byref(err))
            _check(n, err)
            if n == 0:
                return
            for r in recs[:n]:
                yield (r.addr, r.size, _TYPE_NAME[r.type])
    finally:
        lib.vmsim_trace_close(h)


def convert_trace(src, dst, format=None):
    """The trace src in vmsim's binary format into dst: the records written."""
    err = _lib.Error()
    n = lib.vmsim_trace_convert(_enc(os.fspath(src)), _enc(format), _enc(os.fspath(dst)),
                                ctypes.byref(err))
    _check(n, err)
    return n


class Mrc:
    """Miss-ratio curves of a trace in one pass (`vmsim-cli mrc`): LRU's
    page faults for every frame count, OPT's (opt=True), the TLB-reach
    curve; sample < 1 follows a hashed fraction of the pages (SHARDS)."""

    def __init__(self, trace=None, records=None, format=None, sample=1.0, opt=False,
                 exact_too=False):
        o, err = _lib.MrcOpts(sample, bool(exact_too), bool(opt)), _lib.Error()
        h = ctypes.c_void_p()
        _check(lib.vmsim_mrc_open(ctypes.byref(o), ctypes.byref(h), ctypes.byref(err)), err)
        self._h = h.value
        try:
            chunk = []
            for rec in read_trace(trace, format) if trace is not None else records:
                chunk.append(rec)
                if len(chunk) == 4096:
                    self._feed(chunk)
                    chunk = []
            self._feed(chunk)
            _check(lib.vmsim_mrc_finish(self._h, ctypes.byref(err)), err)
        except BaseException:
            self.close()
            raise

    def _feed(self, chunk):
        recs = (_lib.Rec * len(chunk))(*[(a, s, REC[t]) for a, s, t in chunk])
        _check(lib.vmsim_mrc_batch(self._h, recs, len(chunk)))

    def close(self):
        if self._h:
            lib.vmsim_mrc_close(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def info(self):
        i = _lib.MrcInfo()
        _check(lib.vmsim_mrc_info(self._h, ctypes.byref(i)))
        return {f: getattr(i, f) for f in _lib.MRC_INFO_FIELDS}

    def lru_faults(self, frames):
        return lib.vmsim_mrc_lru_faults(self._h, frames)

    def opt_faults(self, frames):
        v = ctypes.c_uint64()
        _check(lib.vmsim_mrc_opt_faults(self._h, frames, ctypes.byref(v)))
        return v.value

    def tlb_misses(self, entries, huge=False):
        return lib.vmsim_mrc_tlb_misses(self._h, entries, bool(huge))

    def error(self):
        """(mean, max) miss-ratio error of the sampled curve (exact_too=True)."""
        mean, mx = ctypes.c_double(), ctypes.c_double()
        _check(lib.vmsim_mrc_error(self._h, ctypes.byref(mean), ctypes.byref(mx)))
        return mean.value, mx.value


def run_scenario(path=None, text=None, name="<scenario>", config=None, sets=None, json=False,
                 check=False):
    """Run a scenario file (path) or YAML text; returns (result dict, the
    output it printed).  Bad scenario text raises OSError with the
    "FILE:LINE:COL: ..." line."""
    if isinstance(sets, dict):
        sets = ["%s=%s" % kv for kv in sets.items()]
    s = _lib.strings(sets)
    o = _lib.ScenarioOpts(_enc(config), s, bool(json), bool(check))
    res, err = _lib.ScenarioResult(), _lib.Error()
    buf, size = ctypes.c_void_p(), ctypes.c_size_t()
    f = _lib.libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not f:
        raise OSError(ctypes.get_errno(), "open_memstream")
    try:
        if path is not None:
            ret = lib.vmsim_scenario_run(_enc(os.fspath(path)), ctypes.byref(o), f,
                                         ctypes.byref(res), ctypes.byref(err))
        else:
            ret = lib.vmsim_scenario_run_string(_enc(name), _enc(text), ctypes.byref(o), f,
                                                ctypes.byref(res), ctypes.byref(err))
    finally:
        _lib.libc.fclose(f)
        out = ctypes.string_at(buf.value, size.value).decode() if buf.value else ""
        _lib.libc.free(buf)
    _check(ret, err)
    return {"steps_run": res.steps_run, "checked": res.checked, "failed": res.failed}, out
