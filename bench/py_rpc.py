#!/usr/bin/env python3
"""The Python side of bench_rpc: the same measurement with two participants of the
official LiveKit Python SDK (livekit 1.2.0) in one process.

    .tools/venv/bin/python bench/py_rpc.py [--count 500] [--size 16] [--warmup 20] [--random]

B registers "echo"; A makes `count` sequential perform_rpc() calls of it with a `size`
byte payload ("ppp...", or with --random the same letters as bench_rpc --random, which
do not compress) (after `warmup` calls not counted), each timed around the await.
Output (as bench_rpc): {"ev":"rpc","count":..,"ok":..,"size":..,"median_ms":..,
"p95_ms":..,"min_ms":..,"max_ms":..,"mean_ms":..}
Environment: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET.
"""
import argparse
import asyncio
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lk_py  # noqa: E402  (the shared helpers of the Python benchmarks)


async def run(a):
    from livekit import rtc
    pid = os.getpid()
    name = f"rpc-py-{pid}"
    ida, idb = f"py-rpc-a-{pid}", f"py-rpc-b-{pid}"
    b = await lk_py.join(rtc, name, idb)

    async def echo(data: rtc.RpcInvocationData) -> str:
        return data.payload

    b.local_participant.register_rpc_method("echo", echo)
    ra = await lk_py.join(rtc, name, ida)
    if not await lk_py.wait_for(lambda: ida in b.remote_participants and idb in ra.remote_participants, 10):
        lk_py.emit("error", message="participants did not see each other")
        return 1
    payload = "p" * a.size
    if a.random:
        x, chars = 2463534242, []
        for _ in range(a.size):  # the xorshift of bench_rpc.c
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            chars.append(chr(ord("A") + x % 58))
        payload = "".join(chars)
    ms, ok = [], 0
    for i in range(a.warmup + a.count):
        t0 = lk_py.now_ns()
        try:
            res = await ra.local_participant.perform_rpc(destination_identity=idb, method="echo", payload=payload)
            good = res == payload
        except rtc.RpcError as e:
            print(f"call {i}: {e.code} {e.message}", file=sys.stderr)
            good = False
        t1 = lk_py.now_ns()
        if i < a.warmup:
            continue
        ok += good
        ms.append((t1 - t0) / 1e6)
    s = sorted(ms)
    k95 = max(0, min(len(s) - 1, int(0.95 * len(s) + 0.5) - 1))
    lk_py.emit("rpc", count=len(s), ok=ok, size=a.size, median_ms=round(statistics.median(s), 3),
               p95_ms=round(s[k95], 3), min_ms=round(s[0], 3), max_ms=round(s[-1], 3),
               mean_ms=round(statistics.fmean(s), 3))
    await ra.disconnect()
    await b.disconnect()
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--random", action="store_true")
    rc = asyncio.run(run(p.parse_args()))
    sys.stdout.flush()
    os._exit(rc or 0)


if __name__ == "__main__":
    main()
