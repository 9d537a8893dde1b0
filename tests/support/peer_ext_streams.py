"""peer.py extension: LiveKit data streams (text and byte) with the Python SDK.

Receiving (setup): text and byte handlers on the topics in TOPICS (and more with
{"cmd":"register_streams","topics":[...]}); each stream is read to its end and reported
as event "text_stream" or "byte_stream" with id, topic, sender, mime_type, name (bytes),
size (the header's total length or null), attributes (the trailer's merged in), length
(bytes), sha256 (hex of the bytes), chunks (pieces the reader gave), text (text streams,
the first 4000 characters), error (null, or the StreamError's description).

Commands (each replies with "<cmd>_done" carrying id and, on failure, error):
  {"cmd":"send_text","text":"...","repeat":1,"topic":"t","to":[...],"attributes":{},"compress":true,
   "reply_to":"<stream id>"}
        text * repeat via local_participant.send_text
  {"cmd":"stream_text","parts":["..",".."],"repeat":1,"topic":"t","to":[...],"attributes":{},
   "delay_ms":0,"close_attributes":{},"leave_after":-1,"total_size":null,"abort_reason":""}
        a TextStreamWriter: each part (parts * repeat) written on its own; with
        leave_after >= 0 it leaves the room after that many writes without closing; with
        abort_reason it closes with that reason (an abnormal end)
  {"cmd":"send_bytes","size":N,"seed":1,"topic":"t","name":"x","to":[...],"attributes":{},"compress":true}
  {"cmd":"send_file","path":"/tmp/x","topic":"t","to":[...],"attributes":{},"compress":true}
  {"cmd":"stream_bytes","size":N,"seed":1,"piece":15000,"topic":"t","name":"x","to":[...],
   "attributes":{},"leave_after":-1,"delay_ms":0}
  {"cmd":"make_file","path":"/tmp/x","size":N,"seed":1}     writes pseudo-random bytes
        (the same as send_bytes with that seed), replies with sha256
Bytes of a given size and seed are deterministic (pseudo-random, incompressible), so the
test can check the sha256 of what it got against "sha256" in the *_done reply.
"""
import asyncio
import hashlib
import random

from livekit import rtc

TOPICS = ["stream.text", "stream.text2", "stream.bytes", "stream.files", "stream.pull"]

emit = None  # set by peer.py's loader


def data_of(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


async def _read_text(reader: rtc.TextStreamReader, sender: str):
    parts, err = [], None
    try:
        async for chunk in reader:
            parts.append(chunk)
    except Exception as e:  # StreamError on an abnormal end
        err = getattr(e, "description", None) or f"{type(e).__name__}: {e}"
    text = "".join(parts)
    raw = text.encode()
    info = reader.info
    emit("text_stream", id=info.stream_id, topic=info.topic, sender=sender, mime_type=info.mime_type,
         size=info.size, attributes=dict(info.attributes or {}), length=len(raw),
         sha256=hashlib.sha256(raw).hexdigest(), chunks=len(parts), text=text[:4000], error=err)


async def _read_bytes(reader: rtc.ByteStreamReader, sender: str):
    h, n, chunks, err = hashlib.sha256(), 0, 0, None
    try:
        async for chunk in reader:
            h.update(chunk)
            n += len(chunk)
            chunks += 1
    except Exception as e:
        err = getattr(e, "description", None) or f"{type(e).__name__}: {e}"
    info = reader.info
    emit("byte_stream", id=info.stream_id, topic=info.topic, sender=sender, mime_type=info.mime_type,
         name=info.name, size=info.size, attributes=dict(info.attributes or {}), length=n,
         sha256=h.hexdigest(), chunks=chunks, error=err)


def _register(peer, topic: str):
    peer.room.register_text_stream_handler(topic, lambda r, who: peer.spawn(_read_text(r, who)))
    peer.room.register_byte_stream_handler(topic, lambda r, who: peer.spawn(_read_bytes(r, who)))


def setup(peer):
    for t in TOPICS:
        _register(peer, t)


def _common(c):
    return dict(topic=c.get("topic", ""), destination_identities=c.get("to") or None,
                attributes=c.get("attributes") or None)


async def _guard(cmd: str, coro):
    try:
        info = await coro
        emit(cmd + "_done", **(info or {}))
    except Exception as e:
        emit(cmd + "_done", error=f"{type(e).__name__}: {e}")


async def register_streams(peer, c):
    for t in c.get("topics", []):
        _register(peer, t)
    emit("register_streams_done")


async def send_text(peer, c):
    async def go():
        text = c.get("text", "") * int(c.get("repeat", 1))
        info = await peer.room.local_participant.send_text(text, compress=c.get("compress", True),
                                                           reply_to_id=c.get("reply_to"), **_common(c))
        return {"id": info.stream_id, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "length": len(text.encode())}
    peer.spawn(_guard("send_text", go()))


async def stream_text(peer, c):
    async def go():
        parts = list(c.get("parts", [])) * int(c.get("repeat", 1))
        w = await peer.room.local_participant.stream_text(total_size=c.get("total_size"), **_common(c))
        leave_after = int(c.get("leave_after", -1))
        delay = float(c.get("delay_ms", 0)) / 1000.0
        for i, p in enumerate(parts):
            if i == leave_after:
                await asyncio.sleep(0.5)  # what was written goes out before we leave
                emit("stream_text_leaving", id=w.info.stream_id)
                peer.done.set()
                return {"id": w.info.stream_id, "left": True}
            await w.write(p)
            if delay:
                await asyncio.sleep(delay)
        reason = c.get("abort_reason", "")
        await w.aclose(reason=reason, attributes=c.get("close_attributes") or None)
        raw = "".join(parts).encode()
        return {"id": w.info.stream_id, "sha256": hashlib.sha256(raw).hexdigest(), "length": len(raw)}
    peer.spawn(_guard("stream_text", go()))


async def send_bytes(peer, c):
    async def go():
        data = data_of(int(c["size"]), int(c.get("seed", 1)))
        info = await peer.room.local_participant.send_bytes(
            data, name=c.get("name"), compress=c.get("compress", True), **_common(c))
        return {"id": info.stream_id, "sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}
    peer.spawn(_guard("send_bytes", go()))


async def send_file(peer, c):
    async def go():
        info = await peer.room.local_participant.send_file(c["path"], compress=c.get("compress", True),
                                                           **_common(c))
        with open(c["path"], "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        return {"id": info.stream_id, "sha256": digest, "name": info.name}
    peer.spawn(_guard("send_file", go()))


async def stream_bytes(peer, c):
    async def go():
        data = data_of(int(c["size"]), int(c.get("seed", 1)))
        piece = int(c.get("piece", 15000))
        w = await peer.room.local_participant.stream_bytes(c.get("name", "stream.bin"), total_size=len(data),
                                                           **_common(c))
        leave_after = int(c.get("leave_after", -1))
        delay = float(c.get("delay_ms", 0)) / 1000.0
        for i, off in enumerate(range(0, len(data), piece)):
            if i == leave_after:
                await asyncio.sleep(0.5)
                emit("stream_bytes_leaving", id=w.info.stream_id)
                peer.done.set()
                return {"id": w.info.stream_id, "left": True}
            await w.write(data[off:off + piece])
            if delay:
                await asyncio.sleep(delay)
        await w.aclose(attributes=c.get("close_attributes") or None)
        return {"id": w.info.stream_id, "sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}
    peer.spawn(_guard("stream_bytes", go()))


async def make_file(peer, c):
    data = data_of(int(c["size"]), int(c.get("seed", 1)))
    with open(c["path"], "wb") as f:
        f.write(data)
    emit("make_file_done", path=c["path"], sha256=hashlib.sha256(data).hexdigest(), length=len(data))


COMMANDS = {
    "register_streams": register_streams,
    "send_text": send_text,
    "stream_text": stream_text,
    "send_bytes": send_bytes,
    "send_file": send_file,
    "stream_bytes": stream_bytes,
    "make_file": make_file,
}
