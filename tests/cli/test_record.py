"""`lkc join --record`: what is heard ends up in the WAV file. Two official-SDK peers
play 400 Hz and 900 Hz; the recording (mono, 48 kHz) holds both tones, mixed, for
about as long as lkc stayed."""
import os
import signal
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from cli_support import check, lkc, peer, read_wav, room_name, run_test


def main(procs):
    room = room_name("cli-rec")
    p1 = peer(room, "low")
    p2 = peer(room, "high")
    procs += [p1, p2]
    p1.send({"cmd": "tone", "freq": 400, "dbfs": -12})
    p2.send({"cmd": "tone", "freq": 900, "dbfs": -12})
    p1.wait_ev("published")
    p2.wait_ev("published")
    with tempfile.TemporaryDirectory(prefix="lkc-rec-") as tmp:
        path = os.path.join(tmp, "heard.wav")
        r = lkc("join", "--room", room, "--identity", "recorder", "--record", path)
        procs.append(r)
        r.wait_ev("connected")
        # Both tracks heard for a few seconds: audio events say so.
        for sid_owner in ("low", "high"):
            r.wait_for(f"audio from {sid_owner}", lambda e: e.get("ev") == "audio" and e.get("participant") ==
                       sid_owner and e.get("rms_dbfs", -100) > -30, timeout=30)
        for _ in range(3):  # three more one-second reports of each track
            r.wait_ev("audio", timeout=10, start=len(r.events))
        t_connected = r.events[0]["t"]
        rc = r.stop(signal.SIGINT)
        check(rc == 0, f"lkc exited with {rc}\n  {r.history()}")
        stayed = (r.events[-1]["t"] - t_connected) / 1000.0
        rate, ch, data = read_wav(path)
        secs = len(data) / rate
        check(rate == 48000 and ch == 1, f"{path}: {rate} Hz, {ch} channel(s); expected 48000 Hz mono")
        check(abs(secs - stayed) < 1.5, f"{path} holds {secs:.2f} s; lkc was in the room for {stayed:.2f} s")
        tail = data[-2 * rate:, 0].astype(np.float64) / 32768.0
        mag = np.abs(np.fft.rfft(tail * np.hanning(len(tail))))
        freqs = np.fft.rfftfreq(len(tail), 1.0 / rate)
        def band_peak(lo, hi):  # (frequency, magnitude relative to the strongest bin)
            idx = np.where((freqs >= lo) & (freqs <= hi))[0]
            k = idx[np.argmax(mag[idx])]
            return freqs[k], mag[k] / mag.max()
        (f_lo, m_lo), (f_hi, m_hi) = band_peak(300, 600), band_peak(700, 1100)
        top = [f_lo, f_hi]
        rms = 20 * np.log10(np.sqrt(np.mean(tail * tail)) + 1e-9)
        check(abs(f_lo - 400) < 5 and abs(f_hi - 900) < 5 and min(m_lo, m_hi) > 0.3 and rms > -30,
              f"{path}: the last 2 s peak at {top[0]:.1f} and {top[1]:.1f} Hz, {rms:.1f} dBFS; expected 400 and 900 Hz")
        print(f"recorded {secs:.2f} s (stayed {stayed:.2f} s): peaks {top[0]:.1f} Hz and {top[1]:.1f} Hz, "
              f"{rms:.1f} dBFS")
    for p in (p1, p2):
        p.send({"cmd": "leave"})
        p.stop()


run_test(main)
