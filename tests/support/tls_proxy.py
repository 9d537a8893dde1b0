#!/usr/bin/env python3
"""A TLS-terminating TCP relay on 127.0.0.1 for wss:// tests (standard library only).

    tls_proxy.py --cert cert.pem --key key.pem --target-port 7880

Prints "listening <port>" once ready; relays every TLS connection to
127.0.0.1:<target-port> in plain TCP; exits when stdin closes."""
import argparse
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--target-port", type=int, required=True)
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)

    async def handle(reader, writer):
        try:
            tr, tw = await asyncio.open_connection("127.0.0.1", a.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, tw), pipe(tr, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
