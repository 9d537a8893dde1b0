#!/usr/bin/env python3
"""The interop peer: the official LiveKit Python SDK (livekit 1.2.0) driven by a test.

    peer.py --url URL --room ROOM --identity ID [--name N] [--metadata M] [--attr k=v]...

It joins at once and then reads commands, one JSON object per line, on stdin, and
writes events, one JSON object per line ({"event": ..., ...}), on stdout. Commands:

  {"cmd":"send","payload":"text","reliable":true,"topic":"t","to":["id"]}
  {"cmd":"send_many","count":1000,"prefix":"m","reliable":true,"topic":"t","to":[...],"size":0}
        sends count packets "<prefix><i>" (padded with '.' to size bytes when size>0)
  {"cmd":"tone","freq":440,"dbfs":-10,"sample_rate":48000,"channels":1,"right_freq":0}
  {"cmd":"unpublish"}        {"cmd":"mute"}        {"cmd":"unmute"}
  {"cmd":"listen","identity":"id","seconds":1.0,"sample_rate":48000,"channels":1}
        measures the first audio track of that participant: event "audio" with the
        dominant frequency (per channel) and level in dBFS
  {"cmd":"flap","count":100,"max_hold_ms":50}
        publishes and unpublishes a short tone track `count` times (held a random
        0..max_hold_ms each), then event "flapped"; {"cmd":"stop_flap"} stops early
  {"cmd":"publish_brief","hold_ms":50}
        publishes a track, holds it that long, unpublishes it, then event "brief_done"
  {"cmd":"participants"}     event "participants" with identities/names/metadata
  {"cmd":"send_numbered","rate":50,"prefix":"py","topic":"seq","count":0}
        sends "<prefix>-1", "<prefix>-2", ... reliably, `rate` a second, until
        {"cmd":"stop_numbered","prefix":"py"} (prefix omitted: all) or, when count > 0,
        until count were sent; a publish_data that raises is counted and the same
        number is tried again at the next tick (numbers are never skipped). Then event
        "numbered_stopped" with prefix, sent (1..sent went out), raised, errors (by type)
  {"cmd":"seq_report","prefix":"lkc","sender":"id","expected":0}
        event "seq_report" about the numbered messages "<prefix>-<n>" received (from
        that sender only, when given): count, distinct, first, last, highest,
        contiguous, missing (of 1..expected, or of 1..highest; the first 50) and
        missing_count, duplicates, out_of_order, senders
  {"cmd":"leave"}            disconnects and exits
More commands come from the extension modules beside this file (peer_ext_*.py): each
defines COMMANDS = {name: async fn(peer, cmd)} and may define setup(peer), called with
peer.room (an rtc.Room) before it connects (room handlers, stream handlers), and
after_connect(peer), called once connected (the local participant exists only then: RPC
methods).
The loader gives each module this file's `emit` as a global.
Events besides the replies: connected, participant_connected, participant_disconnected,
track_published, track_subscribed, track_unsubscribed, track_muted, track_unmuted, data,
reconnecting, reconnected, connection_state (state: the rtc.ConnectionState name),
disconnected, error. Everything stays on 127.0.0.1 (the server hands out only a loopback
STUN URL and we add no ICE servers).
"""
import argparse
import asyncio
import base64
import json
import math
import os
import re
import sys
import threading
import time

import warnings

import numpy as np
from livekit import api, rtc

# the test server's secret is the short development one on purpose
warnings.filterwarnings("ignore", message=".*HMAC key.*")

T0 = time.monotonic()
SR_DEFAULT = 48000
NUMBERED = re.compile(r"^(.+)-([0-9]+)$")


def emit(event: str, **kw) -> None:
    kw["event"] = event
    kw["t"] = round(time.monotonic() - T0, 3)
    try:
        sys.stdout.write(json.dumps(kw) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        # the test stopped listening (it is done with us): nothing more to tell, and
        # nothing for the interpreter to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def load_extensions() -> list:
    import importlib
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    mods = [importlib.import_module(f[:-3]) for f in sorted(os.listdir(here))
            if f.startswith("peer_ext_") and f.endswith(".py")]
    for m in mods:
        m.emit = emit  # the one event writer (this file runs as __main__: no import of it)
    return mods


EXTENSIONS = []


def token(a) -> str:
    grants = api.VideoGrants(room_join=True, room=a.room, can_publish=True, can_subscribe=True,
                             can_publish_data=True, can_update_own_metadata=True)
    t = api.AccessToken(a.api_key, a.api_secret).with_identity(a.identity).with_grants(grants)
    if a.kind:
        t = t.with_kind(a.kind)
    if a.name:
        t = t.with_name(a.name)
    if a.metadata:
        t = t.with_metadata(a.metadata)
    if a.attr:
        t = t.with_attributes(dict(kv.split("=", 1) for kv in a.attr))
    return t.to_jwt()


def analyse(pcm: np.ndarray, sr: int) -> dict:
    x = pcm.astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(x * x))) if len(x) else 0.0
    win = np.hanning(len(x))
    mag = np.abs(np.fft.rfft(x * win))
    freqs = np.fft.rfftfreq(len(x), d=1.0 / sr)
    peak = float(freqs[int(np.argmax(mag[1:])) + 1]) if len(x) > 2 else 0.0
    return {"peak_hz": peak, "rms_dbfs": 20.0 * math.log10(max(rms, 1e-9))}


class Peer:
    def __init__(self, a):
        self.a = a
        self.room = None  # created inside the running loop: rtc.Room binds to it
        self.source = None
        self.track = None
        self.pub = None
        self.tone_task = None
        self.tasks = set()
        self.done = asyncio.Event()
        self.numbered = {}  # prefix -> {"stop": bool, "task": Task}
        self.seq_in = []    # (sender, prefix, n) of numbered messages, in arrival order

    def spawn(self, coro):
        t = asyncio.ensure_future(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)
        return t

    def hook_events(self):
        r = self.room

        @r.on("participant_connected")
        def _pc(p):
            emit("participant_connected", identity=p.identity, sid=p.sid, name=p.name,
                 metadata=p.metadata, attributes=dict(p.attributes))

        @r.on("participant_disconnected")
        def _pd(p):
            emit("participant_disconnected", identity=p.identity)

        @r.on("track_published")
        def _tp(pub, p):
            emit("track_published", identity=p.identity, track_sid=pub.sid, name=pub.name)

        @r.on("track_subscribed")
        def _ts(track, pub, p):
            emit("track_subscribed", identity=p.identity, track_sid=pub.sid, kind=int(track.kind))

        @r.on("track_unsubscribed")
        def _tu(track, pub, p):
            emit("track_unsubscribed", identity=p.identity, track_sid=pub.sid)

        @r.on("track_muted")
        def _tm(p, pub):
            emit("track_muted", identity=p.identity, track_sid=pub.sid)

        @r.on("track_unmuted")
        def _tun(p, pub):
            emit("track_unmuted", identity=p.identity, track_sid=pub.sid)

        @r.on("data_received")
        def _dr(pkt: rtc.DataPacket):
            who = pkt.participant.identity if pkt.participant else ""
            try:
                text = pkt.data.decode("utf-8")
                m = NUMBERED.match(text)
                if m and int(m.group(2)) >= 1:
                    self.seq_in.append((who, m.group(1), int(m.group(2))))
                emit("data", sender=who, topic=pkt.topic or "", kind=int(pkt.kind), payload=text,
                     size=len(pkt.data))
            except UnicodeDecodeError:
                emit("data", sender=who, topic=pkt.topic or "", kind=int(pkt.kind),
                     payload_b64=base64.b64encode(pkt.data).decode(), size=len(pkt.data))

        @r.on("disconnected")
        def _d(reason=None):
            emit("disconnected", reason=str(reason))

        @r.on("reconnecting")
        def _rcing():
            emit("reconnecting")

        @r.on("reconnected")
        def _rced():
            emit("reconnected")

        @r.on("connection_state_changed")
        def _cs(state):
            try:
                name = rtc.ConnectionState.Name(state)
            except Exception:
                name = str(state)
            emit("connection_state", state=name)

    async def send_numbered(self, c):
        prefix = c.get("prefix", "py")
        rate = float(c.get("rate", 50))
        count = int(c.get("count", 0))
        topic = c.get("topic", "")
        st = self.numbered[prefix]
        lp = self.room.local_participant
        loop = asyncio.get_running_loop()
        period = 1.0 / rate
        due = loop.time()
        n, sent, raised, errors = 1, 0, 0, {}
        while not st["stop"] and (count == 0 or sent < count):
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            due = max(due + period, loop.time() - 1.0)  # far behind: no burst
            try:
                await lp.publish_data(f"{prefix}-{n}".encode(), reliable=True, topic=topic)
                sent = n
                n += 1
            except Exception as e:  # counted; the same number again at the next tick
                raised += 1
                key = type(e).__name__
                errors[key] = errors.get(key, 0) + 1
        emit("numbered_stopped", prefix=prefix, sent=sent, raised=raised, errors=errors)
        self.numbered.pop(prefix, None)

    def seq_report(self, c):
        prefix = c.get("prefix", "")
        sender = c.get("sender")
        expected = int(c.get("expected", 0))
        got = [n for (who, p, n) in self.seq_in if p == prefix and (sender is None or who == sender)]
        senders = sorted({who for (who, p, n) in self.seq_in if p == prefix})
        seen, dups, late, highest = set(), 0, 0, 0
        for n in got:
            if n in seen:
                dups += 1
            elif n < highest:
                late += 1
            seen.add(n)
            highest = max(highest, n)
        upto = expected if expected > 0 else highest
        missing = [n for n in range(1, upto + 1) if n not in seen]
        contiguous = 0
        while contiguous + 1 in seen:
            contiguous += 1
        emit("seq_report", prefix=prefix, sender=sender or "", count=len(got), distinct=len(seen),
             first=got[0] if got else 0, last=got[-1] if got else 0, highest=highest,
             contiguous=contiguous, missing=missing[:50], missing_count=len(missing),
             duplicates=dups, out_of_order=late, senders=senders)

    async def tone(self, c):
        sr = int(c.get("sample_rate", 48000))
        ch = int(c.get("channels", 1))
        freqs = [float(c.get("freq", 440.0)), float(c.get("right_freq") or c.get("freq", 440.0))]
        amp = 32767.0 * (10.0 ** (float(c.get("dbfs", -10.0)) / 20.0))
        if self.source is None:
            self.source = rtc.AudioSource(sr, ch)
            self.track = rtc.LocalAudioTrack.create_audio_track("peer-tone", self.source)
            opts = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            self.pub = await self.room.local_participant.publish_track(self.track, opts)
            emit("published", track_sid=self.pub.sid)
        frame = sr // 100
        n = 0
        while True:
            idx = np.arange(n, n + frame, dtype=np.float64)
            chans = [amp * np.sin(2 * math.pi * freqs[k] * idx / sr) for k in range(ch)]
            samples = np.stack(chans, axis=1).reshape(-1).astype(np.int16)
            n += frame
            await self.source.capture_frame(rtc.AudioFrame(samples.tobytes(), sr, ch, frame))

    async def listen(self, c):
        ident = c["identity"]
        sr = int(c.get("sample_rate", 48000))
        ch = int(c.get("channels", 1))
        seconds = float(c.get("seconds", 1.0))
        deadline = time.monotonic() + float(c.get("timeout", 20))
        track = None
        while track is None and time.monotonic() < deadline:
            p = self.room.remote_participants.get(ident)
            if p:
                for pub in p.track_publications.values():
                    if pub.track is not None and isinstance(pub.track, rtc.RemoteAudioTrack):
                        track = pub.track
            if track is None:
                await asyncio.sleep(0.05)
        if track is None:
            emit("error", cmd="listen", message=f"no audio track from {ident}")
            return
        stream = rtc.AudioStream(track, sample_rate=sr, num_channels=ch)
        onset, settle, got = False, int(0.3 * sr), []
        need = int(seconds * sr)
        try:
            async for ev in stream:
                s = np.frombuffer(ev.frame.data, dtype=np.int16).copy().reshape(-1, ch)
                if not onset:
                    if np.max(np.abs(s)) < 300:
                        if time.monotonic() > deadline:
                            break
                        continue
                    onset = True
                if settle > 0:
                    settle -= len(s)
                    continue
                got.append(s)
                if sum(len(x) for x in got) >= need:
                    break
        finally:
            await stream.aclose()
        if not got:
            emit("error", cmd="listen", message=f"only silence from {ident}")
            return
        pcm = np.concatenate(got)
        per = [analyse(pcm[:, k], sr) for k in range(ch)]
        emit("audio", identity=ident, sample_rate=sr, channels=ch, peak_hz=per[0]["peak_hz"],
             rms_dbfs=per[0]["rms_dbfs"], per_channel=per)

    async def flap(self, count: int, max_hold_ms: int, exact: bool = False):
        import random
        lp = self.room.local_participant
        self.flap_stop = False
        for i in range(count):
            if self.flap_stop:
                break
            src = rtc.AudioSource(SR_DEFAULT, 1)
            track = rtc.LocalAudioTrack.create_audio_track(f"flap-{i}", src)
            opts = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            try:
                pub = await asyncio.wait_for(lp.publish_track(track, opts), 10)
            except Exception as e:
                emit("error", cmd="flap", message=f"publish {i} failed: {type(e).__name__}: {e}")
                await src.aclose()
                continue
            frame = rtc.AudioFrame.create(SR_DEFAULT, 1, SR_DEFAULT // 100)
            hold = max_hold_ms if exact else random.randint(0, max_hold_ms)
            for _ in range(max(1, hold // 10)):
                await src.capture_frame(frame)
            await lp.unpublish_track(pub.sid)
            await src.aclose()
        emit("flapped", count=count)
        if exact:
            emit("brief_done")

    async def handle(self, c):
        cmd = c.get("cmd")
        lp = self.room.local_participant
        if cmd == "send":
            data = c.get("payload", "").encode()
            await lp.publish_data(data, reliable=c.get("reliable", True), topic=c.get("topic", ""),
                                  destination_identities=c.get("to", []))
            emit("sent", count=1)
        elif cmd == "send_many":
            size = int(c.get("size", 0))
            for i in range(int(c["count"])):
                s = f"{c.get('prefix', 'm')}{i}"
                if size > len(s):
                    s = s + "." * (size - len(s))
                await lp.publish_data(s.encode(), reliable=c.get("reliable", True),
                                      topic=c.get("topic", ""), destination_identities=c.get("to", []))
            emit("sent", count=int(c["count"]))
        elif cmd == "tone":
            if self.tone_task:
                self.tone_task.cancel()
            self.tone_task = self.spawn(self.tone(c))
        elif cmd == "unpublish":
            if self.tone_task:
                self.tone_task.cancel()
                self.tone_task = None
            if self.pub:
                await lp.unpublish_track(self.pub.sid)
                emit("unpublished", track_sid=self.pub.sid)
            self.pub = self.track = self.source = None
        elif cmd in ("mute", "unmute"):
            if self.track:
                self.track.mute() if cmd == "mute" else self.track.unmute()
                emit(cmd + "d")
        elif cmd == "listen":
            self.spawn(self.listen(c))
        elif cmd == "publish_brief":
            self.spawn(self.flap(1, int(c.get("hold_ms", 50)), exact=True))
        elif cmd == "stop_flap":
            self.flap_stop = True
        elif cmd == "flap":
            self.spawn(self.flap(int(c.get("count", 100)), int(c.get("max_hold_ms", 50))))
        elif cmd == "participants":
            emit("participants", participants=[
                {"identity": p.identity, "sid": p.sid, "name": p.name, "metadata": p.metadata,
                 "attributes": dict(p.attributes)} for p in self.room.remote_participants.values()])
        elif cmd == "send_numbered":
            prefix = c.get("prefix", "py")
            if prefix in self.numbered:
                emit("error", cmd=cmd, message=f"already sending {prefix}")
                return
            self.numbered[prefix] = {"stop": False}
            self.numbered[prefix]["task"] = self.spawn(self.send_numbered(c))
        elif cmd == "stop_numbered":
            prefix = c.get("prefix")
            for p, st in list(self.numbered.items()):
                if prefix is None or p == prefix:
                    st["stop"] = True
        elif cmd == "seq_report":
            self.seq_report(c)
        elif cmd == "leave":
            self.done.set()
        else:
            for ext in EXTENSIONS:
                fn = getattr(ext, "COMMANDS", {}).get(cmd)
                if fn:
                    await fn(self, c)
                    return
            emit("error", cmd=cmd, message="unknown command")

    async def run(self):
        self.room = rtc.Room()
        self.hook_events()
        for ext in EXTENSIONS:
            if hasattr(ext, "setup"):
                ext.setup(self)
        await self.room.connect(self.a.url, token(self.a), rtc.RoomOptions(auto_subscribe=True))
        for ext in EXTENSIONS:
            if hasattr(ext, "after_connect"):
                ext.after_connect(self)
        emit("connected", room=self.room.name, sid=self.room.local_participant.sid,
             identity=self.room.local_participant.identity)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def reader():
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=reader, daemon=True).start()
        while not self.done.is_set():
            getter = asyncio.ensure_future(queue.get())
            waiter = asyncio.ensure_future(self.done.wait())
            finished, _ = await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if getter not in finished:
                getter.cancel()
                break
            line = getter.result()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            try:
                c = json.loads(line)
                await self.handle(c)
            except Exception as e:  # report, keep serving
                emit("error", message=f"{type(e).__name__}: {e}", line=line[:200])
        for t in list(self.tasks):
            t.cancel()
        await self.room.disconnect()
        emit("left")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--api-key", default="devkey")
    p.add_argument("--api-secret", default="secret")
    p.add_argument("--room", required=True)
    p.add_argument("--identity", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--metadata", default="")
    p.add_argument("--attr", action="append", default=[])
    p.add_argument("--kind", default="", help="participant kind in the token (e.g. agent)")
    a = p.parse_args()
    EXTENSIONS.extend(load_extensions())
    try:
        asyncio.run(Peer(a).run())
    except Exception as e:
        emit("error", message=f"{type(e).__name__}: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
