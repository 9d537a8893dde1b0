"""(h) `lkc server` never leaves its livekit-server behind. Stopped with SIGTERM (a
script's kill, systemd), SIGINT (Ctrl-C) or SIGHUP (a closed terminal), it stops its
livekit-server child and exits 0: the child process is gone and the server's ports
(HTTP, RTC/TCP, RTC/UDP) can be bound again. The SIGTERM case runs with a participant
connected, when livekit-server's own first SIGTERM only drains (waits for participants
to leave). SIGKILL cannot be handled: there the kernel kills the child with its parent
(PR_SET_PDEATHSIG)."""
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from cli_support import LKC, Proc, TestFailure, room_name, run_test


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def bindable(port, kind, host):
    s = socket.socket(socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            # ignores our own TIME_WAIT connections, but not a listener
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        if kind == socket.SOCK_STREAM:
            s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


def ports_in_use(port):
    """Which of the server's ports cannot be bound: HTTP (TCP, 127.0.0.1), RTC/TCP
    (livekit-server binds it on all interfaces), RTC/UDP (see write_config in server.c)."""
    busy = []
    if not bindable(port, socket.SOCK_STREAM, "127.0.0.1"):
        busy.append(f"tcp {port}")
    if not bindable(port + 1, socket.SOCK_STREAM, "0.0.0.0"):
        busy.append(f"tcp {port + 1}")
    if not bindable(port + 2, socket.SOCK_DGRAM, "127.0.0.1"):
        busy.append(f"udp {port + 2}")
    return busy


def pick_port():
    # below the ephemeral range, like scripts/lk-server
    for _ in range(200):
        p = random.randint(10000, 29990)
        if not ports_in_use(p):
            return p
    raise TestFailure("no free port triple found")


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
            return r.status == 200 and r.read().strip() == b"OK"
    except Exception:
        return False


def children(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except OSError:
        pass
    return kids


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def running(pid):
    """Alive and not a zombie (a zombie holds no ports; whoever adopted it reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def wait_until(pred, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def one(procs, sig, with_participant):
    name = signal.Signals(sig).name
    port = pick_port()
    srv = Proc(f"lkc server ({name})", [LKC, "server", "--port", str(port)], stdin=subprocess.DEVNULL)
    procs.append(srv)
    check(wait_until(lambda: ready(port) or srv.p.poll() is not None, 30) and srv.p.poll() is None,
          f"{name}: lkc server on port {port} did not become ready (status {srv.p.poll()})\n  {srv.history()}")
    kids = [k for k in children(srv.p.pid) if "livekit-server" in cmdline(k)]
    check(len(kids) == 1, f"{name}: expected one livekit-server child of lkc server, found {kids} "
          f"(children: {[(k, cmdline(k)) for k in children(srv.p.pid)]})")
    child = kids[0]
    check(ports_in_use(port), f"{name}: the port check sees nothing in use while the server runs")

    join = None
    if with_participant:
        env = dict(os.environ, LIVEKIT_URL=f"ws://127.0.0.1:{port}", LIVEKIT_API_KEY="devkey",
                   LIVEKIT_API_SECRET="secret")
        join = Proc("lkc join", [LKC, "join", "--room", room_name("srv-sig"), "--identity", "stayer",
                                 "--duration", "120", "--json"], stdin=subprocess.DEVNULL, env=env)
        procs.append(join)
        join.wait_ev("connected", timeout=30)

    t0 = time.monotonic()
    os.kill(srv.p.pid, sig)
    try:
        rc = srv.p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{name}: lkc server still running 15 s after {name}\n  {srv.history()}")
    took = time.monotonic() - t0
    if sig == signal.SIGKILL:
        check(rc == -signal.SIGKILL, f"{name}: lkc server status {rc}")
    else:
        check(rc == 0, f"{name}: lkc server exited with {rc}\n  {srv.history()}")
    check(wait_until(lambda: not running(child), 10),
          f"{name}: livekit-server (pid {child}) still running after lkc server exited: {cmdline(child)}")
    deadline = time.monotonic() + 5
    busy = ports_in_use(port)
    while busy and time.monotonic() < deadline:
        time.sleep(0.05)
        busy = ports_in_use(port)
    check(not busy, f"{name}: ports still in use after lkc server exited: {busy}")
    if join:
        join.stop(signal.SIGINT)  # it lost its server; any status
    print(f"{name}: lkc server exited {rc} in {took:.2f} s"
          f"{' with a participant connected' if with_participant else ''}; livekit-server {child} gone, "
          f"ports {port}..{port + 2} free")


def main(procs):
    if not os.access(LKC, os.X_OK):
        raise TestFailure(f"{LKC} is missing")
    one(procs, signal.SIGTERM, with_participant=True)
    one(procs, signal.SIGINT, with_participant=False)
    one(procs, signal.SIGHUP, with_participant=False)
    one(procs, signal.SIGKILL, with_participant=False)


if __name__ == "__main__":
    run_test(main)
