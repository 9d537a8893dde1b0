#!/usr/bin/env python3
"""make bench: lkc and the official LiveKit Python SDK side by side, on one local server.

Starts a loopback-only livekit-server (scripts/lk-server), runs the lkc programs
(build/bench/bench_*) and bench/lk_py.py (the Python SDK, run by .tools/venv/bin/python)
one after the other, and writes the side-by-side table to stdout and to
bench/results/latest.md (raw records in bench/results/latest.json, child logs in
build/bench-logs/). Standard library only.

Environment:
  LKC_BENCH_QUICK=1     short run: fewer repetitions, shorter windows, smaller N
  LKC_BENCH_ONLY=a,b    sections to run: size join first m2e footprint cpu scale data rpc streams
                        apm reconnect
  LKC_BENCH_BUILD=DIR   CMake build directory holding bench/ and liblkc.so (default build)
"""
import datetime
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.path.join(TOP, os.environ.get("LKC_BENCH_BUILD", "build")))
BIN = os.path.join(BUILD, "bench")
PY = os.path.join(TOP, ".tools/venv/bin/python")
LKPY = os.path.join(TOP, "bench/lk_py.py")
RESULTS = os.path.join(TOP, "bench/results")
LOGS = os.path.join(BUILD, "bench-logs")
SERVER_DIR = os.path.join(BUILD, "bench-server")
QUICK = os.environ.get("LKC_BENCH_QUICK", "") not in ("", "0")
ALL_SECTIONS = ["size", "join", "first", "m2e", "footprint", "cpu", "scale", "data", "rpc", "streams", "apm",
                "reconnect"]
ONLY = [s for s in os.environ.get("LKC_BENCH_ONLY", "").replace(" ", "").split(",") if s]

# --- parameters (full / quick) -------------------------------------------------------------
P = {
    "joins": 8 if QUICK else 20,
    "first_reps": 3 if QUICK else 10,
    "clicks": 20 if QUICK else 50,
    "fp_rounds": 1 if QUICK else 3,
    "fp_seconds": 10 if QUICK else 30,
    "cpu_ns": [1, 10] if QUICK else [1, 10, 50],
    "cpu_warmup": 3 if QUICK else 5,
    "cpu_windows": 2 if QUICK else 3,
    "cpu_window_s": 6 if QUICK else 20,
    "scale_lkc": [25, 50, 100] if QUICK else [25, 50, 100, 150, 200],
    "scale_py": [5, 10, 15] if QUICK else [5, 10, 15, 20, 25, 50, 100, 150, 200],
    "scale_window_s": 8 if QUICK else 20,
    "data_runs": 2 if QUICK else 3,
    "data_small": (1024, 1000 if QUICK else 2000),
    "data_big": (15360, 200 if QUICK else 500),
    "burst": (15360, 2000),
    "rpc_count": 200 if QUICK else 500,
    "stream_mib": 10,
    "stream_runs": 2 if QUICK else 3,
    "source_queue_ms_load": 200,  # lkc buffered source for cpu/scale (Python's default is 1000 ms)
}

COMMANDS = []      # (section, argv) as run, for the record
RAW = {}           # everything measured, for latest.json
T_START = time.time()


def log(msg):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --- machine state ---------------------------------------------------------------------------

def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return [-1, -1, -1]


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v), idle


class Busy:
    """Whole-machine CPU use (all processes, ours included) between start and stop."""

    def __init__(self):
        self.t0 = cpu_times()
        self.l0 = loadavg()

    def stop(self):
        t1 = cpu_times()
        tot, idle = t1[0] - self.t0[0], t1[1] - self.t0[1]
        return {"busy_pct": round(100.0 * (tot - idle) / tot, 1) if tot else -1,
                "load_start": self.l0[0], "load_end": loadavg()[0]}


def proc_cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        tck = os.sysconf("SC_CLK_TCK")
        return (int(parts[11]) + int(parts[12])) / tck
    except (OSError, IndexError, ValueError):
        return -1.0


# --- child processes -----------------------------------------------------------------------

class Proc:
    """A child printing JSON lines; stderr goes to a log file."""
    seq = 0

    def __init__(self, section, name, argv, stdin=False, env=None):
        Proc.seq += 1
        self.name = name
        self.logpath = os.path.join(LOGS, f"{Proc.seq:03d}-{name}.log")
        self.logf = open(self.logpath, "w")
        COMMANDS.append((section, argv))
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.logf,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  env=env or ENV, text=True, bufsize=1, cwd=TOP)
        self.q = queue.Queue()
        self.records = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            self.records.append(obj)
            self.q.put(obj)
        self.q.put(None)

    def wait_ev(self, ev, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                obj = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if obj is None:
                self.q.put(None)
                return None
            if obj.get("ev") == ev:
                return obj

    def close_stdin(self):
        try:
            if self.p.stdin:
                self.p.stdin.close()
        except OSError:
            pass

    def wait(self, timeout):
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: still running after {timeout:.0f} s; stopping it (see {self.logpath})")
            self.p.send_signal(signal.SIGTERM)
            try:
                rc = self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                rc = self.p.wait()
        time.sleep(0.05)  # let the reader thread take the last lines
        self.logf.close()
        return rc

    def events(self, ev):
        return [r for r in self.records if r.get("ev") == ev]


def run(section, name, argv, timeout):
    p = Proc(section, name, argv)
    rc = p.wait(timeout)
    if rc != 0:
        log(f"{name} exited with {rc}; log: {p.logpath}")
    return p


def lkc(prog, *args):
    return [os.path.join(BIN, f"bench_{prog}"), *[str(a) for a in args]]


def py(*args):
    return [PY, LKPY, *[str(a) for a in args]]


# --- statistics ------------------------------------------------------------------------------

def summary(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(0.95 * len(s) + 0.5)) - 1))
    return {"med": statistics.median(s), "min": s[0], "max": s[-1], "p95": s[k], "n": len(s)}


def fmt(v, nd=1):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{nd}f}"


def cell(s, nd=1, key="med"):
    if not s:
        return "—"
    if s["n"] == 1:
        return fmt(s[key], nd)
    return f"{fmt(s[key], nd)} [{fmt(s['min'], nd)}–{fmt(s['max'], nd)}]"


ROWS = []  # main table rows


def row(figure, unit, l, p, target=None, lower_is_better=True, nd=1, ratio=True, note=""):
    r = None
    if ratio and l and p and p["med"]:
        r = l["med"] / p["med"]
    met = ""
    if target is not None and r is not None:
        met = "yes" if (r <= target if lower_is_better else r >= target) else "no"
    ROWS.append({"figure": figure, "unit": unit, "lkc": l, "py": p, "ratio": r,
                 "target": f"≤ {target}×" if target is not None and lower_is_better else
                 (f"≥ {target}×" if target is not None else ""), "met": met, "nd": nd, "note": note})


def absrow(figure, unit, l, target_text, met, nd=1, p=None, note=""):
    ROWS.append({"figure": figure, "unit": unit, "lkc": l, "py": p, "ratio": None, "target": target_text,
                 "met": met, "nd": nd, "note": note})


DETAIL = []  # extra markdown blocks (title, lines)


# --- the server --------------------------------------------------------------------------------

def start_server():
    out = subprocess.run([sys.executable, os.path.join(TOP, "scripts/lk-server"), "start", "--dir", SERVER_DIR,
                          "--log-level", "warn"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: could not start livekit-server:\n{out.stdout}{out.stderr}")
    env = dict(os.environ)
    env.pop("LKC_LOG", None)
    with open(os.path.join(SERVER_DIR, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                env[k] = v
    env["PYTHONWARNINGS"] = "ignore"
    return env


def stop_server():
    subprocess.run([sys.executable, os.path.join(TOP, "scripts/lk-server"), "stop", "--dir", SERVER_DIR],
                   capture_output=True, text=True)


ENV = dict(os.environ)


def server_pid():
    try:
        return int(ENV.get("LKC_TEST_SERVER_PID", "0"))
    except ValueError:
        return 0


# --- sections ----------------------------------------------------------------------------------

def sec_size():
    lib = os.path.realpath(os.path.join(BUILD, "liblkc.so"))
    tmp = tempfile.mkdtemp(prefix="lkc-bench-")
    stripped = os.path.join(tmp, "liblkc.so")
    shutil.copy(lib, stripped)
    subprocess.run(["strip", "--strip-all", stripped], check=True)
    size_stripped = os.path.getsize(stripped)
    sz = subprocess.run(["size", stripped], capture_output=True, text=True).stdout.splitlines()
    text_data_bss = sz[1].split()[:3] if len(sz) > 1 else []
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", lib], capture_output=True, text=True).stdout)
    ldd = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    deps = []
    for n in needed:
        p = paths.get(n)
        deps.append((n, os.path.getsize(os.path.realpath(p)) if p and os.path.exists(p) else None))
    shutil.rmtree(tmp)
    ffi = os.path.join(TOP, ".tools/venv/lib")
    ffi_path = None
    for root, _dirs, files in os.walk(ffi):
        if "liblivekit_ffi.so" in files:
            ffi_path = os.path.join(root, "liblivekit_ffi.so")
            break
    ffi_size = os.path.getsize(ffi_path) if ffi_path else None
    RAW["size"] = {"liblkc_unstripped": os.path.getsize(lib), "liblkc_stripped": size_stripped,
                   "text_data_bss": text_data_bss, "needed": deps, "liblivekit_ffi": ffi_size}
    mb = 1024 * 1024
    one = lambda v: {"med": v, "min": v, "max": v, "p95": v, "n": 1}  # noqa: E731
    row("Library size, stripped (liblkc.so vs liblivekit_ffi.so)", "MiB", one(size_stripped / mb),
        one(ffi_size / mb) if ffi_size else None, nd=2)
    absrow("liblkc.so stripped ≤ 1 MB", "KiB", one(size_stripped / 1024), "≤ 1024 KiB",
           "yes" if size_stripped <= 1024 * 1024 else "no", nd=0)
    lines = [f"- liblkc.so as built ({os.path.relpath(lib, TOP)}): {os.path.getsize(lib):,} B; "
             f"stripped (`strip --strip-all`): **{size_stripped:,} B**; text/data/bss: "
             f"{' / '.join(text_data_bss)} B",
             f"- liblivekit_ffi.so (the Python SDK's native core, as shipped, already stripped): "
             f"{ffi_size:,} B" if ffi_size else "- liblivekit_ffi.so: not found"]
    tot = sum(s for _n, s in deps if s)
    lines.append(f"- liblkc.so's direct dependencies (NEEDED), file sizes: " +
                 ", ".join(f"{n} {s / 1024:,.0f} KiB" if s else n for n, s in deps) + f"; total {tot / mb:.1f} MiB")
    DETAIL.append(("Library size", lines))


def sec_join():
    n = P["joins"]
    b = Busy()
    pl = run("join", "join-lkc", lkc("join", "--count", n), 300)
    pp = run("join", "join-py", py("join", "--count", n), 600)
    busy = b.stop()
    lj = pl.events("join")
    pj = pp.events("join")
    RAW["join"] = {"lkc": lj, "py": pj, "machine": busy}
    lw = summary([j["ms"] for j in lj if not j["cold"]])
    pw = summary([j["ms"] for j in pj if not j["cold"]])
    pc = summary([j["connect_ms"] for j in pj if not j["cold"]])
    row(f"Join: connect → both PCs up, able to publish ({n} warm joins)", "ms", lw, pw, target=0.5)
    row("Join, cold (first in a fresh process)", "ms", summary([j["ms"] for j in lj if j["cold"]]),
        summary([j["ms"] for j in pj if j["cold"]]), ratio=True)
    lines = [f"Machine during this section: {busy['busy_pct']}% CPU busy (all processes), "
             f"load {busy['load_start']:.2f} → {busy['load_end']:.2f}.", "",
             "Python's `await room.connect()` returns once the signal is joined and the *subscriber* "
             "peer connection is connected (`wait_pc_connection`); the publisher PC is negotiated at "
             "connect time too but not awaited. The Python figure above is `connect()` followed by "
             "one reliable `publish_data()` (which waits for the publisher PC and its `_reliable` "
             "channel), i.e. the same state as lkc's CONNECTED. "
             f"`connect()` alone: {cell(pc)} ms.", "",
             "lkc connect timeline (warm joins; ms since lkc_room_connect(); median [min–max]):", "",
             "| phase | ms |", "|---|---|"]
    phases = ["signal_open", "join_received", "subscriber_ice", "subscriber_dtls", "subscriber_channels",
              "publisher_ice", "publisher_dtls", "publisher_channels", "connected"]
    for ph in phases:
        s = summary([j["timeline"][ph] for j in lj if not j["cold"] and j["timeline"][ph] >= 0])
        lines.append(f"| {ph} | {cell(s, 0)} |")
    lines.append("")
    lines.append(f"lkc destroy after join: {cell(summary([j['destroy_ms'] for j in lj]))} ms; "
                 f"Python disconnect(): {cell(summary([j['destroy_ms'] for j in pj]))} ms.")
    DETAIL.append(("Join time", lines))


def sec_first():
    k = P["first_reps"]
    b = Busy()
    pl = run("first", "first-lkc", lkc("audio", "first", "--reps", k), 120 + 15 * k)
    pp = run("first", "first-py", py("first", "--reps", k), 120 + 20 * k)
    busy = b.stop()
    lf = [r for r in pl.events("first") if r["rep"] > 0]
    pf = [r for r in pp.events("first") if r["rep"] > 0]
    RAW["first"] = {"lkc": pl.events("first") + pl.events("first_fail"),
                    "py": pp.events("first") + pp.events("first_fail"), "machine": busy}
    row(f"First audio: publish → first audible decoded frame ({k} reps)", "ms",
        summary([r["ms"] for r in lf]), summary([r["ms"] for r in pf]))
    fails = len(pl.events("first_fail")), len(pp.events("first_fail"))
    DETAIL.append(("First audio", [
        f"Machine: {busy['busy_pct']}% busy, load {busy['load_start']:.2f} → {busy['load_end']:.2f}. "
        f"Failed reps: lkc {fails[0]}, Python {fails[1]}.", "",
        "The publisher starts a 440 Hz tone (-10 dBFS, real-time 10 ms captures) and publishes it; "
        "the subscriber (auto-subscribe, same process) opens an AudioStream when the track appears and "
        "the time is taken when a frame with a peak ≥ 1000 is read.", "",
        "| step (ms after the publish call) | lkc | Python |", "|---|---|---|",
        f"| publish call returned | {cell(summary([r['publish_ms'] for r in lf]))} | "
        f"{cell(summary([r['publish_ms'] for r in pf]))} |",
        f"| track visible at the subscriber / subscribed | {cell(summary([r['track_seen_ms'] for r in lf]))} | "
        f"{cell(summary([r['subscribed_ms'] for r in pf]))} |",
        f"| first RTP packet counted at the subscriber (lkc_audio_stream_get_stats) | "
        f"{cell(summary([r['first_packet_ms'] for r in lf if r.get('first_packet_ms', -1) >= 0]))} | — |",
        f"| first frame read (any content) | {cell(summary([r['first_frame_ms'] for r in lf]))} | "
        f"{cell(summary([r['first_frame_ms'] for r in pf]))} |",
        f"| first audible frame | {cell(summary([r['ms'] for r in lf]))} | "
        f"{cell(summary([r['ms'] for r in pf]))} |"]))


def m2e_pair(tag, pub_kind, sub_kind, clicks, queue_ms=None):
    room = f"m2e-{tag}-{os.getpid()}"
    lead_ms, interval = 2000, 500
    timeout = lead_ms / 1000 + clicks * interval / 1000 + 30
    sub_args = ["sub", "--room", room, "--identity", "m2e-sub", "--from", "m2e-pub", "--clicks", clicks,
                "--timeout", timeout]
    pub_args = ["pub", "--room", room, "--identity", "m2e-pub", "--clicks", clicks, "--interval-ms", interval,
                "--lead-ms", lead_ms, "--wait-for", "m2e-sub"]
    if queue_ms is not None and pub_kind == "lkc":
        pub_args += ["--queue-ms", queue_ms]
    sub = Proc("m2e", f"m2e-{tag}-sub", lkc("audio", *sub_args) if sub_kind == "lkc" else py(*sub_args))
    if not sub.wait_ev("ready", 30):
        log(f"m2e {tag}: the subscriber did not join")
        sub.wait(5)
        return None
    pub = Proc("m2e", f"m2e-{tag}-pub", lkc("audio", *pub_args) if pub_kind == "lkc" else py(*pub_args))
    pub.wait(timeout + 10)
    sub.wait(15)
    ct = [r["t_ns"] for r in pub.events("click")]
    on = [r["t_ns"] for r in sub.events("onset")]
    lat, missed, j = [], 0, 0
    for c in ct:
        while j < len(on) and on[j] < c:
            j += 1
        if j < len(on) and on[j] - c < 450_000_000:
            lat.append((on[j] - c) / 1e6)
            j += 1
        else:
            missed += 1
    res = {"tag": tag, "pub": pub_kind, "sub": sub_kind, "latencies_ms": lat, "clicks": len(ct), "missed": missed,
           "source_stats": pub.events("source_stats"), "stream_stats": sub.events("stream_stats"),
           "queue_ms": queue_ms}
    return res


def sec_m2e():
    n = P["clicks"]
    b = Busy()
    pairs = [("lkc-lkc", "lkc", "lkc", None), ("py-py", "py", "py", None), ("lkc-py", "lkc", "py", None),
             ("py-lkc", "py", "lkc", None)]
    if not QUICK:
        pairs.append(("lkc-lkc-buffered", "lkc", "lkc", 100))
    res = {}
    for tag, a, c, qms in pairs:
        log(f"m2e {tag}: {n} clicks")
        res[tag] = m2e_pair(tag, a, c, n, qms)
    busy = b.stop()
    RAW["m2e"] = {"pairs": res, "machine": busy}
    s = {k: summary(v["latencies_ms"]) if v else None for k, v in res.items()}
    row(f"Mouth-to-ear, median of {n} clicks (lkc→lkc vs Python→Python)", "ms", s["lkc-lkc"], s["py-py"])
    l95 = s["lkc-lkc"] and {"med": s["lkc-lkc"]["p95"], "n": 1, "min": 0, "max": 0, "p95": 0}
    p95 = s["py-py"] and {"med": s["py-py"]["p95"], "n": 1, "min": 0, "max": 0, "p95": 0}
    row("Mouth-to-ear, p95", "ms", l95, p95)
    med = s["lkc-lkc"]["med"] if s["lkc-lkc"] else None
    absrow("Mouth-to-ear lkc→lkc median ≤ 60 ms on loopback", "ms",
           s["lkc-lkc"], "≤ 60 ms", "—" if med is None else ("yes" if med <= 60 else "no"))
    lines = [f"Machine: {busy['busy_pct']}% busy, load {busy['load_start']:.2f} → {busy['load_end']:.2f}.", "",
             "A publisher process captures 48 kHz mono in real time, 10 ms per capture call (as a "
             "microphone delivers it): silence with a click (5 ms, 1 kHz, -6 dBFS) every 500 ms after a 2 s "
             "lead-in; DTX off. A subscriber process reads the track in 10 ms frames and notes when a "
             "frame with |x| ≥ 3000 is returned. Latency = that read's return time − the capture call of "
             "the click (CLOCK_MONOTONIC in both processes). It is what the SDKs add between the "
             "application's capture and its read; an audio device would add its own buffers on both ends. "
             "lkc's publisher uses a real-time source (queue_ms 0) unless noted; Python's AudioSource "
             "has its default 1000 ms queue, fed at the real-time pace, so it holds at most one frame.", "",
             "| pair (publisher → subscriber) | median | p95 | min | max | clicks heard / sent | "
             "lkc source frames dropped | reader late / concealed |", "|---|---|---|---|---|---|---|---|"]
    for tag, v in res.items():
        if not v:
            lines.append(f"| {tag} | failed | | | | | | |")
            continue
        ss = summary(v["latencies_ms"])
        src = v["source_stats"][0] if v["source_stats"] else None
        st = v["stream_stats"][0] if v["stream_stats"] else None
        kinds = {"lkc": "lkc", "py": "Python"}
        name = f"{kinds[v['pub']]} → {kinds[v['sub']]}"
        if v["queue_ms"]:
            name += f" (lkc source queue_ms={v['queue_ms']})"
        drops = f"{src['dropped']} of {src['captured']}" if src else "—"
        late = f"{st['late']} / {st['concealed']}" if st else "—"
        if ss:
            stats = f"{fmt(ss['med'])} | {fmt(ss['p95'])} | {fmt(ss['min'])} | {fmt(ss['max'])}"
        else:
            stats = "— | — | — | —"
        lines.append(f"| {name} | {stats} | {v['clicks'] - v['missed']} / {v['clicks']} | {drops} | {late} |")
    DETAIL.append(("Mouth-to-ear latency", lines))


def smaps(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                m = re.match(r"(\w+):\s+(\d+) kB", line)
                if m:
                    out[m.group(1)] = int(m.group(2))
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                m = re.match(r"(VmRSS|VmHWM|Threads):\s+(\d+)", line)
                if m:
                    out[m.group(1)] = int(m.group(2))
    except OSError:
        return None
    out["Private"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    return out


def footprint_one(tag, argv, seconds, peer_argv=None):
    peer = None
    if peer_argv:
        peer = Proc("footprint", f"fp-{tag}-peer", peer_argv, stdin=True)
        if not peer.wait_ev("published", 30):
            log(f"footprint {tag}: the peer did not publish")
    p = Proc("footprint", f"fp-{tag}", argv, stdin=True)
    r = p.wait_ev("ready", 60)
    m = None
    if r:
        time.sleep(seconds)
        m = smaps(p.p.pid)
    else:
        log(f"footprint {tag}: not ready; log {p.logpath}")
    p.close_stdin()
    p.wait(20)
    if peer:
        peer.close_stdin()
        peer.wait(20)
    if m is not None:
        m["stats"] = p.events("stats")
    return m


def sec_footprint():
    rounds, secs = P["fp_rounds"], P["fp_seconds"]
    b = Busy()
    res = {k: [] for k in ("lkc-idle", "lkc-audio", "py-idle", "py-audio", "py-bare", "py-imported")}
    pid = os.getpid()
    for r in range(rounds):
        log(f"footprint round {r + 1}/{rounds} ({secs} s each)")
        res["lkc-idle"].append(footprint_one(
            "lkc-idle", lkc("footprint", "--room", f"fp-li-{pid}-{r}", "--identity", "me", "--mode", "idle"), secs))
        res["lkc-audio"].append(footprint_one(
            "lkc-audio", lkc("footprint", "--room", f"fp-la-{pid}-{r}", "--identity", "me", "--mode", "audio"), secs,
            peer_argv=py("pub", "--room", f"fp-la-{pid}-{r}", "--identity", "peer", "--tone")))
        res["py-idle"].append(footprint_one(
            "py-idle", py("footprint", "--room", f"fp-pi-{pid}-{r}", "--identity", "me", "--mode", "idle"), secs))
        res["py-audio"].append(footprint_one(
            "py-audio", py("footprint", "--room", f"fp-pa-{pid}-{r}", "--identity", "me", "--mode", "audio"), secs,
            peer_argv=lkc("audio", "pub", "--room", f"fp-pa-{pid}-{r}", "--identity", "peer", "--tone")))
        res["py-bare"].append(footprint_one("py-bare", py("bare"), 2))
        res["py-imported"].append(footprint_one("py-imported", py("imported"), 2))
    busy = b.stop()
    RAW["footprint"] = {"rounds": res, "machine": busy, "seconds": secs}

    def s(tag, key):
        return summary([m[key] / 1024 for m in res[tag] if m and key in m])

    bare = s("py-bare", "Private_Dirty")
    pa = s("py-audio", "Private_Dirty")
    pa_net = None
    if pa and bare:
        pa_net = summary([m["Private_Dirty"] / 1024 - bare["med"] for m in res["py-audio"] if m])
    row(f"Footprint, 1 audio pub + 1 sub after {secs} s: private dirty memory (heap, stacks)", "MiB",
        s("lkc-audio", "Private_Dirty"), pa, target=0.2)
    row("… the same, Python minus the bare interpreter", "MiB", s("lkc-audio", "Private_Dirty"), pa_net, target=0.2)
    row("… Private incl. clean file pages (depends on what other processes share)", "MiB",
        s("lkc-audio", "Private"), s("py-audio", "Private"))
    row("… RSS", "MiB", s("lkc-audio", "Rss"), s("py-audio", "Rss"))
    row("Footprint, joined idle (both PCs up): private dirty", "MiB", s("lkc-idle", "Private_Dirty"),
        s("py-idle", "Private_Dirty"))
    lines = [f"Machine: {busy['busy_pct']}% busy, load {busy['load_start']:.2f} → {busy['load_end']:.2f}. "
             f"{rounds} round(s); each process measured alone (its peer is the other SDK, so that no "
             "library pages are shared with a process of its own kind), "
             f"{secs} s after it was ready; values from /proc/PID/smaps_rollup and /proc/PID/status, MiB.",
             "", "Private_Dirty (here equal to Anonymous: heap, thread stacks, dirtied data) is the process's own "
             "memory and does not move between rounds. Private_Clean counts the library code pages that no "
             "other process on the machine happens to map at that moment, so Private (clean + dirty) and Pss "
             "move with whatever else runs (the lead's tests, other builds): on this machine lkc's ranged from 4 to "
             "18 MiB between rounds with the same RSS. The file-backed part of RSS (RSS − Anonymous) is mostly shared library code: "
             "lkc's dependencies (GLib/GIO, OpenSSL, libnice, usrsctp, libopus, libc) vs liblivekit_ffi.so "
             "for Python.", "",
             "| process | RSS | Pss | Private (clean+dirty) | Private dirty | Anonymous | threads |",
             "|---|---|---|---|---|---|---|"]
    names = {"lkc-idle": "lkc, joined idle", "lkc-audio": "lkc, 1 pub + 1 sub",
             "py-idle": "Python SDK, joined idle (publisher PC up)", "py-audio": "Python SDK, 1 pub + 1 sub",
             "py-bare": "bare Python interpreter", "py-imported": "Python + `from livekit import rtc`, no room"}
    for tag, nm in names.items():
        thr = summary([m.get("Threads") for m in res[tag] if m])
        lines.append(f"| {nm} | {cell(s(tag, 'Rss'))} | {cell(s(tag, 'Pss'))} | {cell(s(tag, 'Private'))} | "
                     f"{cell(s(tag, 'Private_Dirty'))} | {cell(s(tag, 'Anonymous'))} | {cell(thr, 0)} |")
    lines += ["", "The driver (bench/run.py) runs under the system python3, not the venv's interpreter, so "
              "it shares no interpreter pages with the measured Python processes."]
    DETAIL.append(("Footprint", lines))


def load_run(kind, n, warmup, windows, window_s, section):
    args = ["--n", n, "--warmup", warmup, "--windows", windows, "--window-s", window_s]
    if kind == "lkc":
        argv = lkc("load", *args, "--queue-ms", P["source_queue_ms_load"])
    else:
        argv = py("load", *args)
    setup_budget = 60 + (2.0 if kind == "lkc" else 4.0) * n
    p = Proc(section, f"{section}-{kind}-{n}", argv)
    ready = p.wait_ev("ready", setup_budget)
    if not ready:
        log(f"{kind} load N={n}: not ready within {setup_budget:.0f} s; log {p.logpath}")
        p.wait(5)
        return None
    spid = server_pid()
    s0, t0 = proc_cpu_s(spid), time.monotonic()
    rc = p.wait(warmup + windows * window_s + 60)
    s1, t1 = proc_cpu_s(spid), time.monotonic()
    ws = p.events("window")
    if rc != 0 or len(ws) < windows:
        log(f"{kind} load N={n}: exited {rc} with {len(ws)} windows; log {p.logpath}")
    return {"ready": ready, "windows": ws, "server_cores": (s1 - s0) / (t1 - t0) if s0 >= 0 and s1 >= 0 else None,
            "rc": rc}


def cpu_per_min(w, n):
    return w["cpu_s"] / w["secs"] * 60.0 / n


def sec_cpu():
    b = Busy()
    res = {"lkc": {}, "py": {}}
    for n in P["cpu_ns"]:
        for kind in ("lkc", "py"):
            log(f"cpu {kind} N={n}")
            res[kind][n] = load_run(kind, n, P["cpu_warmup"], P["cpu_windows"], P["cpu_window_s"], "cpu")
    busy = b.stop()
    RAW["cpu"] = {"runs": res, "machine": busy}
    lines = [f"Machine: {busy['busy_pct']}% busy, load {busy['load_start']:.2f} → {busy['load_end']:.2f}. "
             f"Per N: {P['cpu_warmup']} s warm-up, then {P['cpu_windows']} windows of {P['cpu_window_s']} s "
             "(median [min–max] over the windows). CPU = the process's user+system seconds (all threads) "
             "per minute of wall time, divided by N. Each participant publishes a 440 Hz tone (48 kHz "
             "mono Opus, 10 ms real-time captures) and (N > 1) reads one other participant's track.", "",
             "| N | lkc CPU s / min / participant | Python CPU s / min / participant | ratio | lkc cores | "
             "Python cores | server cores (lkc run / Python run) | lkc threads | audio read, worst window "
             "(lkc / Python) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n in P["cpu_ns"]:
        l, p = res["lkc"].get(n), res["py"].get(n)
        ls = summary([cpu_per_min(w, n) for w in l["windows"]]) if l else None
        ps = summary([cpu_per_min(w, n) for w in p["windows"]]) if p else None
        # a process that cannot keep up does less work than asked: its CPU figure undercounts
        lread = summary([w["samples_read"] / w["expected_samples"] for w in l["windows"]
                         if w["expected_samples"]]) if l else None
        pread = summary([w["samples_read"] / w["expected_samples"] for w in p["windows"]
                         if w["expected_samples"]]) if p else None
        l_sat = lread is not None and lread["min"] < 0.97
        p_sat = pread is not None and pread["min"] < 0.97
        lc = summary([w["cpu_s"] / w["secs"] for w in l["windows"]]) if l else None
        pc = summary([w["cpu_s"] / w["secs"] for w in p["windows"]]) if p else None
        ratio = ls["med"] / ps["med"] if ls and ps and ps["med"] else None
        thr = l["windows"][-1].get("threads") if l and l["windows"] else None
        sc = lambda r: fmt(r["server_cores"], 2) if r and r.get("server_cores") is not None else "—"  # noqa: E731
        rd = lambda r: "—" if r is None else f"{100 * r['min']:.0f}%"  # noqa: E731
        lines.append(f"| {n} | {cell(ls, 2)} | {cell(ps, 2)} | {fmt(ratio, 2)} | {cell(lc, 2)} | {cell(pc, 2)} | "
                     f"{sc(l)} / {sc(p)} | {thr if thr is not None else '—'} | {rd(lread)} / {rd(pread)} |")
        if l_sat or p_sat:
            who = " and ".join(k for k, v in (("lkc", l_sat), ("Python", p_sat)) if v)
            absrow(f"CPU per participant, N={n}", "CPU s / audio min", ls, "≤ 0.3×",
                   f"n/a: {who} could not keep up (read < 97% of the audio), so its CPU undercounts",
                   nd=2, p=ps)
        else:
            row(f"CPU per participant, N={n}", "CPU s / audio min", ls, ps, target=0.3, nd=2)
    DETAIL.append(("CPU per participant", lines))


def judge_lkc(w, n):
    frames = (w["recv"] + w["lost"]) or 1
    bad = (w["late"] + w["concealed"]) / frames
    read = w["samples_read"] / w["expected_samples"] if w["expected_samples"] else 0
    src = w["src_dropped"] + w["src_would_block"]
    src_frac = src / max(1, w["src_sent"] + src)
    return bad, read, src_frac


def judge_py(w, n):
    bad = w["concealed_samples"] / w["samples"] if w.get("stats_ok") and w["samples"] > 0 else 1.0
    read = w["samples_read"] / w["expected_samples"] if w["expected_samples"] else 0
    return bad, read, 0.0


def sec_scale():
    b = Busy()
    res = {"lkc": [], "py": []}
    best = {"lkc": 0, "py": 0}
    def attempt(kind, n, judge):
        log(f"scale {kind} N={n}")
        r = load_run(kind, n, 5, 1, P["scale_window_s"], "scale")
        ok, detail = False, None
        if r and r["windows"]:
            w = r["windows"][-1]
            bad, read, src = judge(w, n)
            ok = bad < 0.01 and read >= 0.99
            detail = {"bad": bad, "read": read, "src_drop": src, "cpu_cores": w["cpu_s"] / w["secs"],
                      "server_cores": r["server_cores"], "setup_s": r["ready"].get("setup_s"),
                      "loadavg": w.get("loadavg")}
        res[kind].append({"n": n, "ok": ok, "detail": detail, "raw": r})
        return ok

    for kind, steps, judge in (("lkc", P["scale_lkc"], judge_lkc), ("py", P["scale_py"], judge_py)):
        fail = None
        for n in steps:
            if not attempt(kind, n, judge):
                fail = n
                break
            best[kind] = n
        # narrow the gap between the last pass and the first failure (twice at most)
        for _ in range(0 if QUICK else 2):
            if fail is None or fail - best[kind] <= 10:
                break
            mid = (best[kind] + fail) // 2 // 5 * 5
            if mid <= best[kind]:
                break
            if attempt(kind, mid, judge):
                best[kind] = mid
            else:
                fail = mid
    busy = b.stop()
    RAW["scale"] = {"runs": res, "best": best, "machine": busy}
    one = lambda v: {"med": v, "min": v, "max": v, "p95": v, "n": 1}  # noqa: E731
    row("Scale: largest N in one process, < 1% late/concealed at the readers (steps; stop at 200)",
        "participants", one(best["lkc"]), one(best["py"]), lower_is_better=False, nd=0)
    absrow("100 audio participants in one process on 2 cores", "participants", one(best["lkc"]), "≥ 100",
           "yes" if best["lkc"] >= 100 else "no", nd=0)
    lines = [f"Machine: {busy['busy_pct']}% busy, load {busy['load_start']:.2f} → {busy['load_end']:.2f}. "
             f"Steps lkc {P['scale_lkc']}, Python {P['scale_py']}; each: joins, 5 s warm-up, one "
             f"{P['scale_window_s']} s window; the walk stops at the first failing step (a full run then "
             "tries up to two N between the last pass and that failure). Pass: late + concealed "
             "< 1% of the frames at the readers and ≥ 99% of the expected samples read. lkc: "
             "(packets_late + frames_concealed) / (packets_received + packets_lost) from "
             "lkc_audio_stream_get_stats; Python: concealed_samples / total_samples_received from the "
             "inbound-rtp stats of each remote track (libwebrtc's NetEq). lkc sources use queue_ms="
             f"{P['source_queue_ms_load']} here; source drops are listed but not part of the criterion.", "",
             "| SDK | N | pass | late+concealed | samples read | source drops | process cores | server cores | "
             "setup s | load avg |", "|---|---|---|---|---|---|---|---|---|---|"]
    for kind in ("lkc", "py"):
        for r in res[kind]:
            d = r["detail"]
            if not d:
                lines.append(f"| {kind} | {r['n']} | no (did not run to the end) | | | | | | | |")
                continue
            lines.append(f"| {'lkc' if kind == 'lkc' else 'Python'} | {r['n']} | {'yes' if r['ok'] else 'no'} | "
                         f"{100 * d['bad']:.2f}% | {100 * d['read']:.1f}% | {100 * d['src_drop']:.2f}% | "
                         f"{d['cpu_cores']:.2f} | {fmt(d['server_cores'], 2)} | {fmt(d['setup_s'], 1)} | "
                         f"{fmt(d['loadavg'], 1)} |")
    DETAIL.append(("Scale", lines))


def sec_data():
    runs = P["data_runs"]
    b = Busy()
    out = {"lkc": [], "py": []}
    for size, count in (P["data_small"], P["data_big"]):
        pl = run("data", f"data-lkc-{size}", lkc("data", "--sizes", size, "--count", count, "--runs", runs), 300)
        pp = run("data", f"data-py-{size}", py("data", "--sizes", size, "--count", count, "--runs", runs), 600)
        out["lkc"] += pl.events("data")
        out["py"] += pp.events("data")
    size, count = P["burst"]
    burst = {}
    pl = run("data", "data-lkc-burst", lkc("data", "--sizes", size, "--count", count, "--runs", 1), 300)
    burst["lkc"] = pl.events("data")
    if not QUICK:
        pp = run("data", "data-py-burst", py("data", "--sizes", size, "--count", count, "--runs", 1), 600)
        burst["py"] = pp.events("data")
    busy = b.stop()
    RAW["data"] = {"runs": out, "burst": burst, "machine": busy}
    for size, count in (P["data_small"], P["data_big"]):
        ls = [r for r in out["lkc"] if r["size"] == size]
        ps = [r for r in out["py"] if r["size"] == size]
        row(f"Reliable data, {size} B × {count}: messages/s", "msg/s", summary([r["msgs_per_s"] for r in ls]),
            summary([r["msgs_per_s"] for r in ps]), lower_is_better=False, nd=0)
        row(f"Reliable data, {size} B × {count}: MB/s", "MB/s", summary([r["mb_per_s"] for r in ls]),
            summary([r["mb_per_s"] for r in ps]), lower_is_better=False, nd=2)
    lines = [f"Machine: {busy['busy_pct']}% busy, load {busy['load_start']:.2f} → {busy['load_end']:.2f}. "
             f"{runs} runs per size. Two participants in one process; the sender calls the publish "
             "function back to back (Python: `await publish_data(...)` each time, the normal way), the "
             "receiver counts in its data handler; time from the first send to the last packet received.",
             "", "| SDK | size B | sent | received (per run) | out of order |", "|---|---|---|---|---|"]
    for kind in ("lkc", "py"):
        for size, count in (P["data_small"], P["data_big"]):
            rs = [r for r in out[kind] if r["size"] == size]
            lines.append(f"| {'lkc' if kind == 'lkc' else 'Python'} | {size} | {count} | "
                         f"{', '.join(str(r['received']) for r in rs)} | {sum(r['out_of_order'] for r in rs)} |")
    for kind, rs in burst.items():
        for r in rs:
            lines.append(f"| {'lkc' if kind == 'lkc' else 'Python'} (burst check) | {r['size']} | {r['count']} | "
                         f"{r['received']} | {r['out_of_order']} |")
    DETAIL.append(("Data throughput", lines))


# --- RPC and data streams ------------------------------------------------------------------------

def pyscript(name, *args):
    return [PY, os.path.join(TOP, "bench", name), *[str(a) for a in args]]


def sec_rpc():
    n = P["rpc_count"]
    b = Busy()
    pl = run("rpc", "rpc-lkc", lkc("rpc", "--count", n), 300)
    pp = run("rpc", "rpc-py", pyscript("py_rpc.py", "--count", n), 600)
    busy = b.stop()
    lr, pr = (pl.events("rpc") or [{}])[-1], (pp.events("rpc") or [{}])[-1]
    RAW["rpc"] = {"lkc": lr, "py": pr, "machine": busy}
    for key, label in (("median_ms", "median"), ("p95_ms", "p95")):
        row(f"RPC round trip ({label}), {n} sequential echo calls", "ms",
            summary([lr[key]] if key in lr else []), summary([pr[key]] if key in pr else []), nd=2)
    DETAIL.append(("RPC round trip", [
        f"Machine: {busy['busy_pct']}% busy. Two participants in one process; A calls B's `echo` "
        f"{n} times in a row (16-byte payload, after 20 warm-up calls), each call timed around the "
        "blocking call (lkc_rpc_call) or the await (perform_rpc): request, ack and response through the "
        "server. Both sides speak RPC v2 (client_protocol 2).",
        f"lkc: {lr.get('ok', '?')}/{lr.get('count', '?')} ok, min {lr.get('min_ms', '?')} ms, max {lr.get('max_ms', '?')} ms; "
        f"Python: {pr.get('ok', '?')}/{pr.get('count', '?')} ok, min {pr.get('min_ms', '?')} ms, max {pr.get('max_ms', '?')} ms."]))


def sec_streams():
    mib, runs = P["stream_mib"], P["stream_runs"]
    b = Busy()
    pl = run("streams", "stream-lkc", lkc("stream", "--mib", mib, "--runs", runs), 600)
    pp = run("streams", "stream-py", pyscript("py_stream.py", "--mib", mib, "--runs", runs), 900)
    busy = b.stop()
    ls, ps = pl.events("stream"), pp.events("stream")
    RAW["streams"] = {"lkc": ls, "py": ps, "machine": busy}
    row(f"Byte stream of {mib} MiB, one participant to another: MB/s", "MB/s",
        summary([r["mb_per_s"] for r in ls if "mb_per_s" in r]),
        summary([r["mb_per_s"] for r in ps if "mb_per_s" in r]), lower_is_better=False, nd=2)
    DETAIL.append(("Data stream throughput", [
        f"Machine: {busy['busy_pct']}% busy. {runs} runs. Two participants in one process; A sends a "
        f"{mib} MiB byte stream (15000-byte chunks), B's handler counts the bytes; time from the send call "
        "to the stream's end at B, content checked.",
        "lkc: " + ", ".join(f"{r.get('secs', '?')} s" for r in ls) + "; Python: " +
        ", ".join(f"{r.get('secs', '?')} s" for r in ps)]))


def sec_apm():
    reps = 3 if QUICK else 5
    b = Busy()
    pl = run("apm", "apm-lkc", lkc("apm", "--delay", 120, "--reps", reps), 300)
    pp = run("apm", "apm-py", pyscript("py_apm.py", "--bench-bin", os.path.join(BIN, "bench_apm"), "--delay", 120,
                                       "--reps", reps), 600)
    busy = b.stop()
    lr, pr = (pl.events("apm") or [{}])[-1], (pp.events("apm") or [{}])[-1]
    RAW["apm"] = {"lkc": lr, "py": pr, "machine": busy}
    one = lambda d, k: summary([d[k]] if k in d else [])  # noqa: E731
    row("Audio processing: CPU per 10 ms frame, AEC+NS+AGC+HPF, 48 kHz mono", "µs", one(lr, "us_per_10ms"),
        one(pr, "us_per_10ms"), nd=0)
    row("Echo return loss enhancement after 2 s (delay given)", "dB", one(lr, "erle_db"), one(pr, "erle_db"),
        lower_is_better=False, nd=1)
    row("ERLE, delay estimated", "dB", one(lr, "erle_est_db"), one(pr, "erle_est_db"), lower_is_better=False, nd=1)
    row("Near-end level change in double talk", "dB", one(lr, "dt_db"), one(pr, "dt_db"), ratio=False, nd=1)
    row("White noise removed (NS alone)", "dB", one(lr, "noise_white_db"), one(pr, "noise_white_db"),
        lower_is_better=False, nd=1)
    DETAIL.append(("Audio processing", [
        f"Machine: {busy['busy_pct']}% busy. The same synthetic signals (tests/unit/test_apm_scenario.h: far end "
        "-20 dBFS, echo -6 dB through a 40 ms impulse response 120 ms late, double talk 4-6 s, white and "
        "babble noise) through lkc's apm (speexdsp) and the Python SDK's AudioProcessingModule (libwebrtc). "
        "docs/apm-choice.md has the candidates and why speexdsp."]))


# --- reconnection ------------------------------------------------------------------------------

RECONNECT_FAULTS = [  # (label, test binary, BENCH key)
    ("signal cut 20 s", "fault_reconnect_signal_cut", "signal_cut"),
    ("UDP blackout 3 s", "fault_reconnect_udp_blackout", "udp_blackout_3s"),
    ("server kill -9, back 2 s later", "fault_reconnect_server_restart", "server_restart"),
]


def parse_result(text):
    """The RESULT line of tests/support/call.c: messages sent and missing per sender."""
    import re
    m = re.search(r"lkc-a sent (\d+): lkc-b got (\d+) once in order \((\d+) missing, (\d+) twice\).*"
                  r"the peer sent (\d+), lkc-a got (\d+) once in order \((\d+) missing\), lkc-b (\d+) "
                  r"\((\d+) missing\)", text)
    if not m:
        return None
    g = [int(x) for x in m.groups()]
    return {"lkc_sent": g[0], "lkc_missing": g[2], "lkc_twice": g[3], "py_sent": g[4], "py_missing": g[8]}


def sec_reconnect():
    """The fault tests' calls (tests/support/call.c) under one fault each, on private servers,
    with iptables on the loopback interface: lkc participants and the Python SDK peer in the
    same room under the same fault, side by side."""
    import re
    tests = os.path.join(BUILD, "tests")
    if os.geteuid() != 0 or not shutil.which("iptables"):
        DETAIL.append(("Reconnection", ["skipped: needs root and iptables (scripts/setup installs it)"]))
        return
    b = Busy()
    res = {}
    for label, binary, key in RECONNECT_FAULTS:
        path = os.path.join(tests, binary)
        if not os.access(path, os.X_OK):
            res[key] = {"error": f"{binary} is not built"}
            continue
        logpath = os.path.join(LOGS, f"reconnect-{key}.log")
        with open(logpath, "w") as lf:
            rc = subprocess.run([path], env=ENV, stdout=lf, stderr=subprocess.STDOUT, timeout=300).returncode
        text = open(logpath).read()
        m = re.search(rf"BENCH {key} lkc_audio_ms=(-?\d+) py_audio_ms=(-?\d+)", text)
        r = parse_result(text) or {}
        if m:
            r["lkc_audio_ms"], r["py_audio_ms"] = int(m.group(1)), int(m.group(2))
        r["rc"] = rc
        res[key] = r
    busy = b.stop()
    RAW["reconnect"] = {"runs": res, "machine": busy}
    lines = [f"Machine: {busy['busy_pct']}% busy. Each fault once, on a private server: lkc-a (660 Hz tone and "
             "50 numbered reliable messages/s), lkc-b (440 Hz), the Python SDK peer (50 numbered messages/s), all "
             "in one room under the same fault. *Audio back*: from the path being back (the server answering again, "
             "for the restart) until lkc-b hears lkc-a (lkc) and until the Python peer hears lkc-a (Python: its "
             "own recovery of the subscription). *Lost*: numbered messages that never reached lkc-b, from lkc-a "
             "(lkc) and from the Python peer (Python).", "",
             "| fault | lkc audio back ms | Python audio back ms | lkc lost / sent | Python lost / sent | exit |",
             "|---|---|---|---|---|---|"]
    for label, binary, key in RECONNECT_FAULTS:
        r = res.get(key, {})
        if "error" in r:
            lines.append(f"| {label} | — | — | — | — | {r['error']} |")
            continue
        lines.append(f"| {label} | {r.get('lkc_audio_ms', '—')} | {r.get('py_audio_ms', '—')} | "
                     f"{r.get('lkc_missing', '—')} / {r.get('lkc_sent', '—')} | "
                     f"{r.get('py_missing', '—')} / {r.get('py_sent', '—')} | {r.get('rc')} |")
        l = r.get("lkc_audio_ms")
        p = r.get("py_audio_ms")
        row(f"Reconnect, {label}: audio back", "ms", summary([l]) if l is not None and l >= 0 else None,
            summary([p]) if p is not None and p >= 0 else None, ratio=True)
    DETAIL.append(("Reconnection", lines))


# --- report ------------------------------------------------------------------------------------

def versions():
    v = {}
    try:
        v["lkc"] = subprocess.run([os.path.join(BUILD, "lkc"), "--version"], capture_output=True, text=True,
                                  timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        v["lkc"] = "?"
    cache = os.path.join(BUILD, "CMakeCache.txt")
    bt = "?"
    cc = "?"
    if os.path.exists(cache):
        with open(cache) as f:
            txt = f.read()
        m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", txt, re.M)
        bt = (m.group(1) if m else "") or "RelWithDebInfo (CMakeLists default)"
        m = re.search(r"^CMAKE_C_COMPILER:\w+=(.*)$", txt, re.M)
        cc = m.group(1) if m else "?"
    v["build"] = f"{os.path.relpath(BUILD, TOP)} ({bt}, {cc})"
    try:
        v["compiler"] = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        v["compiler"] = "?"
    srv = os.environ.get("LKC_LIVEKIT_SERVER") or os.path.join(TOP, ".tools/bin/livekit-server")
    try:
        v["server"] = subprocess.run([srv, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        v["server"] = "?"
    try:
        v["python_sdk"] = subprocess.run(
            [PY, "-c", "import importlib.metadata as m, sys; print('livekit', m.version('livekit'), "
             "'/ livekit-api', m.version('livekit-api'), '/ Python', sys.version.split()[0])"],
            capture_output=True, text=True).stdout.strip()
    except OSError:
        v["python_sdk"] = "?"
    try:
        v["git"] = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], capture_output=True,
                                  text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", TOP, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            v["git"] += " (with uncommitted changes)"
    except OSError:
        v["git"] = "?"
    return v


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    osr = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="(.*)"', f.read(), re.M)
            osr = m.group(1) if m else "?"
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {mem} RAM; {osr}; kernel {platform.release()}"


def render(v, sections, l0, l1, wall):
    md = []
    md.append("# lkc benchmarks: latest run")
    md.append("")
    md.append(f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; wall time "
              f"{wall / 60:.1f} min; mode: {'quick (LKC_BENCH_QUICK=1)' if QUICK else 'full'}; sections: "
              f"{', '.join(sections)}")
    md.append(f"- Machine: {machine()}")
    md.append(f"- Load average (1/5/15 min) at start {l0[0]:.2f}/{l0[1]:.2f}/{l0[2]:.2f}, at end "
              f"{l1[0]:.2f}/{l1[1]:.2f}/{l1[2]:.2f}; each section below says how busy the machine was "
              "(the 2 cores are shared with other work; the server runs on them too)")
    md.append(f"- lkc: {v['lkc']}, git {v['git']}, build {v['build']}; {v['compiler']}")
    md.append(f"- Python SDK: {v['python_sdk']} (Rust core + libwebrtc)")
    md.append(f"- Server: {v['server']}, loopback only (scripts/lk-server)")
    md.append("")
    md.append("Every figure: median [min–max] over the repetitions said in the row; ratio = lkc median / "
              "Python median. Targets are lkc's goals; \"met\" compares against them.")
    md.append("")
    md.append("| figure | unit | lkc | Python SDK | lkc/Python | target | met |")
    md.append("|---|---|---|---|---|---|---|")
    for r in ROWS:
        md.append(f"| {r['figure']} | {r['unit']} | {cell(r['lkc'], r['nd'])} | {cell(r['py'], r['nd'])} | "
                  f"{fmt(r['ratio'], 2) if r['ratio'] is not None else ''} | {r['target']} | {r['met']} |")
    for title, lines in DETAIL:
        md.append("")
        md.append(f"## {title}")
        md.append("")
        md += lines
    md.append("")
    md.append("## Commands")
    md.append("")
    md.append("`make bench` (= `bench/run`) started `scripts/lk-server start --dir "
              f"{os.path.relpath(SERVER_DIR, TOP)} --log-level warn` and then ran, with that server's "
              "LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET in the environment:")
    md.append("")
    md.append("```")
    seen = set()
    for section, argv in COMMANDS:
        cmd = " ".join(os.path.relpath(a, TOP) if isinstance(a, str) and a.startswith(TOP) else str(a)
                       for a in argv)
        cmd = re.sub(r"-\d{4,}(-\d+)?\b", "-<pid>", cmd)
        if cmd in seen:
            continue
        seen.add(cmd)
        md.append(cmd)
    md.append("```")
    notes = os.path.join(TOP, "bench/profile-notes.md")
    if os.path.exists(notes):
        md.append("")
        with open(notes) as f:
            md.append(f.read().rstrip())
    return "\n".join(md) + "\n"


def main():
    sections = [s for s in ALL_SECTIONS if not ONLY or s in ONLY]
    for s in ONLY:
        if s not in ALL_SECTIONS:
            sys.exit(f"bench: unknown section {s!r} (have: {' '.join(ALL_SECTIONS)})")
    for prog in ("join", "data", "audio", "footprint", "load"):
        if not os.access(os.path.join(BIN, f"bench_{prog}"), os.X_OK):
            sys.exit(f"bench: {BIN}/bench_{prog} is missing: build first (make build)")
    if not os.access(PY, os.X_OK):
        sys.exit("bench: .tools/venv is missing: run scripts/setup")
    shutil.rmtree(LOGS, ignore_errors=True)
    os.makedirs(LOGS, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    global ENV
    l0 = loadavg()
    log(f"{'quick' if QUICK else 'full'} run: {', '.join(sections)}; logs in {os.path.relpath(LOGS, TOP)}")
    ENV = start_server()
    t0 = time.monotonic()
    try:
        for s in sections:
            log(f"section {s}")
            try:
                globals()[f"sec_{s}"]()
            except Exception as e:  # keep going: report what could be measured
                import traceback
                traceback.print_exc()
                DETAIL.append((f"{s}: failed", [f"`{type(e).__name__}: {e}` (see {os.path.relpath(LOGS, TOP)})"]))
    finally:
        stop_server()
    wall = time.monotonic() - t0
    md = render(versions(), sections, l0, loadavg(), wall)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(md)
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump({"params": P, "quick": QUICK, "raw": RAW}, f, indent=1, default=str)
    sys.stdout.write(md)
    log(f"done in {wall / 60:.1f} min; wrote bench/results/latest.md and latest.json")


if __name__ == "__main__":
    main()
