"""A sound server that hangs (SIGSTOP) in the middle of a call: lkc's device threads are
then blocked inside the sound system. Ctrl-C must still leave the room promptly and
cleanly (the devices' stop waits a bounded time for a blocked thread and leaves it
behind, R9), and the room must not be harmed while the server hangs: lkc still hears
the peer (its listener does not go through the sound server)."""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from cli_support import LKC, Proc, check, event_name, peer, room_name, run_test
from sound_server import SoundServer


def main(procs, snd):
    snd.play_tone(700, seconds=60)
    room = room_name("cli-stall")
    a = Proc("lkc join", [LKC, "join", "--room", room, "--identity", "cli-stall", "--mic", "--speaker", "--json",
                          "--duration", "120"], stdin=subprocess.DEVNULL, env=snd.env())
    procs.append(a)
    a.wait_ev("published", source="microphone", timeout=20)
    pe = peer(room, "py-stall")
    procs.append(pe)
    pe.send({"cmd": "tone", "freq": 523, "dbfs": -10})
    sid = pe.wait_ev("published")["track_sid"]
    a.wait_ev("speaker_playing", track_sid=sid, timeout=15)

    snd.proc.send_signal(signal.SIGSTOP)  # the server hangs: device calls block
    try:
        after = len(a.events)
        time.sleep(3)
        a.wait_for("an audio report of the peer while the sound server hangs",
                   lambda e: event_name(e) == "audio" and e.get("track_sid") == sid and abs(e["freq_hz"] - 523) < 15,
                   timeout=10, start=after)
        check(a.p.poll() is None, "lkc exited while the sound server hung")
        t0 = time.monotonic()
        rc = a.stop(signal.SIGINT, timeout=15)
        took = time.monotonic() - t0
    finally:
        snd.proc.send_signal(signal.SIGCONT)
    print(f"lkc left {took:.1f} s after Ctrl-C with the sound server hung (status {rc})")
    check(rc == 0, f"lkc exited with {rc}\n  {a.history()}")
    check(took < 8, f"lkc took {took:.1f} s to leave with the sound server hung")
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
        snd.stop()
