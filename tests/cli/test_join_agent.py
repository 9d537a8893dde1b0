"""`lkc join` as the device side of a voice agent, against the real server with an
agent-like participant written on the official Python SDK (tests/support/peer_ext_agent.py,
doing what livekit-agents does): the agent's kind and state, its speech and the user's as
transcripts (lk.transcription text streams, and the older Transcription packets), chat
both ways as text streams, RPC both ways (--rpc-call to the agent's method, --rpc-echo
called by the agent), our attributes set with --set-attribute and seen by the agent, a
file sent as a byte stream, and the agent's attributes with the changed keys."""
import hashlib
import os
import signal
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from cli_support import check, event_name, lkc, peer, room_name, run_test


def main(procs):
    room = room_name("cli-agent")
    ag = peer(room, "agent-py", kind="agent")
    procs.append(ag)
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "notes.bin")
    blob = os.urandom(40000)  # three chunks
    with open(path, "wb") as f:
        f.write(blob)
    a = lkc("join", "--room", room, "--identity", "dev", "--publish-tone", "440",
            "--send-text", "hello agent", "--topic", "lk.chat", "--send-file", path, "--to", "agent-py",
            "--rpc-echo", "--rpc-call", "agent-py:agent.lookup:weather:paris",
            "--set-attribute", "lang=fr", "--set-attribute", "mode=voice", "--duration", "90")
    procs.append(a)
    pc = a.wait_ev("participant_connected", identity="agent-py")
    check(pc.get("kind") == "agent", f"participant_connected of the agent says kind {pc.get('kind')!r}")
    mic = a.wait_ev("published")["track_sid"]

    # our attributes, confirmed by the server and seen by the agent
    a.wait_ev("attributes_set")
    # (set right after the join: the agent may learn of dev with them already)
    seen = ag.wait_ev("participant_connected", identity="dev", timeout=20)
    if seen["attributes"].get("lang") != "fr" or seen["attributes"].get("mode") != "voice":
        seen = ag.wait_for("dev's attributes", lambda e: event_name(e) == "participant_attributes_changed"
                           and e.get("identity") == "dev" and e["attributes"].get("mode") == "voice", timeout=20)
    check(seen["attributes"].get("lang") == "fr" and seen["attributes"].get("mode") == "voice",
          f"the agent sees dev's attributes {seen['attributes']}")

    # chat and the file reach the agent; the RPC call gets the agent's answer
    chat = ag.wait_ev("chat_received", timeout=20)
    check(chat["from"] == "dev" and chat["text"] == "hello agent", f"the agent got chat {chat}")
    f = ag.wait_ev("chat_file_received", timeout=20)
    check(f["from"] == "dev" and f["name"] == "notes.bin" and f["bytes"] == len(blob)
          and f["sha256"] == hashlib.sha256(blob).hexdigest(), f"the agent got the file as {f}")
    res = a.wait_ev("rpc_result", method="agent.lookup", timeout=20)
    check(res["payload"] == '{"answer": "weather:paris"}' and res["ms"] >= 0, f"rpc_result {res}")

    # the agent calls our echo method
    ag.send({"cmd": "perform_rpc", "to": "dev", "method": "echo", "payload": "ping 1", "tag": "e"})
    req = a.wait_ev("rpc_request", method="echo")
    check(req["from"] == "agent-py" and req["payload"] == "ping 1", f"rpc_request {req}")
    r = ag.wait_ev("rpc_result", tag="e")
    check(r["payload"] == "ping 1", f"the agent's call of echo returned {r}")

    # the agent's state, from its lk.agent.state attribute
    for st in ("listening", "thinking", "speaking"):
        ag.send({"cmd": "agent_state", "state": st})
        ev = a.wait_ev("agent_state", state=st)
        check(ev["identity"] == "agent-py", f"agent_state {ev}")
    ch = a.wait_ev("participant_attributes_changed", identity="agent-py")
    check(ch["changed"] == ["lk.agent.state"] and "lk.agent.state" in ch["attributes"],
          f"participant_attributes_changed {ch}")

    # the user's speech (on behalf of dev, interim then final) and the agent's (delta stream)
    ag.send({"cmd": "user_transcript", "identity": "dev", "segment": "SG_u1", "text": "what is the",
             "final": False, "track_id": mic})
    ag.send({"cmd": "user_transcript", "identity": "dev", "segment": "SG_u1", "text": "what is the weather",
             "final": True, "track_id": mic})
    fin = a.wait_ev("transcription", segment_id="SG_u1", final=True)
    check(fin["identity"] == "dev" and fin["text"] == "what is the weather", f"user transcript {fin}")
    ag.send({"cmd": "agent_say", "segment": "SG_a1", "chunks": ["It is ", "sunny in ", "Paris ☀️, 25 °C"]})
    fin = a.wait_ev("transcription", segment_id="SG_a1", final=True)
    check(fin["identity"] == "agent-py" and fin["text"] == "It is sunny in Paris ☀️, 25 °C",
          f"agent transcript {fin}")
    ag.send({"cmd": "legacy_transcription", "identity": "dev", "segment": "SG_l1", "text": "older path",
             "final": True, "track_id": mic})
    fin = a.wait_ev("transcription", segment_id="SG_l1", final=True)
    check(fin["identity"] == "dev" and fin["text"] == "older path", f"legacy transcript {fin}")

    # the agent's chat reply and a file from the agent
    ag.send({"cmd": "agent_reply", "text": "bonjour ✓", "topic": "lk.chat", "attributes": {"k": "v"}})
    t = a.wait_ev("text_received", topic="lk.chat")
    check(t["from"] == "agent-py" and t["text"] == "bonjour ✓" and t["attributes"].get("k") == "v",
          f"text_received {t}")
    print(f"dev: kind, state, transcripts (user interim/final, agent delta, legacy), chat, file "
          f"({len(blob)} B), RPC both ways ({res['ms']} ms) all as expected")
    rc = a.stop(signal.SIGINT)
    check(rc == 0, f"lkc join exited with {rc} on SIGINT\n  {a.history()}")
    ag.send({"cmd": "leave"})
    ag.stop()


if __name__ == "__main__":
    run_test(main)
