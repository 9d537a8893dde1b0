"""The JSON contract of `lkc join --json`, against the real server with the official
Python SDK on the other side. Every event the features produce is checked for its
fields, and for what a user would check: the peer's tone is heard at its frequency,
ours is heard by the peer, data goes both ways with topics (text and base64), the
server's own participant list shows us with our track, and Ctrl-C leaves cleanly."""
import asyncio
import base64
import os
import signal
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from cli_support import TestFailure, check, event_name, lkc, peer, room_name, run_test


def server_participants(room):
    """The server's own view (RoomService.ListParticipants): {identity: [track sids]}."""
    from livekit import api

    async def go():
        lk = api.LiveKitAPI(os.environ["LIVEKIT_URL"].replace("ws", "http", 1), os.environ["LIVEKIT_API_KEY"],
                            os.environ["LIVEKIT_API_SECRET"])
        try:
            res = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
            return {p.identity: [t.sid for t in p.tracks] for p in res.participants}
        finally:
            await lk.aclose()
    return asyncio.run(go())


def fields(e, **expected):
    """Checks an event's fields: a value, or a type (str/int/...) the field must have."""
    for k, want in expected.items():
        got = e.get(k)
        ok = isinstance(got, want) if isinstance(want, type) else got == want
        if not ok:
            raise TestFailure(f"event {event_name(e)}: field {k} is {got!r}, expected {want!r}: {e}")


def main(procs):
    room = room_name("cli-json")
    # lkc first, so that when it sends, the peer (joining after) already knows who it is.
    a = lkc("join", "--room", room, "--identity", "cli-a", "--name", "CLI A", "--publish-tone", "440",
            "--send-data", "hello from lkc", "--send-data", "second", "--topic", "greeting",
            "--rpc-echo", "--stats", "--stats-interval", "1", "--duration", "120")
    procs.append(a)
    c = a.wait_ev("connected")
    fields(c, room=room, identity="cli-a", room_sid=str, sid=str, t=int)
    check(c["room_sid"].startswith("RM_") and c["sid"].startswith("PA_"), f"connected: odd sids: {c}")
    pub = a.wait_ev("published")
    fields(pub, track_sid=str)

    pe = peer(room, "py-peer", name="Py Peer")
    procs.append(pe)
    pc = a.wait_ev("participant_connected", identity="py-peer")
    fields(pc, sid=str, name="Py Peer")

    # Data from lkc to the peer, in order, with the topic.
    for text in ("hello from lkc", "second"):
        d = pe.wait_ev("data", timeout=20, payload=text)
        check(d["topic"] == "greeting" and d["sender"] == "cli-a",
              f"the peer got {text!r} with topic {d['topic']!r} from {d['sender']!r}, expected 'greeting' from cli-a")
    sent = a.wait_ev("data_sent")
    fields(sent, topic="greeting", reliable=True, bytes=len("hello from lkc"))

    # The server's own participant list shows us with our published track.
    parts = server_participants(room)
    check("cli-a" in parts and pub["track_sid"] in parts["cli-a"],
          f"the server lists {parts}; expected cli-a with track {pub['track_sid']}")

    # The peer's tone: published, subscribed, heard at its frequency once a second.
    pe.send({"cmd": "tone", "freq": 523, "dbfs": -10})
    peer_sid = pe.wait_ev("published")["track_sid"]
    tp = a.wait_ev("track_published", track_sid=peer_sid)
    fields(tp, participant="py-peer", kind="audio", source="microphone")
    ts = a.wait_ev("track_subscribed", track_sid=peer_sid)
    fields(ts, participant="py-peer", kind="audio")
    start = len(a.events)
    heard = a.wait_for("an audio event near 523 Hz",
                       lambda e: event_name(e) == "audio" and e.get("track_sid") == peer_sid
                       and abs(e.get("freq_hz", 0) - 523) < 5 and e.get("rms_dbfs", -100) > -30,
                       timeout=30, start=start)
    fields(heard, participant="py-peer", rms_dbfs=float, freq_hz=float)

    # Our tone, heard by the peer.
    pe.send({"cmd": "listen", "identity": "cli-a", "seconds": 1.0})
    ph = pe.wait_ev("audio", timeout=30)
    check(abs(ph["peak_hz"] - 440) < 5 and ph["rms_dbfs"] > -30,
          f"the peer heard {ph['peak_hz']:.1f} Hz at {ph['rms_dbfs']:.1f} dBFS from lkc, expected 440 Hz")

    # Data from the peer: reliable and lossy, with topics.
    pe.send({"cmd": "send", "payload": "from the peer", "topic": "chat"})
    d = a.wait_ev("data", payload="from the peer")
    fields(d, **{"from": "py-peer", "topic": "chat", "reliable": True})
    pe.send({"cmd": "send", "payload": "lossy one", "topic": "fast", "reliable": False})
    d = a.wait_ev("data", payload="lossy one")
    fields(d, **{"from": "py-peer", "topic": "fast", "reliable": False})

    # Bytes that are not UTF-8 arrive as base64: sent by a second lkc, only to cli-a.
    raw = b"\xff\xfe lkc \x80"
    # surrogateescape: the argument reaches lkc as exactly these bytes
    b = lkc("join", "--room", room, "--identity", "cli-b", "--send-data", raw.decode("utf-8", "surrogateescape"),
            "--to", "cli-a", "--topic", "bin", "--duration", "60")
    procs.append(b)
    d = a.wait_ev("data", **{"from": "cli-b"})
    check("payload" not in d and base64.b64decode(d.get("payload_b64", "")) == raw and d["topic"] == "bin",
          f"binary data: expected payload_b64 of {raw!r} with topic 'bin', got {d}")
    rc = b.stop(signal.SIGINT)
    check(rc == 0, f"the second lkc exited with {rc} on SIGINT\n  {b.history()}")
    # (cli-b publishes nothing: the server announces such participants in batches every
    # few seconds, and one that comes and goes within a batch is never announced.)

    # Mute, unmute, unpublish, leave: as the peer does them.
    pe.send({"cmd": "mute"})
    fields(a.wait_ev("track_muted", track_sid=peer_sid), participant="py-peer")
    pe.send({"cmd": "unmute"})
    fields(a.wait_ev("track_unmuted", track_sid=peer_sid), participant="py-peer")
    pe.send({"cmd": "unpublish"})
    fields(a.wait_ev("track_unsubscribed", track_sid=peer_sid), participant="py-peer")
    pe.send({"cmd": "leave"})
    a.wait_ev("participant_disconnected", identity="py-peer")
    pe.stop()

    # --stats: counters of both peer connections, our source and the stream we heard.
    pcs = {e["pc"]: e for e in a.events if event_name(e) == "pc_stats"}
    check(set(pcs) == {"publisher", "subscriber"} and pcs["publisher"]["bytes_sent"] > 0
          and pcs["publisher"]["ice_state"] == "connected", f"pc_stats: {pcs}")
    src = [e for e in a.events if event_name(e) == "source_stats"]
    check(src and src[-1]["frames_sent"] > 0 and src[-1]["track_sid"] == pub["track_sid"], f"source_stats: {src[-1:]}")
    st = [e for e in a.events if event_name(e) == "stream_stats" and e.get("track_sid") == peer_sid]
    check(st and st[-1]["packets_received"] > 0, f"stream_stats of {peer_sid}: {st[-1:]}")

    # Ctrl-C: a clean leave.
    rc = a.stop(signal.SIGINT)
    d = a.events[-1]
    check(rc == 0 and event_name(d) == "disconnected" and d.get("reason") == "client_initiated",
          f"after SIGINT: exit {rc}, last event {d}; expected 0 and disconnected/client_initiated")

    # Every line was one JSON object with "ev" and a non-decreasing integer "t".
    last = -1
    for e in a.events:
        check(event_name(e) and event_name(e) != "_text", f"a line that is not a JSON event: {e}")
        check(isinstance(e.get("t"), int) and e["t"] >= last, f"t is missing or goes back: {e}")
        last = e["t"]
    print(f"events checked: {sorted({event_name(e) for e in a.events})}")
    print(f"lkc heard {heard['freq_hz']:.1f} Hz at {heard['rms_dbfs']:.1f} dBFS (peer: 523 Hz); "
          f"the peer heard {ph['peak_hz']:.1f} Hz at {ph['rms_dbfs']:.1f} dBFS (lkc: 440 Hz)")


run_test(main)
