#!/usr/bin/env python3
"""py_stream: bench_stream's counterpart with the official Python SDK (livekit 1.2.0).

    py_stream.py [--mib 10] [--runs 3] [--mode send|writer] [--compress 0|1]

Two Python participants in this process join one room (A sends, B receives). Each run,
A sends one byte stream of `mib` MiB of pseudo-random bytes on topic "bench":
local_participant.send_bytes (mode send) or a stream_bytes writer with 15000-byte writes
(mode writer); B's byte stream handler reads it to its end and hashes it. The time runs
from the first call to the end of B's read. Same JSON lines as bench_stream:
{"ev":"stream","mode":..,"bytes":..,"received":..,"secs":..,"mb_per_s":..,"intact":..,"status":..}

Run with .tools/venv/bin/python; LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET set.
"""
import argparse
import asyncio
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lk_py import emit, join, now_ns, token, url, wait_for  # noqa: E402


async def run(a):
    from livekit import rtc
    pid = os.getpid()
    name = f"stream-py-{pid}"
    ida, idb = f"py-stream-a-{pid}", f"py-stream-b-{pid}"
    total = int(a.mib * 1024 * 1024)
    data = random.Random(7).randbytes(total)
    want = hashlib.sha256(data).hexdigest()
    st = {"done": None, "bytes": 0, "sha": "", "error": None}
    tasks = set()
    b = rtc.Room()

    async def read(reader):
        h, n = hashlib.sha256(), 0
        try:
            async for chunk in reader:
                h.update(chunk)
                n += len(chunk)
        except Exception as e:
            st["error"] = f"{type(e).__name__}: {e}"
        st.update(bytes=n, sha=h.hexdigest(), done=now_ns())

    def on_stream(reader, who):
        t = asyncio.ensure_future(read(reader))
        tasks.add(t)
        t.add_done_callback(tasks.discard)

    b.register_byte_stream_handler("bench", on_stream)
    await b.connect(url(), token(name, idb))
    ra = await join(rtc, name, ida)
    if not await wait_for(lambda: ida in b.remote_participants and idb in ra.remote_participants, 10):
        emit("error", message="participants did not see each other")
        return
    lp = ra.local_participant
    for _ in range(a.runs):
        st.update(done=None, bytes=0, sha="", error=None)
        t0 = now_ns()
        if a.mode == "writer":
            w = await lp.stream_bytes("bench.bin", total_size=total, topic="bench")
            for off in range(0, total, 15000):
                await w.write(data[off:off + 15000])
            await w.aclose()
        else:
            await lp.send_bytes(data, topic="bench", name="bench.bin", compress=bool(a.compress))
        t_sent = now_ns()
        await wait_for(lambda: st["done"] is not None, 120, step=0.002)
        secs = (st["done"] - t0) / 1e9 if st["done"] else -1
        emit("stream", mode=a.mode, compress=bool(a.compress), bytes=total, received=st["bytes"], secs=secs,
             send_secs=(t_sent - t0) / 1e9, mb_per_s=st["bytes"] / secs / 1e6 if secs > 0 else 0,
             intact=st["sha"] == want and st["bytes"] == total,
             status=st["error"] or ("ok" if st["done"] else "timeout"))
        await asyncio.sleep(0.2)
    await ra.disconnect()
    await b.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mib", type=float, default=10)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--mode", choices=["send", "writer"], default="send")
    p.add_argument("--compress", type=int, default=0)
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
