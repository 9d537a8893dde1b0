"""Helpers of the CLI tests: run `lkc` and the official-SDK peer (tests/support/peer.py)
as child processes that speak JSON lines, and wait on their events with generous
bounds. A failure says what happened: the events seen so far and the stderr tail.

Both programs print one JSON object per line; lkc names the event "ev", the peer
"event". Every test gets LIVEKIT_URL/KEY/SECRET (the ctest server fixture) and
LKC_BUILD_DIR/LKC_SOURCE_DIR from the environment.
"""
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time

BUILD = os.environ.get("LKC_BUILD_DIR", "")
SOURCE = os.environ.get("LKC_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LKC = os.path.join(BUILD, "lkc")
PEER = os.path.join(SOURCE, "tests/support/peer.py")


class TestFailure(Exception):
    pass


def require_env():
    missing = [v for v in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LKC_BUILD_DIR")
               if not os.environ.get(v)]
    if missing:
        print(f"FAIL: {', '.join(missing)} not set: run this test through ctest "
              "(it starts the livekit-server fixture)", file=sys.stderr)
        sys.exit(1)
    if not os.access(LKC, os.X_OK):
        print(f"FAIL: {LKC} is missing: build first (cmake --build {BUILD})", file=sys.stderr)
        sys.exit(1)


def room_name(prefix):
    """Rooms outlive a test: each test uses a fresh name."""
    return f"{prefix}-{secrets.token_hex(4)}"


def event_name(e):
    return e.get("ev") or e.get("event")


class Proc:
    """A child printing JSON lines. Lines that are not JSON are kept as {"ev": "_text"}."""

    def __init__(self, name, argv, stdin=subprocess.PIPE, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.events = []
        self.stderr = []
        self.q = queue.Queue()
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env, cwd=cwd)
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                e = json.loads(line)
            except ValueError:
                e = {"ev": "_text", "line": line}
            self.q.put(e)
        self.q.put(None)

    def _read_err(self):
        for raw in self.p.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    PERIODIC = ("audio", "pc_stats", "source_stats", "stream_stats")

    def history(self):
        # the once-a-second events would hide the rest: keep only the last few of them
        periodic = [i for i, e in enumerate(self.events) if event_name(e) in self.PERIODIC]
        drop = set(periodic[:-4])
        shown = [e for i, e in enumerate(self.events) if i not in drop][-40:]
        ev = "\n    ".join(json.dumps(e) for e in shown) or "(none)"
        err = "\n    ".join(self.stderr[-15:]) or "(none)"
        return f"{self.name} events so far:\n    {ev}\n  {self.name} stderr tail:\n    {err}"

    def wait_for(self, what, pred, timeout=20.0, start=0):
        """The first event (from index `start` of all events) for which pred(e) holds."""
        for e in self.events[start:]:
            if pred(e):
                return e
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure(f"{self.name}: no {what} within {timeout:.0f} s\n  {self.history()}")
            try:
                e = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if e is None:
                self.p.wait()
                raise TestFailure(f"{self.name} exited (status {self.p.returncode}) before {what}\n  "
                                  f"{self.history()}")
            self.events.append(e)
            if pred(e):
                return e

    def wait_ev(self, name, timeout=20.0, start=0, **fields):
        def pred(e):
            return event_name(e) == name and all(e.get(k) == v for k, v in fields.items())
        desc = name + (" " + json.dumps(fields) if fields else "")
        return self.wait_for(desc, pred, timeout, start)

    def send(self, obj):
        self.p.stdin.write((json.dumps(obj) + "\n").encode())
        self.p.stdin.flush()

    def drain(self, timeout):
        """Collects events until the child exits; returns its status (None if it did not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                e = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                continue
            if e is None:
                return self.p.wait()
            self.events.append(e)
        return None

    def stop(self, sig=None, timeout=15.0):
        """Ends the child (SIGINT by default for lkc: a clean leave) and returns its status."""
        if self.p.poll() is None:
            if sig is not None:
                self.p.send_signal(sig)
            elif self.p.stdin:
                try:
                    self.p.stdin.close()
                except OSError:
                    pass
        rc = self.drain(timeout)
        if rc is None:
            self.p.kill()
            rc = self.p.wait()
            raise TestFailure(f"{self.name} did not exit within {timeout:.0f} s\n  {self.history()}")
        return rc


def peer(room, identity, name="", kind=""):
    """The official Python SDK in the room; returns once it is connected. kind="agent"
    makes it an agent participant (its token says so)."""
    py = sys.executable
    argv = [py, "-W", "ignore", PEER, "--url", os.environ["LIVEKIT_URL"], "--room", room,
            "--identity", identity, "--api-key", os.environ["LIVEKIT_API_KEY"],
            "--api-secret", os.environ["LIVEKIT_API_SECRET"]]
    if name:
        argv += ["--name", name]
    if kind:
        argv += ["--kind", kind]
    p = Proc(f"peer {identity}", argv)
    p.wait_ev("connected", timeout=30)
    return p


def lkc(*args, json_mode=True, stdin=subprocess.DEVNULL):
    argv = [LKC] + list(args)
    if json_mode and "--json" not in argv:
        argv.append("--json")
    return Proc("lkc " + " ".join(args[:1]), argv, stdin=stdin)


def run_test(fn):
    """Runs fn(cleanup) and exits 0/1; `cleanup` collects Procs to end afterwards."""
    require_env()
    procs = []
    code = 1
    try:
        fn(procs)
        code = 0
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
    except Exception:
        import traceback
        traceback.print_exc()
        for p in procs:
            print("  " + p.history(), file=sys.stderr)
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.p.kill()
                p.p.wait()
    if code == 0:
        print("PASS")
    sys.exit(code)


def example(name, *args, cwd=None, stdin=subprocess.DEVNULL):
    """One of the examples (build/examples/NAME); they print plain lines."""
    return Proc(name, [os.path.join(BUILD, "examples", name)] + list(args), stdin=stdin, cwd=cwd)


def text_line(substring):
    """A predicate for plain-text output lines containing `substring`."""
    return lambda e: e.get("ev") == "_text" and substring in e.get("line", "")


def write_wav(path, rate, channels_freqs, seconds, dbfs=-12.0):
    """A 16-bit PCM WAV with one sine per channel (frequencies in channels_freqs)."""
    import numpy as np
    import wave
    n = int(rate * seconds)
    t = np.arange(n) / rate
    amp = 32767 * 10 ** (dbfs / 20)
    chans = [amp * np.sin(2 * np.pi * f * t) for f in channels_freqs]
    pcm = np.stack(chans, axis=1).reshape(-1).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(len(channels_freqs))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    """(rate, channels, int16 samples as an array of frames x channels)."""
    import numpy as np
    import wave
    with wave.open(path, "rb") as w:
        rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        data = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch)
    return rate, ch, data


def dominant_hz(x, rate):
    """Dominant frequency (Hz) and RMS level (dBFS) of mono int16 samples."""
    import numpy as np
    x = x.astype(np.float64) / 32768.0
    if len(x) < 256:
        return 0.0, -100.0
    rms = float(np.sqrt(np.mean(x * x)))
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(freqs[int(np.argmax(mag[1:])) + 1]), 20 * np.log10(max(rms, 1e-9))


def check(cond, message):
    if not cond:
        raise TestFailure(message)
