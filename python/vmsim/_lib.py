"""The C declarations of include/vmsim/*.h for ctypes, and the library.

Each structure mirrors its C definition field for field; the function
table gives every call its argument and return types, so ctypes converts
and checks them.  The shared library is $VMSIM_LIBRARY when set, else
libvmsim.so.0 wherever the dynamic loader finds it.
"""
import ctypes
import ctypes.util
import os

c_u64 = ctypes.c_uint64
c_char_p = ctypes.c_char_p


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 512)]


class SpawnOpts(ctypes.Structure):
    _fields_ = [("start_brk", c_u64), ("stack_size", c_u64), ("stack_rlimit", c_u64)]


class ExecOpts(ctypes.Structure):
    _fields_ = [("path", c_char_p), ("host_path", c_char_p), ("sysroot", c_char_p),
                ("argv", ctypes.POINTER(c_char_p)), ("envp", ctypes.POINTER(c_char_p)),
                ("stack_rlimit", c_u64), ("has_stack_rlimit", ctypes.c_int)]


class ExecInfo(ctypes.Structure):
    _fields_ = [("ip", c_u64), ("sp", c_u64), ("load_bias", c_u64), ("interp_base", c_u64),
                ("vdso_base", c_u64), ("compat", ctypes.c_int), ("nr_auxv", ctypes.c_uint),
                ("auxv", (c_u64 * 2) * 24), ("interp", ctypes.c_char * 256)]


MM_FIELDS = ("start_code", "end_code", "start_data", "end_data", "start_brk", "brk",
             "start_stack", "arg_start", "arg_end", "env_start", "env_end", "mmap_base",
             "total_vm", "rss")


class MmInfo(ctypes.Structure):
    _fields_ = [(f, c_u64) for f in MM_FIELDS] + [("map_count", ctypes.c_uint)]


class Outcome(ctypes.Structure):
    _fields_ = [("signal", ctypes.c_int), ("si_code", ctypes.c_int), ("addr", c_u64),
                ("done", ctypes.c_size_t), ("faults", ctypes.c_uint)]


class WalkLevel(ctypes.Structure):
    _fields_ = [("depth", ctypes.c_uint), ("name", c_char_p), ("intel", c_char_p),
                ("table", c_u64), ("index", ctypes.c_uint), ("entry_addr", c_u64),
                ("entry", c_u64), ("entry_size", ctypes.c_uint), ("flags", ctypes.c_char * 96),
                ("swap", ctypes.c_int), ("swap_type", ctypes.c_uint), ("swap_offset", c_u64),
                ("swap_exclusive", ctypes.c_int)]


WALK_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(WalkLevel), ctypes.c_void_p)


class SegStep(ctypes.Structure):
    _fields_ = [("reg", c_char_p), ("selector_value", ctypes.c_int), ("selector", ctypes.c_uint16),
                ("cpl", ctypes.c_uint), ("long_mode", ctypes.c_int), ("desc_read", ctypes.c_int),
                ("desc_addr", c_u64), ("desc_pa", c_u64), ("desc", c_u64),
                ("cached", ctypes.c_int), ("unusable", ctypes.c_int), ("base", c_u64),
                ("limit", ctypes.c_uint32), ("type", ctypes.c_uint), ("dpl", ctypes.c_uint),
                ("s", ctypes.c_int), ("p", ctypes.c_int), ("db", ctypes.c_int),
                ("l", ctypes.c_int), ("g", ctypes.c_int), ("avl", ctypes.c_int),
                ("offset", c_u64), ("ok", ctypes.c_int), ("linear", c_u64),
                ("vector", ctypes.c_uint), ("error_code", ctypes.c_uint32), ("cr2", c_u64),
                ("why", c_char_p)]


SEG_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(SegStep), ctypes.c_void_p)


class _SegWord(ctypes.Union):
    _fields_ = [("seg", SEG_FN), ("seg_word", c_u64)]


class TranslateOpts(ctypes.Structure):
    _anonymous_ = ("_u",)
    _fields_ = [("access", ctypes.c_int), ("mode", ctypes.c_int), ("cpu", ctypes.c_uint),
                ("walk", WALK_FN), ("arg", ctypes.c_void_p),
                ("segment", ctypes.c_int), ("selector", ctypes.c_uint16),
                ("size", ctypes.c_uint16), ("_u", _SegWord), ("reserved", c_u64 * 4)]


class Translation(ctypes.Structure):
    _fields_ = [("pa", c_u64), ("cr3", c_u64), ("format", c_char_p), ("fault", ctypes.c_int),
                ("error_code", ctypes.c_uint32), ("fault_level", c_char_p),
                ("walk_ok", ctypes.c_int), ("page_pa", c_u64), ("page_shift", ctypes.c_uint),
                ("walk_fault", ctypes.c_int), ("walk_error_code", ctypes.c_uint32),
                ("walk_fault_level", c_char_p)]


class ViewOpts(ctypes.Structure):
    _fields_ = [("task", c_char_p), ("has_addr", ctypes.c_int), ("addr", c_u64),
                ("json", ctypes.c_int)]


class Rec(ctypes.Structure):
    _fields_ = [("addr", c_u64), ("size", ctypes.c_uint32), ("type", ctypes.c_int)]


REPLAY_FIELDS = ("accesses", "instructions", "page_touches", "crossings", "l1d_hits",
                 "l1d_misses", "l1i_hits", "l1i_misses", "l2_hits", "l2_misses", "walks",
                 "entries_read", "min_flt", "segv", "regions", "region_bytes", "rss", "pt_pages")


class ReplayCounters(ctypes.Structure):
    _fields_ = [(f, c_u64) for f in REPLAY_FIELDS]


class ReplayPolicy(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("frames", c_u64), ("refresh", c_u64), ("tau", c_u64),
                ("seed", c_u64), ("trace", c_char_p), ("format", c_char_p),
                ("reserved", c_u64 * 4)]


class Count(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("value", c_u64)]


class Level(ctypes.Structure):
    _fields_ = [("linux_level", ctypes.c_int), ("intel_name", c_char_p), ("page_size", c_u64),
                ("maps", ctypes.c_int), ("entries_read", c_u64), ("pages_mapped", c_u64),
                ("psc_name", c_char_p), ("psc_hits", c_u64), ("psc_misses", c_u64)]


U = ctypes.c_uint
# struct vmsim_replay_stats; vmsim_replay_stats() fills no more than its size
REPLAY_POLICY_FIELDS = ("references", "faults_policy", "first_use_faults", "evictions",
                        "dirty_evictions", "disk_writes", "ticks_run", "bit_clears")


class ReplayStats(ctypes.Structure):
    _fields_ = ([("accesses", c_u64), ("by_type", c_u64 * 4), ("instructions", c_u64),
                 ("page_touches", c_u64), ("crossings", c_u64), ("tlb", (Count * 6) * 3),
                 ("l1d_large_fills", c_u64), ("l1d_large_evictions", c_u64),
                 ("l1i_large_fills", c_u64), ("l1i_large_evictions", c_u64),
                 ("walks", c_u64), ("entries_read", c_u64), ("format", c_char_p),
                 ("levels", U), ("level", Level * 5), ("entries_saved", c_u64),
                 ("cost_l1_hit", U), ("cost_l2_hit", U), ("cost_walk_ref", U),
                 ("translation_cycles", c_u64), ("faults", Count * 8), ("segv", c_u64),
                 ("regions", c_u64), ("region_bytes", c_u64), ("unmappable", c_u64),
                 ("rss", c_u64), ("pt_pages", c_u64), ("flat", ctypes.c_int),
                 ("oom", ctypes.c_int), ("machine", c_char_p), ("policy", c_char_p),
                 ("frames", c_u64), ("refresh", c_u64), ("tau", c_u64), ("seed", c_u64),
                 ("ticks", ctypes.c_int), ("uses_tau", ctypes.c_int),
                 ("uses_seed", ctypes.c_int), ("kernel", ctypes.c_int)] +
                [(f, c_u64) for f in REPLAY_POLICY_FIELDS] +
                [("swap_pages", c_u64), ("reclaim", Count * 15)])


class MrcOpts(ctypes.Structure):
    _fields_ = [("sample", ctypes.c_double), ("exact_too", ctypes.c_int), ("opt", ctypes.c_int),
                ("reserved", c_u64 * 4)]


MRC_INFO_FIELDS = ("records", "references", "instructions", "footprint", "footprint_huge",
                   "sample_rate", "sampled_references", "sampled_pages", "host_bytes",
                   "host_bytes_sampled")


class MrcInfo(ctypes.Structure):
    _fields_ = [(f, ctypes.c_double if f == "sample_rate" else c_u64) for f in MRC_INFO_FIELDS]


class TraceInfo(ctypes.Structure):
    _fields_ = [("format", c_char_p), ("label", c_char_p), ("compression", c_char_p),
                ("bytes_read", c_u64), ("total_bytes", c_u64)]


class ScenarioOpts(ctypes.Structure):
    _fields_ = [("config", c_char_p), ("sets", ctypes.POINTER(c_char_p)), ("json", ctypes.c_int),
                ("check", ctypes.c_int), ("check_every", ctypes.c_uint), ("verbose", ctypes.c_int),
                ("events", ctypes.c_void_p), ("events_arg", ctypes.c_void_p),
                ("reserved", c_u64 * 4)]


class ScenarioResult(ctypes.Structure):
    _fields_ = [("steps_run", ctypes.c_uint), ("checked", ctypes.c_uint),
                ("failed", ctypes.c_uint)]


STAT_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_char_p, c_u64, ctypes.c_void_p)
EVENT_FN = ctypes.CFUNCTYPE(None, c_u64, c_char_p, c_char_p, c_char_p, ctypes.c_void_p)

P = ctypes.c_void_p     # the opaque handles
I = ctypes.c_int
PU64 = ctypes.POINTER(c_u64)
PERR = ctypes.POINTER(Error)

# name: (return type, argument types)
FUNCTIONS = {
    "vmsim_version": (c_char_p, []),
    "vmsim_version_number": (ctypes.c_uint, []),
    "vmsim_host_oom_count": (ctypes.c_ulong, []),
    "vmsim_machine_create": (P, [c_char_p, ctypes.POINTER(c_char_p), PERR]),
    "vmsim_machine_create_yaml": (P, [c_char_p, c_char_p, ctypes.POINTER(c_char_p), PERR]),
    "vmsim_machine_destroy": (None, [P]),
    "vmsim_machine_check": (I, [P, PERR]),
    "vmsim_alloc_pages": (I, [P, c_char_p, ctypes.c_uint, PU64]),
    "vmsim_free_pages": (I, [P, c_u64, ctypes.c_uint]),
    "vmsim_task_spawn": (I, [P, c_char_p, ctypes.POINTER(SpawnOpts), ctypes.POINTER(P)]),
    "vmsim_task_fork": (I, [P, c_char_p, ctypes.c_ulong, ctypes.POINTER(P)]),
    "vmsim_task_exit": (None, [P]),
    "vmsim_task_switch": (I, [P, ctypes.c_uint, P]),
    "vmsim_task_current": (P, [P, ctypes.c_uint]),
    "vmsim_task_find": (P, [P, c_char_p]),
    "vmsim_task_pid": (I, [P]),
    "vmsim_task_name": (c_char_p, [P]),
    "vmsim_task_machine": (P, [P]),
    "vmsim_task_exec": (I, [P, ctypes.POINTER(ExecOpts), ctypes.POINTER(ExecInfo), PERR]),
    "vmsim_auxv_name": (c_char_p, [c_u64]),
    "vmsim_task_mm_info": (I, [P, ctypes.POINTER(MmInfo)]),
    "vmsim_mmap": (I, [P, c_u64, c_u64, I, I, c_char_p, c_u64, PU64]),
    "vmsim_mmap_file": (I, [P, c_u64, c_u64, I, I, c_char_p, I, c_u64, PU64]),
    "vmsim_munmap": (I, [P, c_u64, c_u64]),
    "vmsim_mprotect": (I, [P, c_u64, c_u64, I]),
    "vmsim_brk": (I, [P, c_u64, PU64]),
    "vmsim_mremap": (I, [P, c_u64, c_u64, c_u64, I, c_u64, PU64]),
    "vmsim_madvise": (I, [P, c_u64, c_u64, I]),
    "vmsim_mlock": (I, [P, c_u64, c_u64]),
    "vmsim_mlock2": (I, [P, c_u64, c_u64, I]),
    "vmsim_munlock": (I, [P, c_u64, c_u64]),
    "vmsim_mlockall": (I, [P, I]),
    "vmsim_munlockall": (I, [P]),
    "vmsim_mincore": (I, [P, c_u64, c_u64, ctypes.c_char_p, ctypes.c_size_t]),
    "vmsim_msync": (I, [P, c_u64, c_u64, I]),
    "vmsim_access": (I, [P, I, c_u64, ctypes.c_void_p, ctypes.c_size_t,
                         ctypes.POINTER(Outcome)]),
    "vmsim_translate": (I, [P, P, c_u64, ctypes.POINTER(TranslateOpts),
                            ctypes.POINTER(Translation)]),
    "vmsim_stat": (I, [P, c_char_p, PU64]),
    "vmsim_stats_foreach": (I, [P, STAT_FN, ctypes.c_void_p]),
    "vmsim_view": (ctypes.c_long, [P, c_char_p, ctypes.POINTER(ViewOpts), ctypes.c_char_p,
                                   ctypes.c_size_t, PERR]),
    "vmsim_view_names": (ctypes.c_long, [ctypes.c_char_p, ctypes.c_size_t]),
    "vmsim_events_subscribe": (I, [P, EVENT_FN, ctypes.c_void_p]),
    "vmsim_replay_open": (I, [P, P, I, ctypes.POINTER(P)]),
    "vmsim_replay_close": (None, [P]),
    "vmsim_replay_access": (I, [P, c_u64, ctypes.c_uint32, I]),
    "vmsim_replay_batch": (I, [P, ctypes.POINTER(Rec), ctypes.c_size_t]),
    "vmsim_replay_file": (I, [P, c_char_p, c_char_p, PERR]),
    "vmsim_replay_counters": (I, [P, ctypes.POINTER(ReplayCounters)]),
    "vmsim_replay_set_policy": (I, [P, ctypes.POINTER(ReplayPolicy), PERR]),
    "vmsim_replay_stats": (I, [P, ctypes.POINTER(ReplayStats), ctypes.c_size_t]),
    "vmsim_pt_level_name": (c_char_p, [ctypes.c_uint]),
    "vmsim_trace_open": (I, [c_char_p, c_char_p, ctypes.POINTER(P), PERR]),
    "vmsim_trace_read": (ctypes.c_long, [P, ctypes.POINTER(Rec), ctypes.c_size_t, PERR]),
    "vmsim_trace_info": (I, [P, ctypes.POINTER(TraceInfo)]),
    "vmsim_trace_close": (None, [P]),
    "vmsim_trace_convert": (ctypes.c_longlong, [c_char_p, c_char_p, c_char_p, PERR]),
    "vmsim_mrc_open": (I, [ctypes.POINTER(MrcOpts), ctypes.POINTER(P), PERR]),
    "vmsim_mrc_close": (None, [P]),
    "vmsim_mrc_batch": (I, [P, ctypes.POINTER(Rec), ctypes.c_size_t]),
    "vmsim_mrc_finish": (I, [P, PERR]),
    "vmsim_mrc_info": (I, [P, ctypes.POINTER(MrcInfo)]),
    "vmsim_mrc_lru_faults": (ctypes.c_double, [P, c_u64]),
    "vmsim_mrc_tlb_misses": (ctypes.c_double, [P, c_u64, I]),
    "vmsim_mrc_opt_faults": (I, [P, c_u64, PU64]),
    "vmsim_mrc_error": (I, [P, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]),
    "vmsim_scenario_run": (I, [c_char_p, ctypes.POINTER(ScenarioOpts), P,
                               ctypes.POINTER(ScenarioResult), PERR]),
    "vmsim_scenario_run_string": (I, [c_char_p, c_char_p, ctypes.POINTER(ScenarioOpts), P,
                                      ctypes.POINTER(ScenarioResult), PERR]),
}


def _load():
    path = os.environ.get("VMSIM_LIBRARY") or ctypes.util.find_library("vmsim") or "libvmsim.so.0"
    lib = ctypes.CDLL(path)
    for name, (res, args) in FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


lib = _load()

# the C library, for the FILE * a scenario prints to
libc = ctypes.CDLL(None)
libc.open_memstream.restype = ctypes.c_void_p
libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.free.argtypes = [ctypes.c_void_p]


def strings(seq):
    """A NULL-terminated char *[] of @seq (None stays NULL), and its owner."""
    if seq is None:
        return None
    arr = (c_char_p * (len(seq) + 1))(*[s.encode() for s in seq], None)
    return arr
