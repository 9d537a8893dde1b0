"""peer.py extension: LiveKit RPC with the official SDK, both ways.

Methods it registers (as soon as the room is connected; then event "rpc_ready"):
  echo     returns the payload
  fail     raises RpcError(code, message, data) from the JSON payload
           {"code":..,"message":..,"data":..} (defaults 2001, "failed on purpose", none)
  slow     sleeps float(payload) seconds (default 20), then returns "slow done"
  big      returns int(payload) bytes of "b"
  whoami   returns the caller identity
Every invocation emits "rpc_invoked" {method, caller, request_id, payload_len,
response_timeout_ms} before it answers.

Commands:
  {"cmd":"perform_rpc","to":"id","method":"echo","payload":"..","size":0,"timeout_ms":0,
   "tag":"t"}
        one call (payload: `size` bytes of "p" when size > 0); event "rpc_result" {tag,
        payload (when <= 2000 bytes), payload_len, ms} or "rpc_error" {tag, code, message,
        data, ms}
  {"cmd":"perform_many","to":"id","method":"echo","count":100,"prefix":"m","tag":"t",
   "sequential":false}
        count calls with payloads "<prefix><i>" (concurrently unless sequential); event
        "rpc_many" {tag, count, ok (answers equal to their payload), errors (code ->
        count), median_ms, p95_ms, ms (total)}
"""
import asyncio
import json
import sys
import time

from livekit import rtc

emit = None  # set by peer.py's loader (a fallback below when it is not)


def _emit(event, **kw):
    if emit:
        emit(event, **kw)
        return
    kw["event"] = event
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def _invoked(data: rtc.RpcInvocationData, method: str):
    _emit("rpc_invoked", method=method, caller=data.caller_identity, request_id=data.request_id,
          payload_len=len(data.payload.encode()), response_timeout_ms=int(data.response_timeout * 1000))


async def _echo(data):
    _invoked(data, "echo")
    return data.payload


async def _fail(data):
    _invoked(data, "fail")
    try:
        spec = json.loads(data.payload) if data.payload else {}
    except ValueError:
        spec = {}
    raise rtc.RpcError(int(spec.get("code", 2001)), spec.get("message", "failed on purpose"),
                       spec.get("data"))


async def _slow(data):
    _invoked(data, "slow")
    await asyncio.sleep(float(data.payload or 20))
    return "slow done"


async def _big(data):
    _invoked(data, "big")
    return "b" * int(data.payload or 0)


async def _whoami(data):
    _invoked(data, "whoami")
    return data.caller_identity


METHODS = {"echo": _echo, "fail": _fail, "slow": _slow, "big": _big, "whoami": _whoami}


def setup(peer):
    async def register_when_connected():
        # local_participant exists only once connect() is done
        while peer.room._local_participant is None:
            await asyncio.sleep(0.01)
        for name, fn in METHODS.items():
            peer.room.local_participant.register_rpc_method(name, fn)
        _emit("rpc_ready")

    peer.spawn(register_when_connected())


async def _call(peer, to, method, payload, timeout_ms):
    t0 = time.monotonic()
    try:
        res = await peer.room.local_participant.perform_rpc(
            destination_identity=to, method=method, payload=payload,
            response_timeout=(timeout_ms / 1000.0) if timeout_ms else None)
        return ("ok", res, (time.monotonic() - t0) * 1000.0)
    except rtc.RpcError as e:
        return ("error", e, (time.monotonic() - t0) * 1000.0)


async def _perform_rpc(peer, c):
    async def run():
        size = int(c.get("size", 0))
        payload = "p" * size if size > 0 else c.get("payload", "")
        kind, res, ms = await _call(peer, c["to"], c.get("method", "echo"), payload, int(c.get("timeout_ms", 0)))
        if kind == "ok":
            b = res.encode()
            _emit("rpc_result", tag=c.get("tag", ""), payload=res if len(b) <= 2000 else None,
                  payload_len=len(b), all_b=(res == "b" * len(res)), ms=round(ms, 2))
        else:
            _emit("rpc_error", tag=c.get("tag", ""), code=int(res.code), message=res.message,
                  data=res.data, ms=round(ms, 2))
    peer.spawn(run())


async def _perform_many(peer, c):
    async def run():
        n = int(c.get("count", 100))
        prefix = c.get("prefix", "m")
        method = c.get("method", "echo")
        t0 = time.monotonic()
        if c.get("sequential"):
            results = [await _call(peer, c["to"], method, f"{prefix}{i}", 0) for i in range(n)]
        else:
            results = await asyncio.gather(*[_call(peer, c["to"], method, f"{prefix}{i}", 0) for i in range(n)])
        ok = sum(1 for i, (k, r, _) in enumerate(results) if k == "ok" and r == f"{prefix}{i}")
        errors = {}
        for k, r, _ in results:
            if k == "error":
                errors[str(int(r.code))] = errors.get(str(int(r.code)), 0) + 1
        times = sorted(ms for _, _, ms in results)
        _emit("rpc_many", tag=c.get("tag", ""), count=n, ok=ok, errors=errors,
              median_ms=round(times[len(times) // 2], 2) if times else 0,
              p95_ms=round(times[min(len(times) - 1, int(len(times) * 0.95))], 2) if times else 0,
              ms=round((time.monotonic() - t0) * 1000.0, 1))
    peer.spawn(run())


COMMANDS = {"perform_rpc": _perform_rpc, "perform_many": _perform_many}
