#!/usr/bin/env python3
"""The Python side of the lkc benchmarks: the official LiveKit Python SDK (livekit 1.2.0,
the Rust core with libwebrtc), used through its public API in the normal way.

Run with .tools/venv/bin/python; bench/run.py drives it. Every subcommand mirrors an lkc
bench program and prints the same JSON lines ({"ev": ...}) on stdout. Times are
time.monotonic_ns(), i.e. CLOCK_MONOTONIC, the clock the C programs use.

  join      --count N             join time (connect() and connect()+publisher up)
  data      --sizes 1024,15360 --count N --runs R
  first     --reps K              publish -> first audible decoded frame, in one process
  pub       --clicks N --interval-ms I --lead-ms L [--tone]
  sub       --from IDENTITY --clicks N
  footprint --mode idle|audio     stays joined until stdin closes
  load      --n N --warmup S --windows K --window-s W
  bare                            only the interpreter, for the footprint baseline
  imported                        interpreter + `from livekit import rtc`, no room

Environment: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET (a loopback server).
"""
import argparse
import asyncio
import json
import math
import os
import resource
import sys
import threading
import time

SR = 48000
CHUNK = SR // 100  # 10 ms


def emit(ev, **kw):
    kw = {"ev": ev, **kw}
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def now_ns():
    return time.monotonic_ns()


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return -1.0


def token(room, identity):
    from livekit import api
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True,
                             can_publish_data=True)
    return (api.AccessToken(os.environ["LIVEKIT_API_KEY"], os.environ["LIVEKIT_API_SECRET"])
            .with_identity(identity).with_grants(grants).with_ttl(__import__("datetime").timedelta(hours=1))
            .to_jwt())


def url():
    return os.environ["LIVEKIT_URL"]


def tone_bytes(hz, dbfs, seconds=1.0):
    """One second (a whole number of periods for the frequencies used) of int16 mono."""
    import numpy as np
    n = int(SR * seconds)
    amp = 32767.0 * 10 ** (dbfs / 20.0)
    x = (amp * np.sin(2 * math.pi * hz * np.arange(n) / SR)).astype(np.int16)
    return x.tobytes()


async def join(rtc, room_name, identity, auto_subscribe=True):
    room = rtc.Room()
    await room.connect(url(), token(room_name, identity), rtc.RoomOptions(auto_subscribe=auto_subscribe))
    return room


async def wait_for(cond, timeout, step=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        await asyncio.sleep(step)
    return False


class Pacer:
    """Real-time pacing at 10 ms, like a microphone: absolute deadlines, no drift. When this
    process was held up for more than a period, the schedule restarts from now instead of
    bursting the missed chunks (a burst would sit in the SDK's queue and add latency that
    is the harness's, not the SDK's); such restarts are counted."""

    def __init__(self, period_ns=10_000_000):
        self.period = period_ns
        self.next = now_ns()
        self.restarts = 0

    async def tick(self):
        self.next += self.period
        now = now_ns()
        if now > self.next + self.period:
            self.restarts += 1
            self.next = now
        delay = (self.next - now) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)


async def feed(source, rtc, make_chunk, stop, on_capture=None, pacer=None):
    """Captures 10 ms chunks in real time until stop is set."""
    pacer = pacer or Pacer()
    k = 0
    while not stop.is_set():
        data = make_chunk(k)
        t = now_ns()
        if on_capture:
            on_capture(k, t)
        await source.capture_frame(rtc.AudioFrame(data, SR, 1, CHUNK))
        k += 1
        await pacer.tick()


def tone_chunker(hz=440.0, dbfs=-10.0):
    buf = tone_bytes(hz, dbfs)
    per = CHUNK * 2
    n = len(buf) // per

    def make(k):
        i = k % n
        return buf[i * per:(i + 1) * per]
    return make


def peak_of(data):
    import numpy as np
    a = np.frombuffer(data, dtype=np.int16)
    return int(np.max(np.abs(a.astype(np.int32)))) if len(a) else 0


def onset_index(data, threshold):
    import numpy as np
    a = np.abs(np.frombuffer(data, dtype=np.int16).astype(np.int32))
    idx = np.flatnonzero(a >= threshold)
    return int(idx[0]) if len(idx) else -1


async def publish(rtc, room, source, name="bench", dtx=None):
    track = rtc.LocalAudioTrack.create_audio_track(name, source)
    opts = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    if dtx is not None:
        opts.dtx = dtx
    pub = await room.local_participant.publish_track(track, opts)
    return track, pub


def remote_audio_track(room, identity=None):
    from livekit import rtc
    for p in room.remote_participants.values():
        if identity and p.identity != identity:
            continue
        for pub in p.track_publications.values():
            if pub.track is not None and isinstance(pub.track, rtc.RemoteAudioTrack):
                return pub.track
    return None


# --- join ----------------------------------------------------------------------------

async def cmd_join(a):
    from livekit import rtc
    ident = f"py-join-{os.getpid()}"
    for i in range(a.count + 1):
        name = f"{a.prefix}-py-{os.getpid()}-{i}"
        room = rtc.Room()
        t0 = now_ns()
        await room.connect(url(), token(name, ident), rtc.RoomOptions(auto_subscribe=True))
        t1 = now_ns()
        # connect() returns once the subscriber PC is connected; the publisher PC is only
        # negotiated on the first publish. The first reliable data packet waits for it
        # (ensure_publisher_connected): "able to publish".
        await room.local_participant.publish_data(b"x", reliable=True)
        t2 = now_ns()
        await room.disconnect()
        t3 = now_ns()
        emit("join", i=i, cold=(i == 0), connect_ms=(t1 - t0) / 1e6, ms=(t2 - t0) / 1e6,
             destroy_ms=(t3 - t2) / 1e6)


# --- data ----------------------------------------------------------------------------

async def cmd_data(a):
    from livekit import rtc
    pid = os.getpid()
    name = f"data-py-{pid}"
    ida, idb = f"py-data-a-{pid}", f"py-data-b-{pid}"
    st = {"received": 0, "bytes": 0, "last": 0, "expect": 0, "ooo": 0}
    b = rtc.Room()

    @b.on("data_received")
    def _on(pkt):
        seq = int.from_bytes(pkt.data[:4], "little")
        if seq != st["expect"]:
            st["ooo"] += 1
        st["expect"] = seq + 1
        st["received"] += 1
        st["bytes"] += len(pkt.data)
        st["last"] = now_ns()

    await b.connect(url(), token(name, idb))
    ra = await join(rtc, name, ida)
    if not await wait_for(lambda: ida in b.remote_participants and idb in ra.remote_participants, 10):
        emit("error", message="participants did not see each other")
        return
    for size in [int(s) for s in a.sizes.split(",")]:
        count = a.count
        if a.bytes_per_run > 0 and size * count > a.bytes_per_run:
            count = max(10, a.bytes_per_run // size)
        payload = bytearray((i * 31 + 7) & 0xFF for i in range(size))
        for r in range(a.runs):
            base = (r + 1) * 1000000 + size
            st.update(received=0, bytes=0, ooo=0, expect=base)
            t0 = now_ns()
            for i in range(count):
                payload[0:4] = (base + i).to_bytes(4, "little")
                await ra.local_participant.publish_data(bytes(payload), reliable=True)
            t_sent = now_ns()
            last, last_progress = 0, time.monotonic()
            deadline = time.monotonic() + 60
            while st["received"] < count and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
                if st["received"] != last:
                    last, last_progress = st["received"], time.monotonic()
                elif time.monotonic() - last_progress > 5:
                    break
            got = st["received"]
            secs = (st["last"] - t0) / 1e9 if got else -1
            emit("data", size=size, count=count, received=got, secs=secs, send_secs=(t_sent - t0) / 1e9,
                 msgs_per_s=got / secs if secs > 0 else 0, mb_per_s=st["bytes"] / secs / 1e6 if secs > 0 else 0,
                 out_of_order=st["ooo"], would_block=0)
            await asyncio.sleep(0.2)
    await ra.disconnect()
    await b.disconnect()


# --- first audio ------------------------------------------------------------------------

async def first_audio_once(rtc, rep, threshold):
    pid = os.getpid()
    name = f"first-py-{pid}-{rep}"
    ida, idb = f"py-first-a-{pid}", f"py-first-b-{pid}"
    b = rtc.Room()
    got = {}
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    async def reader(track):
        got["subscribed"] = now_ns()
        stream = rtc.AudioStream(track, sample_rate=SR, num_channels=1)
        try:
            async for ev in stream:
                t = now_ns()
                got.setdefault("first_frame", t)
                if peak_of(ev.frame.data) >= threshold:
                    got["first_audible"] = t
                    break
        finally:
            await stream.aclose()
        if not done.done():
            done.set_result(True)

    @b.on("track_subscribed")
    def _ts(track, pub, participant):
        if isinstance(track, rtc.RemoteAudioTrack):
            asyncio.ensure_future(reader(track))

    await b.connect(url(), token(name, idb))
    a = await join(rtc, name, ida)
    await wait_for(lambda: ida in b.remote_participants, 10)
    source = rtc.AudioSource(SR, 1)
    stop = asyncio.Event()
    t0 = now_ns()
    feeder = asyncio.ensure_future(feed(source, rtc, tone_chunker(), stop))
    track, pub = await publish(rtc, a, source)
    t_published = now_ns()
    try:
        await asyncio.wait_for(done, 15)
    except asyncio.TimeoutError:
        pass
    stop.set()
    await feeder
    if "first_audible" in got:
        emit("first", rep=rep, ms=(got["first_audible"] - t0) / 1e6,
             publish_ms=(t_published - t0) / 1e6, subscribed_ms=(got["subscribed"] - t0) / 1e6,
             first_frame_ms=(got["first_frame"] - t0) / 1e6)
    else:
        emit("first_fail", rep=rep)
    await a.disconnect()
    await b.disconnect()


async def cmd_first(a):
    from livekit import rtc
    for rep in range(a.reps + 1):  # rep 0 warms the process up; bench/run drops it
        await first_audio_once(rtc, rep, a.threshold)


# --- mouth-to-ear: publisher and subscriber processes -----------------------------------

def click_chunk_maker(a):
    """Silence with a click (a 5 ms 1 kHz burst at -6 dBFS) at the start of every
    interval, after the lead-in. Returns make(k) and the chunk indexes of clicks."""
    import numpy as np
    silence = bytes(CHUNK * 2)
    n = CHUNK
    burst = np.zeros(n, dtype=np.float64)
    m = SR // 200
    burst[:m] = 0.5 * 32767.0 * np.sin(2 * math.pi * 1000.0 * np.arange(m) / SR)
    click = burst.astype(np.int16).tobytes()
    lead = a.lead_ms // 10
    every = a.interval_ms // 10

    def is_click(k):
        return k >= lead and (k - lead) % every == 0 and (k - lead) // every < a.clicks

    def make(k):
        return click if is_click(k) else silence
    return make, is_click, lead + every * a.clicks + 50


async def cmd_pub(a):
    from livekit import rtc
    room = await join(rtc, a.room, a.identity)
    emit("ready")
    if a.wait_for:
        await wait_for(lambda: a.wait_for in room.remote_participants, 20)
    source = rtc.AudioSource(SR, 1)
    stop = asyncio.Event()
    if a.tone:
        make = tone_chunker()
        is_click = None
        total = None
    else:
        make, is_click, total = click_chunk_maker(a)

    def on_capture(k, t):
        if is_click and is_click(k):
            emit("click", t_ns=t, k=k)
        if total is not None and k >= total:
            stop.set()

    t0 = now_ns()
    pacer = Pacer()
    feeder = asyncio.ensure_future(feed(source, rtc, make, stop, on_capture, pacer))
    await publish(rtc, room, source, dtx=False)
    emit("published", t_ns=t0, publish_ms=(now_ns() - t0) / 1e6)
    if a.tone:
        await stdin_closed()
        stop.set()
    await feeder
    emit("pacer", restarts=pacer.restarts)
    await asyncio.sleep(0.5)
    await room.disconnect()
    emit("done")


async def stdin_closed():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def reader():
        for _ in sys.stdin:
            pass
        loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(True))
    threading.Thread(target=reader, daemon=True).start()
    await fut


async def cmd_sub(a):
    from livekit import rtc
    room = await join(rtc, a.room, a.identity)
    emit("ready")
    if not await wait_for(lambda: remote_audio_track(room, a.from_) is not None, 30):
        emit("error", message="no audio track")
        return
    track = remote_audio_track(room, a.from_)
    emit("subscribed", t_ns=now_ns())
    stream = rtc.AudioStream(track, sample_rate=SR, num_channels=1)
    onsets, refractory_until = 0, 0
    first = True
    deadline = time.monotonic() + a.timeout
    async for ev in stream:
        t = now_ns()
        data = ev.frame.data.tobytes() if hasattr(ev.frame.data, "tobytes") else bytes(ev.frame.data)
        if first:
            emit("first_frame", t_ns=t)
            first = False
        if t >= refractory_until:
            k = onset_index(data, a.threshold)
            if k >= 0:
                emit("onset", t_ns=t, sample=k, n=len(data) // 2)
                onsets += 1
                refractory_until = t + 200_000_000
                if onsets >= a.clicks:
                    break
        if time.monotonic() > deadline:
            break
    await stream.aclose()
    await room.disconnect()
    emit("done", onsets=onsets)


# --- footprint ------------------------------------------------------------------------

async def cmd_footprint(a):
    from livekit import rtc
    pid = os.getpid()
    room = await join(rtc, a.room, a.identity)
    # bring the publisher PC up as lkc's CONNECTED does (both PCs, data channels open)
    await room.local_participant.publish_data(b"x", reliable=True)
    stop = asyncio.Event()
    tasks = []
    frames = {"n": 0}
    if a.mode == "audio":
        source = rtc.AudioSource(SR, 1)
        tasks.append(asyncio.ensure_future(feed(source, rtc, tone_chunker(), stop)))
        await publish(rtc, room, source, dtx=False)
        if not await wait_for(lambda: remote_audio_track(room) is not None, 30):
            emit("error", message="no remote audio track to subscribe to")
            return
        stream = rtc.AudioStream(remote_audio_track(room), sample_rate=SR, num_channels=1)
        got_first = asyncio.Event()

        async def reader():
            async for _ev in stream:
                frames["n"] += 1
                got_first.set()
                if stop.is_set():
                    break
        tasks.append(asyncio.ensure_future(reader()))
        await asyncio.wait_for(got_first.wait(), 20)
    emit("ready", pid=pid)
    await stdin_closed()
    emit("stats", frames=frames["n"])
    stop.set()
    for t in tasks:
        t.cancel()
    await room.disconnect()


def cmd_bare(_a):
    emit("ready", pid=os.getpid())
    for _ in sys.stdin:
        pass


def cmd_imported(_a):
    from livekit import rtc  # noqa: F401  (loads liblivekit_ffi; no room)
    emit("ready", pid=os.getpid())
    for _ in sys.stdin:
        pass


# --- load: N participants in one process --------------------------------------------------

async def cmd_load(a):
    from livekit import rtc
    pid = os.getpid()
    name = f"load-py-{pid}"
    n = a.n
    ids = [f"py-load-{pid}-{i}" for i in range(n)]
    t_setup = now_ns()
    rooms = [None] * n

    async def connect(i):
        rooms[i] = await join(rtc, name, ids[i], auto_subscribe=False)
    for s in range(0, n, 10):  # connect 10 at a time
        await asyncio.gather(*(connect(i) for i in range(s, min(n, s + 10))))
    stop = asyncio.Event()
    sources, feeders, pubs = [], [], []
    make = tone_chunker()
    for i in range(n):
        src = rtc.AudioSource(SR, 1)
        sources.append(src)
        feeders.append(asyncio.ensure_future(feed(src, rtc, make, stop)))
        _track, pub = await publish(rtc, rooms[i], src, dtx=False)
        pubs.append(pub)
    # participant i subscribes to participant (i+1) % n (itself when n == 1: nothing)
    counts = [0] * n
    remote_tracks = [None] * n

    async def reader(i, track):
        stream = rtc.AudioStream(track, sample_rate=SR, num_channels=1)
        async for ev in stream:
            counts[i] += ev.frame.samples_per_channel
            if stop.is_set():
                break
        await stream.aclose()

    readers = []
    if n > 1:
        for i in range(n):
            j = (i + 1) % n
            want = pubs[j].sid
            rp = None

            def find():
                nonlocal rp
                p = rooms[i].remote_participants.get(ids[j])
                rp = p.track_publications.get(want) if p else None
                return rp is not None
            if not await wait_for(find, 20):
                emit("error", message=f"{ids[i]} never saw {want}")
                return
            rp.set_subscribed(True)
        for i in range(n):
            j = (i + 1) % n
            if not await wait_for(lambda: rooms[i].remote_participants[ids[j]].track_publications[pubs[j].sid].track
                                  is not None, 20):
                emit("error", message=f"{ids[i]} not subscribed")
                return
            remote_tracks[i] = rooms[i].remote_participants[ids[j]].track_publications[pubs[j].sid].track
            readers.append(asyncio.ensure_future(reader(i, remote_tracks[i])))
    emit("ready", n=n, setup_s=(now_ns() - t_setup) / 1e9)

    async def stats():
        tot = {"recv": 0, "lost": 0, "concealed_samples": 0, "samples": 0}
        for tr in remote_tracks:
            if tr is None:
                continue
            for s in await tr.get_stats():
                if s.WhichOneof("stats") == "inbound_rtp":
                    ib = s.inbound_rtp
                    tot["recv"] += ib.received.packets_received
                    tot["lost"] += max(0, ib.received.packets_lost)
                    tot["concealed_samples"] += ib.inbound.concealed_samples
                    tot["samples"] += ib.inbound.total_samples_received
        return tot

    # The windows are timed by a thread, not by the event loop: when the loop cannot keep
    # up (too many participants for one interpreter), the windows still come on time and
    # show it (samples_read falls behind; the stats call, which needs the loop, times out).
    loop = asyncio.get_running_loop()
    finished = loop.create_future()

    def fetch_stats():
        try:
            return asyncio.run_coroutine_threadsafe(stats(), loop).result(timeout=max(5.0, a.window_s / 2))
        except Exception:
            return None

    def windows_thread():
        time.sleep(a.warmup)
        prev = fetch_stats()
        prev_cpu, prev_t, prev_read = cpu_s(), now_ns(), sum(counts)
        for w in range(a.windows):
            time.sleep(max(0.0, (prev_t + a.window_s * 1e9 - now_ns()) / 1e9))
            c, t, rd = cpu_s(), now_ns(), sum(counts)
            cur = fetch_stats()
            secs = (t - prev_t) / 1e9
            if cur is not None and prev is not None:
                d = {k: cur[k] - prev[k] for k in cur}
            else:
                d = {"recv": -1, "lost": -1, "concealed_samples": -1, "samples": -1}
            emit("window", w=w, n=n, secs=secs, cpu_s=c - prev_cpu, loadavg=loadavg(),
                 recv=d["recv"], lost=d["lost"], concealed_samples=d["concealed_samples"], samples=d["samples"],
                 samples_read=rd - prev_read, expected_samples=int(secs * SR * (n if n > 1 else 0)),
                 stats_ok=cur is not None and prev is not None)
            prev, prev_cpu, prev_t, prev_read = cur, c, t, rd
        loop.call_soon_threadsafe(lambda: finished.done() or finished.set_result(True))

    threading.Thread(target=windows_thread, daemon=True).start()
    await finished
    stop.set()
    for f in feeders + readers:
        f.cancel()
    for r in rooms:
        await r.disconnect()
    emit("done")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("join")
    j.add_argument("--count", type=int, default=20)
    j.add_argument("--prefix", default="join")
    d = sub.add_parser("data")
    d.add_argument("--sizes", default="1024,15360")
    d.add_argument("--count", type=int, default=2000)
    d.add_argument("--runs", type=int, default=3)
    d.add_argument("--bytes-per-run", type=int, default=0)
    f = sub.add_parser("first")
    f.add_argument("--reps", type=int, default=10)
    f.add_argument("--threshold", type=int, default=1000)
    for name in ("pub", "sub"):
        s = sub.add_parser(name)
        s.add_argument("--room", required=True)
        s.add_argument("--identity", required=True)
        s.add_argument("--clicks", type=int, default=50)
        s.add_argument("--interval-ms", type=int, default=500)
        s.add_argument("--lead-ms", type=int, default=2000)
        s.add_argument("--threshold", type=int, default=3000)
        s.add_argument("--timeout", type=float, default=120)
        s.add_argument("--tone", action="store_true")
        s.add_argument("--wait-for", default="")
        s.add_argument("--from", dest="from_", default=None)
    fp = sub.add_parser("footprint")
    fp.add_argument("--room", required=True)
    fp.add_argument("--identity", required=True)
    fp.add_argument("--mode", choices=["idle", "audio"], default="audio")
    sub.add_parser("bare")
    sub.add_parser("imported")
    ld = sub.add_parser("load")
    ld.add_argument("--n", type=int, default=10)
    ld.add_argument("--warmup", type=float, default=5)
    ld.add_argument("--windows", type=int, default=3)
    ld.add_argument("--window-s", type=float, default=20)
    a = p.parse_args()
    if a.cmd == "bare":
        return cmd_bare(a)
    if a.cmd == "imported":
        return cmd_imported(a)
    fn = {"join": cmd_join, "data": cmd_data, "first": cmd_first, "pub": cmd_pub, "sub": cmd_sub,
          "footprint": cmd_footprint, "load": cmd_load}[a.cmd]
    try:
        asyncio.run(fn(a))
    except KeyboardInterrupt:
        pass
    # The Rust core may keep threads; leave without waiting for them (after flushing).
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
