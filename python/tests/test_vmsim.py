"""The Python bindings against the shared library: each call once, with
the kernel's known answers (where mmap puts a mapping, fault error codes,
si_code), and errors as OSError with the errno."""
import ctypes
import errno
import os
import signal

import pytest

import vmsim

# the repository (its traces and scenarios): $VMSIM_SOURCE_ROOT, else the
# folder above python/
ROOT = os.environ.get("VMSIM_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MMAP_BASE = 0x7ffff7fff000      # x86-64, 8 MiB stack rlimit, no ASLR


@pytest.fixture
def m():
    with vmsim.Machine("x86_64", sets={"memory.size": "256MiB"}) as mach:
        yield mach


def test_version():
    major, minor, patch = (int(x) for x in vmsim.version().split("."))
    assert vmsim.version_number() == major * 10000 + minor * 100 + patch


def test_bad_config_is_oserror():
    with pytest.raises(OSError) as e:
        vmsim.Machine("x86_64", sets=["memory.size=lots"])
    assert e.value.errno == errno.EINVAL and "memory.size" in str(e.value)
    with pytest.raises(FileNotFoundError):
        vmsim.Machine("no-such-machine")
    with pytest.raises(OSError) as e:
        vmsim.Machine("cfg.yaml", yaml="memory:\n  size: lots\n")
    assert "cfg.yaml:2" in str(e.value)


def test_yaml_machine():
    with vmsim.Machine("mine.yaml", yaml="arch: x86_32\nmemory:\n  size: 64MiB\n") as m:
        assert "x86_32" in m.view("info")
        assert m.translate(0xc0001000).pa == 0x1000     # PAGE_OFFSET 0xc0000000


def test_mmap_file_open_mode(m, tmp_path):
    """A MAP_SHARED mapping of a file open read-only: PROT_WRITE is
    EACCES at mmap and at mprotect, and smaps shows no sh and no mw
    (Linux's do_mmap); O_WRONLY cannot be mapped at all."""
    path = tmp_path / "data"
    path.write_bytes(bytes(8192))
    t = m.spawn("a", stack_size=128 << 10)
    shared = ("shared",)
    with pytest.raises(PermissionError):
        t.mmap(4096, prot="rw", flags=shared, file=str(path), open="O_RDONLY")
    a = t.mmap(4096, prot="r", flags=shared, file=str(path), open="O_RDONLY")
    smaps = m.view("smaps", task="a")
    flags = smaps[smaps.index("%x-" % a):].split("VmFlags:")[1].split("\n")[0].split()
    assert flags == ["rd", "mr", "me", "ms"]
    with pytest.raises(PermissionError):
        t.mprotect(a, 4096, "rw")
    b = t.mmap(4096, prot="rw", flags=shared, file=str(path), open=os.O_RDWR)
    t.mprotect(b, 4096, "r")
    with pytest.raises(PermissionError):
        t.mmap(4096, prot="r", flags=("private",), file=str(path), open="O_WRONLY")
    with pytest.raises(ValueError):
        t.mmap(4096, prot="r", flags=shared, file=str(path), open="r")


def test_mmap_write_read(m):
    t = m.spawn("a", stack_size=128 << 10)
    assert t.mm_info()["mmap_base"] == MMAP_BASE
    a = t.mmap(8192, prot="rw")
    assert a == MMAP_BASE - 8192
    assert t.mmap(4096) == a - 4096
    t.write(a + 4090, b"across pages")
    assert t.read(a + 4090, 12) == b"across pages"
    assert t.mincore(a, 8192) == b"\x01\x01"
    with pytest.raises(OSError) as e:
        t.mmap(0)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(PermissionError):
        t.mmap(4096, addr=0x1000, flags=("private", "anonymous", "fixed"))
    t.mprotect(a, 4096, "r")
    with pytest.raises(vmsim.MemoryFault) as f:
        t.write(a, b"x")
    assert f.value.errno == errno.EFAULT
    assert (f.value.signal, f.value.si_code, f.value.addr) == (signal.SIGSEGV, 2, a)
    with pytest.raises(vmsim.MemoryFault) as f:
        t.read(0x1000, 1)
    assert f.value.si_code == 1
    b0 = t.brk()
    assert t.brk(b0 + 5000) == b0 + 5000
    moved = t.mremap(a - 4096, 4096, 16384, maymove=True)
    assert moved != a - 4096
    t.madvise(moved, 16384, 4)
    t.mlock(moved, 4096)
    t.munlock(moved, 4096)
    t.mlockall(1)
    t.munlockall()
    t.msync(moved, 4096)
    t.munmap(moved, 16384)
    with pytest.raises(OSError) as e:
        t.mincore(moved, 4096)
    assert e.value.errno == errno.ENOMEM
    m.check()


def test_tasks_fork_cow(m):
    a = m.spawn("a")
    p = a.mmap(4096)
    a.write(p, b"parent")
    b = a.fork("b")
    assert m.task("b") is b and b.pid == a.pid + 1
    b.write(p, b"child!")
    assert a.read(p, 6) == b"parent" and b.read(p, 6) == b"child!"
    assert m.stat("cpu0.tlb.l1d.flushes") > 0
    b.switch(0)
    assert m.current(0) is b
    b.exit()
    assert m.task("b") is None and m.current(0) is None
    with pytest.raises(ValueError):
        b.read(p, 1)
    with pytest.raises(FileExistsError):
        m.spawn("a")


def test_translate_explain(m):
    t = m.spawn("a")
    r = m.translate(0x1000, task=t, mode="user", explain=True)
    assert (r.pa, r.fault, r.error_code, r.fault_level) == (None, "#PF", 0x4, "pgd")
    assert r.walk[0]["level"] == "pgd" and r.walk[0]["entry"] == 0
    p = t.mmap(4096)
    t.write(p, b"x")
    r = m.translate(p, task=t, access="write", mode="user", explain=True)
    assert [lv["level"] for lv in r.walk] == ["pgd", "pud", "pmd", "pte"]
    assert {"P", "RW", "US", "D"} <= set(r.walk[3]["flags"])
    assert r.pa == r.page_pa and r.page_shift == 12
    assert m.translate(0x0000800000000000).fault == "#GP"


def test_translate_opts_layout():
    # struct vmsim_translate_opts on x86-64: the segment fields took the
    # first two of the six reserved words, so size and offsets stay
    from vmsim import _lib
    o = _lib.TranslateOpts
    assert ctypes.sizeof(o) == 80
    assert (o.walk.offset, o.arg.offset, o.segment.offset, o.selector.offset,
            o.size.offset, o.seg.offset, o.reserved.offset) == (16, 24, 32, 36, 38, 40, 48)
    assert ctypes.sizeof(_lib.SegStep) == 160


def test_translate_segment(m):
    # the flat GDT: ds's base is 0, so the linear address is the offset
    va = 0xffff880000001000
    r = m.translate(va, segment="ds")
    assert r.pa == m.translate(va).pa and r.segment["linear"] == va
    assert (r.segment["register"], r.segment["cpl"]) == ("ds", 0)
    # index 16 is past the x86-64 GDT's 16 entries: #GP(selector)
    r = m.translate(0, segment=0x80)
    assert (r.pa, r.fault, r.error_code, r.fault_level) == (None, "#GP", 0x80, None)
    assert r.segment["fault"] == "#GP" and r.segment["descriptor"] is None
    # a user-mode access at CPL 0 is refused
    with pytest.raises(OSError) as e:
        m.translate(va, segment="ds", mode="user")
    assert e.value.errno == errno.EINVAL


def test_translate_other_formats():
    # 5-level paging: a hint above the 47-bit window, the p4d a level of
    # its own
    with vmsim.Machine("x86_64-la57", sets={"memory.size": "256MiB"}) as m:
        t = m.spawn("a")
        p = t.mmap(4096, addr=1 << 52)
        assert p == 1 << 52
        t.write(p, b"x")
        r = m.translate(p, task=t, access="write", mode="user", explain=True)
        assert r.format == "la57"
        assert [lv["level"] for lv in r.walk] == ["pgd", "p4d", "pud", "pmd", "pte"]
        assert [lv["intel"] for lv in r.walk] == ["PML5E", "PML4E", "PDPTE", "PDE", "PTE"]
        assert r.walk[0]["index"] == 16 and r.pa == r.page_pa
        r = m.translate(p + (1 << 39), task=t, mode="user", explain=True)
        assert (r.fault, r.error_code, r.fault_level) == ("#PF", 0x4, "p4d")
        assert len(r.walk) == 2
        assert m.translate(0x0100000000000000).fault == "#GP"
    # PAE: the PDPTE register first, only P defined there
    with vmsim.Machine("x86_32-pae", sets={"memory.size": "256MiB"}) as m:
        t = m.spawn("a")
        p = t.mmap(4096)
        t.write(p, b"x")
        r = m.translate(p, task=t, access="write", mode="user", explain=True)
        assert r.format == "pae"
        assert [(lv["level"], lv["intel"]) for lv in r.walk] == \
            [("pgd", "PDPTE"), ("pmd", "PDE"), ("pte", "PTE")]
        assert r.walk[0]["flags"] == ["P"] and r.walk[0]["index"] == p >> 30
        assert "NX" in r.walk[2]["flags"]


def test_stats_views_events(m):
    stats = m.stats()
    assert stats["nr_free_pages"] == m.stat("nr_free_pages")
    meminfo = m.view("meminfo")
    free_kb = int(meminfo.split("MemFree:")[1].split()[0])
    assert free_kb == m.stat("nr_free_pages") * 4
    with pytest.raises(FileNotFoundError):
        m.stat("no_such_counter")
    with pytest.raises(FileNotFoundError):
        m.view("nonsense")
    assert "pagetable" in m.view_names()
    t = m.spawn("a")
    p = t.mmap(4096, prot="r")
    assert m.view("maps", task="a", json=True)[0]["perms"] == "r--p"
    seen = []
    m.subscribe(lambda seq, kind, task, f: seen.append((kind, task, f)))
    t.read(p, 1)
    m.subscribe(None)
    t.read(p + 8, 1)
    faults = [s for s in seen if s[0] == "fault"]
    assert len(faults) == 1
    assert faults[0][1] == "a" and faults[0][2]["addr"] == hex(p)
    assert faults[0][2]["kind"] == "zero_page"
    pfn = m.alloc_pages(2, "GFP_KERNEL")
    m.free_pages(pfn, 2)
    with pytest.raises(OSError):
        m.free_pages(pfn, 2)


def test_exec():
    if not os.access("/usr/bin/true", os.R_OK):
        pytest.skip("no /usr/bin/true on this host")
    with vmsim.Machine() as m:
        t = m.spawn("e")
        info = t.exec("/usr/bin/true", argv=["true", "x"], envp=["A=1"])
        assert info["auxv"]["AT_PAGESZ"] == 4096
        assert int.from_bytes(t.read(info["sp"], 8), "little") == 2     # argc
        with pytest.raises(FileNotFoundError) as e:
            t.exec("/no/such/file")
        assert "/no/such/file" in str(e.value)


def test_replay(m):
    t = m.spawn("r")
    with m.replay(t) as rp:
        rp.access(0x400000, 8, "S")
        rp.batch([(0x400000 + i * 4096, 4, "L") for i in range(16)])
        c = rp.counters()
        assert c["accesses"] == 17 and c["min_flt"] == 16
        rp.file(os.path.join(ROOT, "tests/traces/course.rw.gz"))
        assert rp.counters()["accesses"] > 17
        with pytest.raises(OSError):
            rp.access(0, 0)
        with pytest.raises(FileNotFoundError):
            rp.file("/no/trace")


SILB = os.path.join(ROOT, "tests/traces/silberschatz.pages")


@pytest.mark.parametrize("policy,faults", [("fifo", 15), ("lru", 12), ("opt", 9)])
def test_replay_policy(policy, faults):
    # Silberschatz's reference string in 3 frames: FIFO 15, LRU 12, OPT 9
    with vmsim.Machine("x86_64", sets={"memory.size": "256MiB"}) as mach:
        t = mach.spawn("r")
        with mach.replay(t) as rp:
            rp.set_policy(policy, frames=3, trace=SILB)
            rp.file(SILB)
            s = rp.stats()
    r = s["replacement"]
    assert r["policy"] == policy and r["frames"] == 3 and r["references"] == 20
    assert r["faults"] == faults and r["first_use_faults"] == 6
    assert s["accesses"] == 20 and s["by_type"]["L"] == 20
    assert s["tlb"]["l1d"]["misses"] >= faults
    assert [lv["intel_name"] for lv in s["levels"]] == ["PML4E", "PDPTE", "PDE", "PTE"]
    assert s["levels"][3]["linux_name"] == "pte" and s["levels"][3]["page_size"] == 4096
    assert sum(lv["entries_read"] for lv in s["levels"]) == s["walk_entries_read"]
    assert s["faults"]["min_flt"] >= 6


def test_replay_policy_errors(m):
    t = m.spawn("r")
    with m.replay(t) as rp:
        with pytest.raises(FileNotFoundError):
            rp.set_policy("belady", frames=3)
        with pytest.raises(OSError) as e:
            rp.set_policy("opt", frames=3)      # opt needs the trace ahead
        assert e.value.errno == errno.EINVAL
        rp.access(0x400000)
        with pytest.raises(OSError):
            rp.set_policy("lru", frames=3)      # not after a record
        assert rp.stats()["replacement"] is None


def test_traces_and_mrc(tmp_path):
    recs = list(vmsim.read_trace(SILB))
    assert len(recs) == 20 and recs[0][2] == "L"
    assert recs[1][0] + 4096 == recs[2][0]          # pages 0 then 1
    out = tmp_path / "silb.vmsim"
    assert vmsim.convert_trace(SILB, out) == 20
    assert list(vmsim.read_trace(out)) == recs
    mc = vmsim.Mrc(SILB, opt=True)
    assert mc.info()["references"] == 20 and mc.info()["footprint"] == 6
    assert mc.lru_faults(3) == 12 and mc.opt_faults(3) == 9
    assert mc.lru_faults(6) == 6
    assert mc.tlb_misses(1) == 20
    with pytest.raises(OSError):
        mc.error()                                # no exact_too
    mc.close()
    # the same from records, sampled at a rate that keeps them all
    mc = vmsim.Mrc(records=recs, sample=1.0)
    assert mc.lru_faults(3) == 12
    with pytest.raises(FileNotFoundError):
        vmsim.Mrc("/no/trace")


def test_scenario():
    res, out = vmsim.run_scenario(os.path.join(ROOT, "examples/mmap-placement.yaml"))
    assert res["failed"] == 0 and res["checked"] > 5
    res, out = vmsim.run_scenario(text="steps:\n  - spawn: { task: a }\n", name="s.yaml",
                                  sets={"memory.size": "64MiB"})
    assert res == {"steps_run": 1, "checked": 0, "failed": 0}
    assert "s.yaml: 1 steps" in out
    with pytest.raises(OSError) as e:
        vmsim.run_scenario(text="steps: 1\n", name="bad.yaml")
    assert "bad.yaml:1" in str(e.value)
