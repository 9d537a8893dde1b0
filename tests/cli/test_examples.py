"""The examples (build/examples/*) against the real server, with the official Python
SDK on the other side: data_chat between two copies, wav_publisher heard by the peer,
agent_client with an agent-like peer (pre-connect audio, chat, RPC, state, transcript),
echo_bot playing the peer's tone back, recorder writing the peer's tone to a WAV."""
import os
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from cli_support import (check, dominant_hz, example, peer, read_wav, room_name, run_test, text_line,
                         write_wav)


def data_chat(procs):
    room = room_name("ex-chat")
    c1 = example("data_chat", room, "c1", stdin=subprocess.PIPE)
    procs.append(c1)
    c1.wait_for("'* joined'", text_line("* joined"))
    c2 = example("data_chat", room, "c2", stdin=subprocess.PIPE)
    procs.append(c2)
    c2.wait_for("'* joined'", text_line("* joined"))
    c1.wait_for("'* c2 is here'", text_line("* c2 is here"))
    c1.p.stdin.write(b"hello from c1\n")
    c1.p.stdin.flush()
    c2.wait_for("the chat line from c1", text_line("c1: hello from c1"))
    rc = c1.stop()  # end of input: leaves
    check(rc == 0, f"data_chat exited with {rc} at the end of its input\n  {c1.history()}")
    c2.wait_for("'* c1 left'", text_line("* c1 left"))
    rc = c2.stop(signal.SIGINT)
    check(rc == 0, f"data_chat exited with {rc} on Ctrl-C\n  {c2.history()}")
    print("data_chat: a line went from c1 to c2; join/leave seen; clean exits")


def wav_publisher(procs, tmp):
    room = room_name("ex-wav")
    path = os.path.join(tmp, "tone700.wav")
    write_wav(path, 48000, [700], 4.0)
    pe = peer(room, "listener")
    procs.append(pe)
    w = example("wav_publisher", path, room, "wavpub")
    procs.append(w)
    pe.send({"cmd": "listen", "identity": "wavpub", "seconds": 1.0})
    heard = pe.wait_ev("audio", timeout=30)
    check(abs(heard["peak_hz"] - 700) < 5 and heard["rms_dbfs"] > -30,
          f"the peer heard {heard['peak_hz']:.1f} Hz at {heard['rms_dbfs']:.1f} dBFS from wav_publisher, "
          f"expected 700 Hz\n  {w.history()}")
    w.wait_for("'done'", text_line("wav_publisher: done"), timeout=30)
    rc = w.stop()
    check(rc == 0, f"wav_publisher exited with {rc}\n  {w.history()}")
    pe.send({"cmd": "leave"})
    pe.stop()
    print(f"wav_publisher: the peer heard {heard['peak_hz']:.1f} Hz at {heard['rms_dbfs']:.1f} dBFS (file: 700 Hz)")


def echo_bot(procs):
    room = room_name("ex-echo")
    pe = peer(room, "talker")
    procs.append(pe)
    pe.send({"cmd": "tone", "freq": 500, "dbfs": -10})
    pe.wait_ev("published")
    bot = example("echo_bot", room, "bot")
    procs.append(bot)
    bot.wait_for("'echoing talker'", text_line("echoing talker"), timeout=30)
    pe.send({"cmd": "listen", "identity": "bot", "seconds": 1.0})
    heard = pe.wait_ev("audio", timeout=30)
    check(abs(heard["peak_hz"] - 500) < 5 and heard["rms_dbfs"] > -30,
          f"the peer heard {heard['peak_hz']:.1f} Hz at {heard['rms_dbfs']:.1f} dBFS from echo_bot, expected its "
          f"own 500 Hz tone back\n  {bot.history()}")
    rc = bot.stop(signal.SIGINT)
    check(rc == 0, f"echo_bot exited with {rc} on Ctrl-C\n  {bot.history()}")
    pe.send({"cmd": "leave"})
    pe.stop()
    print(f"echo_bot: the peer heard its 500 Hz tone back: {heard['peak_hz']:.1f} Hz at {heard['rms_dbfs']:.1f} dBFS")


def agent_client(procs):
    room = room_name("ex-agent")
    ac = example("agent_client", room, "device", "--rpc", "agent.lookup:temp", "--chat", "hi from device",
                 "--duration", "60")
    procs.append(ac)
    line = ac.wait_for("'microphone published'", text_line("agent_client: microphone published"))
    mic = line["line"].split("(")[1].split(")")[0]
    ag = peer(room, "agent-py", kind="agent")  # the agent comes after the user started talking
    procs.append(ag)
    pre = ag.wait_ev("preconnect_received", timeout=20)
    attrs = pre["attributes"]
    check(pre["from"] == "device" and pre["name"] == "preconnect-buffer" and pre["bytes"] > 0
          and attrs.get("trackId") == mic and attrs.get("sampleRate") == "48000" and attrs.get("channels") == "1",
          f"the agent got the pre-connect buffer as {pre} (microphone {mic})")
    chat = ag.wait_ev("chat_received")
    check(chat["from"] == "device" and chat["text"] == "hi from device", f"the agent got chat {chat}")
    ac.wait_for("the RPC result", text_line('rpc agent.lookup returned {"answer": "temp"}'))
    ag.send({"cmd": "agent_state", "state": "speaking"})
    ac.wait_for("the agent's state", text_line("agent agent-py is speaking"))
    ag.send({"cmd": "agent_say", "segment": "SG_1", "chunks": ["It is ", "21 degrees"]})
    ac.wait_for("the agent's transcript", text_line("transcript agent-py: It is 21 degrees"))
    rc = ac.stop(signal.SIGINT)
    check(rc == 0, f"agent_client exited with {rc} on Ctrl-C\n  {ac.history()}")
    ag.send({"cmd": "leave"})
    ag.stop()
    print(f"agent_client: pre-connect buffer {pre['bytes']} B, chat, RPC, state and transcript as expected")


def recorder(procs, tmp):
    room = room_name("ex-rec")
    pe = peer(room, "singer")
    procs.append(pe)
    pe.send({"cmd": "tone", "freq": 600, "dbfs": -10})
    published = pe.wait_ev("published")
    rec = example("recorder", room, "rec", "4", cwd=tmp)
    procs.append(rec)
    rc = rec.stop(timeout=40)  # leaves by itself after 4 s
    check(rc == 0, f"recorder exited with {rc}\n  {rec.history()}")
    path = os.path.join(tmp, f"singer-{published['track_sid']}.wav")
    check(os.path.exists(path), f"recorder wrote no {path}; files: {os.listdir(tmp)}\n  {rec.history()}")
    rate, ch, data = read_wav(path)
    secs = len(data) / rate
    check(rate == 48000 and ch == 1, f"{path}: {rate} Hz, {ch} channels; expected 48000 Hz mono")
    check(2.5 < secs < 5.0, f"{path} holds {secs:.2f} s; expected about 4 s (recorded for 4 s)")
    hz, db = dominant_hz(data[-rate * 2:, 0], rate)
    check(abs(hz - 600) < 5 and db > -30, f"{path}: the last 2 s are {hz:.1f} Hz at {db:.1f} dBFS; expected 600 Hz")
    pe.send({"cmd": "leave"})
    pe.stop()
    print(f"recorder: {os.path.basename(path)}: {secs:.2f} s, {hz:.1f} Hz at {db:.1f} dBFS (peer: 600 Hz)")


def main(procs):
    with tempfile.TemporaryDirectory(prefix="lkc-examples-") as tmp:
        data_chat(procs)
        wav_publisher(procs, tmp)
        echo_bot(procs)
        recorder(procs, tmp)
        agent_client(procs)


run_test(main)
