"""Sound devices end to end, with a real sound server (a private PulseAudio with null
sinks: tests/support/sound_server.py) since these machines have no sound card:

  - `lkc devices` lists the server's input and output (plain and --json); a device that
    is not there fails `lkc join` before it joins;
  - `lkc join --mic` publishes what the virtual microphone plays: the Python SDK peer
    hears that frequency;
  - `--speaker` plays what the peer says: the null sink's monitor records the peer's
    tone;
  - the sound server killed mid-call: lkc reports the device error (an "error" event
    with code io, "device_stopped" for each device) and keeps the room: the peer still
    sees lkc, lkc still hears the peer; when the server comes back lkc restarts both
    devices ("device_restarted");
  - Ctrl-C leaves cleanly.
The sound server is stopped at the end, also when the test fails."""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from cli_support import LKC, Proc, TestFailure, check, event_name, peer, room_name, run_test
from sound_server import SoundServer

MIC_HZ = 700.0
PEER_HZ = 523.0


def near(hz, want, tol=15.0):
    return abs(hz - want) <= tol


def list_devices(env):
    r = subprocess.run([LKC, "devices"], env=env, capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "inputs:" in r.stdout and "outputs:" in r.stdout and "*" in r.stdout,
          f"lkc devices: status {r.returncode}\n{r.stdout}\n{r.stderr}")
    r = subprocess.run([LKC, "devices", "--json"], env=env, capture_output=True, text=True, timeout=30)
    import json
    devs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    check(r.returncode == 0 and any(d.get("default_input") for d in devs) and
          any(d.get("default_output") for d in devs),
          f"lkc devices --json: status {r.returncode}, expected a default input and output:\n{r.stdout}\n{r.stderr}")
    d = devs[0]
    for k, t in (("id", str), ("name", str), ("host_api", str), ("input_channels", int),
                 ("output_channels", int), ("default_rate", int)):
        check(isinstance(d.get(k), t), f"lkc devices --json: field {k} of {d}")


def bad_devices(env):
    """A device that is not there is a usage error before the join, not a hang."""
    r = subprocess.run([LKC, "join", "--room", "x", "--identity", "y", "--mic", "no-such-mic"], env=env,
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "not found" in r.stderr and "lkc devices" in r.stderr,
          f"--mic no-such-mic: status {r.returncode}, stderr {r.stderr!r}")
    r = subprocess.run([LKC, "join", "--room", "x", "--identity", "y", "--speaker=no-such-speaker"], env=env,
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "not found" in r.stderr, f"--speaker=no-such-speaker: {r.returncode} {r.stderr!r}")
    # no sound server at all: listing still answers (whatever ALSA has), promptly
    gone = dict(env, PULSE_SERVER="unix:/nonexistent/native")
    r = subprocess.run([LKC, "devices", "--json"], env=gone, capture_output=True, text=True, timeout=30)
    check(r.returncode in (0, 1), f"lkc devices without a sound server: status {r.returncode}, {r.stderr!r}")


def main(procs, snd):
    env = snd.env()
    list_devices(env)
    bad_devices(env)

    snd.play_tone(MIC_HZ, seconds=60)
    room = room_name("cli-dev")
    # NS off: a steady tone is what a noise suppressor removes (that is its job)
    a = Proc("lkc join", [LKC, "join", "--room", room, "--identity", "cli-dev", "--mic", "--no-ns", "--no-agc",
                          "--speaker", "--json", "--duration", "120"], stdin=subprocess.DEVNULL, env=env)
    procs.append(a)
    dv = a.wait_ev("devices")
    check(dv.get("microphone") and dv.get("speaker") and dv.get("aec") is True and dv.get("ns") is False,
          f"devices event: {dv}")
    a.wait_ev("connected")
    pub = a.wait_ev("published", source="microphone")
    a.wait_for("an input level above -40 dBFS", lambda e: event_name(e) == "input_level" and e["dbfs"] > -40,
               timeout=10)

    pe = peer(room, "py-dev")
    procs.append(pe)
    # the microphone, heard by the Python SDK
    pe.send({"cmd": "listen", "identity": "cli-dev", "seconds": 1.0})
    heard = pe.wait_ev("audio", timeout=25)
    check(near(heard["peak_hz"], MIC_HZ),
          f"the peer heard {heard['peak_hz']:.1f} Hz from lkc's microphone track {pub['track_sid']}, expected {MIC_HZ}")

    # the peer, played on the speaker (recorded from the null sink's monitor)
    pe.send({"cmd": "tone", "freq": PEER_HZ, "dbfs": -10})
    peer_sid = pe.wait_ev("published")["track_sid"]
    a.wait_ev("speaker_playing", track_sid=peer_sid, timeout=15)
    hz, level = 0.0, -120.0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (near(hz, PEER_HZ) and level > -40):
        hz, level = snd.record_hz(1.0)
    check(near(hz, PEER_HZ) and level > -40,
          f"the speaker played {hz:.1f} Hz at {level:.1f} dBFS, expected the peer's {PEER_HZ} Hz")

    # the sound server dies mid-call
    start = len(a.events)
    snd.kill()
    err = a.wait_for("an io error", lambda e: event_name(e) == "error" and e.get("code") == "io", timeout=10,
                     start=start)
    stopped = {a.wait_ev("device_stopped", device=k, timeout=10, start=start)["device"]
               for k in ("microphone", "speaker")}
    check(stopped == {"microphone", "speaker"}, f"device_stopped for {stopped}; error was {err}")
    # ... and the room goes on: lkc still hears the peer, the peer still sees lkc
    after = len(a.events)
    a.wait_for("an audio report of the peer's tone after the kill",
               lambda e: event_name(e) == "audio" and e.get("track_sid") == peer_sid and near(e["freq_hz"], PEER_HZ),
               timeout=10, start=after)
    pe.send({"cmd": "participants"})
    parts = pe.wait_ev("participants", timeout=10)
    check(any(p["identity"] == "cli-dev" for p in parts["participants"]), f"the peer no longer sees lkc: {parts}")
    check(a.p.poll() is None, "lkc exited after the sound server died")
    check(not any(event_name(e) == "disconnected" for e in a.events), "lkc left the room")

    # the server comes back: lkc starts both devices again
    snd.start()
    for k in ("microphone", "speaker"):
        a.wait_ev("device_restarted", device=k, timeout=15, start=after)

    rc = a.stop(signal.SIGINT)
    check(rc == 0, f"lkc exited with {rc} after Ctrl-C\n  {a.history()}")
    a.wait_ev("disconnected", reason="client_initiated")
    pe.stop()


if __name__ == "__main__":
    snd = SoundServer()
    try:
        try:
            snd.start()
        except Exception as e:
            print(f"FAIL: cannot start the sound server: {e}", file=sys.stderr)
            sys.exit(1)
        run_test(lambda procs: main(procs, snd))
    finally:
        snd.stop()  # run_test exits through SystemExit: this still runs
