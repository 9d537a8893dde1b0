"""peer.py extension: an agent-like participant written on the official SDK, doing what
livekit-agents (1.x) does with a device (start the peer with --kind agent):

  {"cmd":"agent_state","state":"listening"}      sets the lk.agent.state attribute
  {"cmd":"agent_say","segment":"SG_1","chunks":["Hel","lo ","wörld"],"track_id":"TR_x"}
        the agent's speech as one delta text stream on lk.transcription: attributes
        lk.segment_id, lk.transcribed_track_id, lk.transcription_final=false; a write per
        chunk; closed with lk.transcription_final=true. Event "agent_said".
  {"cmd":"user_transcript","identity":"dev","segment":"SG_2","text":"hi","final":false,
   "track_id":"TR_y"}
        a user transcript (non-delta: a new short stream per interim or final) sent on
        behalf of `identity` (sender_identity). Event "user_transcript_sent".
  {"cmd":"legacy_transcription","identity":"dev","track_id":"TR_y","segment":"SG_3",
   "text":"hello","final":true}
        the older Transcription packet. Event "legacy_sent".
  {"cmd":"agent_reply","text":"...","topic":"lk.chat","to":[...],"attributes":{...}}
        a text stream (send_text). Event "agent_replied".
Handlers (setup, after_connect): lk.chat text streams -> event "chat_received" {from, text},
lk.chat byte streams -> "chat_file_received" {from, name, bytes, sha256};
lk.agent.pre-connect-audio-buffer byte streams -> "preconnect_received" {from, bytes,
name, mime_type, attributes}; RPC method "agent.lookup" returns {"answer": payload}.
"""
import asyncio
import hashlib
import json

from livekit import rtc

emit = None  # set by peer.py's loader


def setup(peer):
    r = peer.room

    async def _chat(reader, who):
        text = await reader.read_all()
        emit("chat_received", **{"from": who, "text": text})

    async def _pre(reader, who):
        total = 0
        async for chunk in reader:
            total += len(chunk)
        emit("preconnect_received", **{"from": who, "bytes": total, "name": reader.info.name,
                                       "mime_type": reader.info.mime_type,
                                       "attributes": dict(reader.info.attributes or {})})

    async def _chat_file(reader, who):
        h = hashlib.sha256()
        total = 0
        async for chunk in reader:
            h.update(chunk)
            total += len(chunk)
        emit("chat_file_received", **{"from": who, "name": reader.info.name, "bytes": total,
                                      "sha256": h.hexdigest()})

    r.register_text_stream_handler("lk.chat", lambda reader, who: peer.spawn(_chat(reader, who)))
    r.register_byte_stream_handler("lk.chat", lambda reader, who: peer.spawn(_chat_file(reader, who)))
    r.register_byte_stream_handler("lk.agent.pre-connect-audio-buffer",
                                   lambda reader, who: peer.spawn(_pre(reader, who)))



def after_connect(peer):
    async def _lookup(data: rtc.RpcInvocationData) -> str:
        emit("agent_rpc", caller=data.caller_identity, payload=data.payload)
        return json.dumps({"answer": data.payload})

    peer.room.local_participant.register_rpc_method("agent.lookup", _lookup)


async def _state(peer, c):
    await peer.room.local_participant.set_attributes({"lk.agent.state": c["state"]})
    emit("agent_state_set", state=c["state"])


async def _say(peer, c):
    lp = peer.room.local_participant
    attrs = {"lk.segment_id": c["segment"], "lk.transcribed_track_id": c.get("track_id", ""),
             "lk.transcription_final": "false"}
    w = await lp.stream_text(topic="lk.transcription", attributes=attrs)
    for chunk in c["chunks"]:
        await w.write(chunk)
        await asyncio.sleep(float(c.get("gap_s", 0.05)))
    await w.aclose(attributes={"lk.transcription_final": "true"})
    emit("agent_said", segment=c["segment"])


async def _user(peer, c):
    lp = peer.room.local_participant
    attrs = {"lk.segment_id": c["segment"], "lk.transcribed_track_id": c.get("track_id", ""),
             "lk.transcription_final": "true" if c.get("final") else "false"}
    w = await lp.stream_text(topic="lk.transcription", attributes=attrs, sender_identity=c["identity"])
    await w.write(c["text"])
    await w.aclose()
    emit("user_transcript_sent", segment=c["segment"])


async def _legacy(peer, c):
    seg = rtc.TranscriptionSegment(id=c["segment"], text=c["text"], start_time=0, end_time=0, language="en",
                                   final=bool(c.get("final")))
    await peer.room.local_participant.publish_transcription(
        rtc.Transcription(participant_identity=c["identity"], track_sid=c.get("track_id", ""), segments=[seg]))
    emit("legacy_sent", segment=c["segment"])


async def _reply(peer, c):
    await peer.room.local_participant.send_text(c["text"], topic=c.get("topic", "lk.chat"),
                                                destination_identities=c.get("to", []),
                                                attributes=c.get("attributes", {}))
    emit("agent_replied")


COMMANDS = {"agent_reply": _reply, "agent_state": _state, "agent_say": _say, "user_transcript": _user, "legacy_transcription": _legacy}
