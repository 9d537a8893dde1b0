"""`lkc join --publish-wav`: files at rates and channel counts the library's sources do
not all take are heard by the official Python SDK at the right frequencies.

  44.1 kHz stereo, 500 Hz left / 750 Hz right, 1.5 s with --loop (heard after it looped)
  96 kHz mono 600 Hz   (above 48 kHz: converted to 48 kHz by the CLI)
  11025 Hz mono 400 Hz (not a multiple of 50 Hz: converted)
and a file that is not audio is refused before joining, with a message."""
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from cli_support import LKC, check, lkc, peer, room_name, run_test, write_wav


def listen(pe, identity, channels=1):
    pe.send({"cmd": "listen", "identity": identity, "seconds": 1.0, "channels": channels, "timeout": 30})
    return pe.wait_ev("audio", timeout=40, start=len(pe.events), identity=identity)


def main(procs):
    with tempfile.TemporaryDirectory(prefix="lkc-wav-") as tmp:
        run(procs, tmp)


def run(procs, tmp):
    stereo = os.path.join(tmp, "stereo44k.wav")
    write_wav(stereo, 44100, [500, 750], 1.5)
    hi = os.path.join(tmp, "mono96k.wav")
    write_wav(hi, 96000, [600], 6.0)
    odd = os.path.join(tmp, "mono11025.wav")
    write_wav(odd, 11025, [400], 6.0)

    # Not audio: refused before joining, exit 1, saying what to give instead.
    junk = os.path.join(tmp, "junk.wav")
    with open(junk, "w") as f:
        f.write("not a sound file\n")
    r = subprocess.run([LKC, "join", "--room", "x", "--identity", "y", "--publish-wav", junk],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "cannot read" in r.stderr and "libsndfile" in r.stderr,
          f"a junk file: exit {r.returncode}, stderr {r.stderr!r}; expected 1 and a message")

    room = room_name("cli-wav")
    pe = peer(room, "ear")
    procs.append(pe)
    for ident, path, extra in (("w-stereo", stereo, ["--loop"]), ("w-96k", hi, []), ("w-11k", odd, [])):
        p = lkc("join", "--room", room, "--identity", ident, "--publish-wav", path, "--duration", "60", *extra)
        procs.append(p)
        p.wait_ev("published", timeout=30)

    st = listen(pe, "w-stereo", channels=2)
    left, right = st["per_channel"][0], st["per_channel"][1]
    check(abs(left["peak_hz"] - 500) < 5 and abs(right["peak_hz"] - 750) < 5
          and left["rms_dbfs"] > -30 and right["rms_dbfs"] > -30,
          f"44.1 kHz stereo file: the peer heard left {left['peak_hz']:.1f} Hz at {left['rms_dbfs']:.1f} dBFS, "
          f"right {right['peak_hz']:.1f} Hz at {right['rms_dbfs']:.1f} dBFS; expected 500 / 750 Hz")
    for ident, hz in (("w-96k", 600), ("w-11k", 400)):
        h = listen(pe, ident)
        check(abs(h["peak_hz"] - hz) < 5 and h["rms_dbfs"] > -30,
              f"{ident}: the peer heard {h['peak_hz']:.1f} Hz at {h['rms_dbfs']:.1f} dBFS; expected {hz} Hz")
        print(f"{ident}: heard {h['peak_hz']:.1f} Hz at {h['rms_dbfs']:.1f} dBFS (file {hz} Hz)")
    # The 1.5 s stereo file loops: still heard a few seconds on.
    again = listen(pe, "w-stereo", channels=2)
    check(abs(again["per_channel"][0]["peak_hz"] - 500) < 5 and again["per_channel"][0]["rms_dbfs"] > -30,
          f"--loop: after {again['t']:.1f} s the peer heard {again['per_channel'][0]}; expected 500 Hz on the left")
    print(f"44.1 kHz stereo: left {left['peak_hz']:.1f} Hz, right {right['peak_hz']:.1f} Hz "
          f"({left['rms_dbfs']:.1f} / {right['rms_dbfs']:.1f} dBFS); looped, still heard at {again['t']:.1f} s")


run_test(main)
