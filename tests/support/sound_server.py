#!/usr/bin/env python3
"""A real sound server for the device tests on machines without a sound card: a private
PulseAudio daemon (user mode, also as root) with two null sinks,

    lkc_speaker   the default output; what lkc plays is recorded from lkc_speaker.monitor
    lkc_micfeed   the test plays into it; its monitor is the default input (the "microphone")

listening only on a unix socket in its own directory. Clients (lkc through PortAudio ->
ALSA's pulse plugin, paplay, parec) find it through the environment of env(): nothing of
the machine's own sound setup is used or touched, and no client may autospawn a daemon.

    with SoundServer() as snd:           # stopped (killed) at the end, even on failure
        snd.play_tone(440, seconds=20)   # into the microphone
        hz, dbfs = snd.record_hz(2.0)    # what lkc's speaker played
        snd.kill()                       # the server dies mid-call
        snd.echo_path(80)                # the speaker heard by the microphone, 80 ms later

Also a command line for trying lkc by hand:
    sound_server.py start DIR   (prints the environment to use; stops with `stop DIR`)
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import wave

RATE = 48000

CONFIG = """\
load-module module-native-protocol-unix auth-anonymous=1 socket={dir}/native
load-module module-null-sink sink_name=lkc_speaker rate={rate} channels=1 sink_properties=device.description=lkc_speaker
load-module module-null-sink sink_name=lkc_micfeed rate={rate} channels=1 sink_properties=device.description=lkc_micfeed
set-default-sink lkc_speaker
set-default-source lkc_micfeed.monitor
"""


class SoundServerError(Exception):
    pass


class SoundServer:
    def __init__(self, directory=None):
        self.own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="lkc-sound-")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.players = []

    # --- the environment clients need ------------------------------------------------
    def env(self, base=None):
        e = dict(os.environ if base is None else base)
        e.update({
            "PULSE_SERVER": f"unix:{self.dir}/native",
            "PULSE_CLIENTCONFIG": f"{self.dir}/client.conf",
            "PULSE_RUNTIME_PATH": f"{self.dir}/runtime",
            "PULSE_STATE_PATH": f"{self.dir}/state",
            "PULSE_COOKIE": f"{self.dir}/cookie",
            "JACK_NO_START_SERVER": "1",
        })
        return e

    # --- life --------------------------------------------------------------------------
    def start(self, timeout=10.0):
        if shutil.which("pulseaudio") is None:
            raise SoundServerError("pulseaudio is not installed (scripts/setup installs it)")
        with open(f"{self.dir}/default.pa", "w") as f:
            f.write(CONFIG.format(dir=self.dir, rate=RATE))
        with open(f"{self.dir}/client.conf", "w") as f:
            f.write("autospawn = no\n")
        env = self.env()
        env["HOME"] = self.dir  # the daemon keeps its state here, not in the real home
        env["XDG_RUNTIME_DIR"] = self.dir
        argv = ["pulseaudio", "-n", "-F", f"{self.dir}/default.pa", "--daemonize=no", "--exit-idle-time=-1",
                "--use-pid-file=no", "--disable-shm=yes", "--log-target=file:" + f"{self.dir}/pulse.log"]
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SoundServerError(f"pulseaudio exited ({self.proc.returncode}): {self.log_tail()}")
            if subprocess.run(["pactl", "info"], env=self.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                return self
            time.sleep(0.1)
        self.stop()
        raise SoundServerError(f"pulseaudio did not answer within {timeout:.0f} s: {self.log_tail()}")

    def kill(self):
        """The server dies at once (SIGKILL), as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        for p in self.players:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.players = []
        self.kill()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self, n=15):
        try:
            with open(f"{self.dir}/pulse.log", errors="replace") as f:
                return " | ".join(f.read().splitlines()[-n:])
        except OSError:
            return "(no log)"

    # --- the microphone and the speaker ------------------------------------------------
    def play_tone(self, hz, seconds=30.0, dbfs=-12.0):
        """Plays a sine into lkc_micfeed (the default input's source), in the background."""
        import numpy as np
        n = int(RATE * seconds)
        pcm = (32767 * 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * np.arange(n) / RATE)).astype("<i2")
        path = f"{self.dir}/tone-{hz:g}.wav"
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm.tobytes())
        p = subprocess.Popen(["paplay", "-d", "lkc_micfeed", path], env=self.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.players.append(p)
        return p

    def echo_path(self, delay_ms=80):
        """Loops what the speaker plays back into the microphone (lkc_speaker.monitor ->
        lkc_micfeed) with about `delay_ms` of delay: the room a speakerphone is in."""
        r = subprocess.run(["pactl", "load-module", "module-loopback", "source=lkc_speaker.monitor",
                            "sink=lkc_micfeed", f"latency_msec={int(delay_ms)}", "source_dont_move=true",
                            "sink_dont_move=true", "adjust_time=0"], env=self.env(), capture_output=True, text=True)
        if r.returncode != 0:
            raise SoundServerError(f"module-loopback: {r.stderr.strip()}")
        return r.stdout.strip()

    def record(self, seconds, source="lkc_speaker.monitor"):
        """Records `seconds` of the source (default: what lkc's speaker plays): int16 array."""
        import numpy as np
        need = int(RATE * seconds) * 2
        p = subprocess.Popen(["parec", "-d", source, "--rate", str(RATE), "--channels", "1", "--format", "s16le",
                              "--raw", "--latency-msec", "20"], env=self.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        data = b""
        deadline = time.monotonic() + seconds + 10
        try:
            while len(data) < need and time.monotonic() < deadline:
                chunk = p.stdout.read1(need - len(data)) if hasattr(p.stdout, "read1") else p.stdout.read(4096)
                if not chunk:
                    break
                data += chunk
        finally:
            p.kill()
            p.wait()
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")

    def record_hz(self, seconds):
        """(dominant frequency in Hz, RMS dBFS) of what the speaker plays for `seconds`."""
        import numpy as np
        x = self.record(seconds).astype(np.float64) / 32768.0
        if len(x) < 1024:
            return 0.0, -120.0
        rms = float(np.sqrt(np.mean(x * x)))
        mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        freqs = np.fft.rfftfreq(len(x), 1.0 / RATE)
        return float(freqs[int(np.argmax(mag[1:])) + 1]), 20 * np.log10(max(rms, 1e-9))


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    d = os.path.abspath(argv[2])
    if argv[1] == "start":
        s = SoundServer(d).start()
        with open(f"{d}/pid", "w") as f:
            f.write(str(s.proc.pid))
        for k, v in s.env({}).items():
            print(f"export {k}={v}")
        return 0
    try:
        with open(f"{d}/pid") as f:
            os.kill(int(f.read()), signal.SIGKILL)
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
