#!/usr/bin/env python3
"""The Python side of bench_apm: the same signals through the official Python SDK's
rtc.AudioProcessingModule (livekit 1.2.0: libwebrtc's audio processing behind the SDK's
Rust FFI), the same figures.

    .tools/venv/bin/python bench/py_apm.py --bench-bin build/bench/bench_apm [--delay 120] [--reps 3]
    .tools/venv/bin/python bench/py_apm.py --signals DIR   (files from bench_apm --write-signals DIR)

Signals (48 kHz mono s16le, made by bench_apm from tests/unit/test_apm_scenario.h):
far, mic (= echo of far + near + -65 dBFS floor), near, noise_white, noise_babble.
Figures as bench_apm's:
  erle_db, dt_db, erle_after_db  echo_cancellation + high_pass_filter, set_stream_delay_ms(delay)
  erle_est_db                    the same without set_stream_delay_ms (its own estimate)
  noise_white_db, noise_babble_db  noise_suppression alone
  erle_all_db, dt_all_db         all four on
  us_per_10ms  process CPU (all threads: the FFI may work off the caller's thread) of
               process_reverse_stream + set_stream_delay_ms + process_stream per 10 ms,
               all four on, the median of --reps runs; the frames are built beforehand
               and not counted
Output: one JSON line {"ev":"apm","impl":"python (livekit 1.2.0)",...}.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

import numpy as np

SR = 48000
FS = SR // 100


def load(d, name):
    return np.fromfile(os.path.join(d, name + ".s16"), dtype="<i2").astype(np.int16)


def energy(x, a, b):
    x = x[a:b].astype(np.float64)
    return float(np.dot(x, x))


def db(num, den):
    return 10 * np.log10(max(num, 1e-9) / max(den, 1e-9))


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run(rtc, mic, far, opts, delay):
    """Processes mic (with far as the reverse stream when given) in 10 ms frames, as
    bench_apm does (render, then capture). Returns (output, CPU seconds)."""
    apm = rtc.AudioProcessingModule(**opts)
    n = len(mic) // FS * FS
    caps = [rtc.AudioFrame(mic[f:f + FS].tobytes(), SR, 1, FS) for f in range(0, n, FS)]
    rens = [rtc.AudioFrame(far[f:f + FS].tobytes(), SR, 1, FS) for f in range(0, n, FS)] if far is not None else None
    c0 = cpu_s()
    for i, cf in enumerate(caps):
        if rens is not None:
            apm.process_reverse_stream(rens[i])
        if delay is not None:
            apm.set_stream_delay_ms(delay)
        apm.process_stream(cf)
    c1 = cpu_s()
    out = np.concatenate([np.frombuffer(cf.data, dtype=np.int16) for cf in caps])
    return out, c1 - c0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", help="directory written by bench_apm --write-signals")
    ap.add_argument("--bench-bin", help="bench_apm, to write the signals into a temporary directory")
    ap.add_argument("--delay", type=int, default=120)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    from livekit import rtc

    with tempfile.TemporaryDirectory() as tmp:
        d = a.signals
        if not d:
            if not a.bench_bin:
                ap.error("--signals or --bench-bin is needed")
            subprocess.run([a.bench_bin, "--write-signals", tmp, "--delay", str(a.delay)], check=True)
            d = tmp
        far, mic, near = load(d, "far"), load(d, "mic"), load(d, "near")
        white, babble = load(d, "noise_white"), load(d, "noise_babble")

    def echo_figures(out):
        s = SR
        return (db(energy(mic, 2 * s, 4 * s), energy(out, 2 * s, 4 * s)),
                db(energy(out, 4 * s, 6 * s), energy(near, 4 * s, 6 * s)),
                db(energy(mic, s * 13 // 2, 8 * s), energy(out, s * 13 // 2, 8 * s)))

    aec = dict(echo_cancellation=True, high_pass_filter=True)
    allon = dict(echo_cancellation=True, noise_suppression=True, high_pass_filter=True, auto_gain_control=True)
    out, _ = run(rtc, mic, far, aec, a.delay)
    erle, dt, after = echo_figures(out)
    out, _ = run(rtc, mic, far, aec, None)
    erle_est = echo_figures(out)[0]
    us = []
    for _ in range(a.reps):
        out, cpu = run(rtc, mic, far, allon, a.delay)
        us.append(cpu / (len(mic) // FS) * 1e6)
    erle_all, dt_all, _ = echo_figures(out)
    nw = db(energy(white, 2 * SR, 4 * SR), energy(run(rtc, white, None, dict(noise_suppression=True), None)[0],
                                                  2 * SR, 4 * SR))
    nb = db(energy(babble, 2 * SR, 4 * SR), energy(run(rtc, babble, None, dict(noise_suppression=True), None)[0],
                                                   2 * SR, 4 * SR))
    rec = {"ev": "apm", "impl": "python (livekit 1.2.0)", "rate": SR, "delay_ms": a.delay,
           "erle_db": round(erle, 1), "dt_db": round(dt, 1), "erle_after_db": round(after, 1),
           "erle_est_db": round(erle_est, 1), "noise_white_db": round(nw, 1), "noise_babble_db": round(nb, 1),
           "erle_all_db": round(erle_all, 1), "dt_all_db": round(dt_all, 1),
           "us_per_10ms": round(statistics.median(us), 1)}
    import json
    sys.stdout.write(json.dumps(rec) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
