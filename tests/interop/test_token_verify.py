"""The official verifier (livekit-api's TokenVerifier, what LiveKit's Python server
SDK uses) accepts tokens minted by lkc (`lkc token`, i.e. lkc_token_mint) with every
claim intact, and rejects one signed with the wrong secret; the real server's
/rtc/validate agrees."""
import os
import subprocess
import sys
import urllib.error
import urllib.request

from livekit import api

BUILD = os.environ["LKC_BUILD_DIR"]
KEY, SECRET = os.environ["LIVEKIT_API_KEY"], os.environ["LIVEKIT_API_SECRET"]
URL = os.environ["LIVEKIT_URL"].replace("ws://", "http://").replace("wss://", "https://")


def mint(secret: str) -> str:
    env = dict(os.environ, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=secret)
    out = subprocess.run([os.path.join(BUILD, "lkc"), "token", "--room", "verify-room", "--identity",
                          "alice", "--name", "Alice \"A\"", "--metadata", '{"k":1}', "--attribute",
                          "lang=c", "--attribute", "team=x=y", "--ttl", "10m"],
                         env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def validate(token: str) -> int:
    req = urllib.request.Request(URL + "/rtc/validate", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main() -> int:
    good = mint(SECRET)
    claims = api.TokenVerifier(KEY, SECRET).verify(good)
    checks = [
        (claims.identity == "alice", f"identity {claims.identity!r}"),
        (claims.name == 'Alice "A"', f"name {claims.name!r}"),
        (claims.metadata == '{"k":1}', f"metadata {claims.metadata!r}"),
        (dict(claims.attributes) == {"lang": "c", "team": "x=y"}, f"attributes {claims.attributes!r}"),
        (claims.video.room_join and claims.video.room == "verify-room", f"video grant {claims.video!r}"),
        (claims.video.can_publish and claims.video.can_subscribe and claims.video.can_publish_data,
         "publish/subscribe grants"),
        (validate(good) == 200, "the server's /rtc/validate refused a good token"),
    ]
    bad = mint("not-the-secret")
    try:
        api.TokenVerifier(KEY, SECRET).verify(bad)
        checks.append((False, "a token signed with the wrong secret was accepted"))
    except Exception as e:  # the verifier raises on a bad signature
        print(f"wrong secret rejected as expected: {type(e).__name__}")
    checks.append((validate(bad) == 401, "the server accepted a token with the wrong secret"))
    failed = [msg for ok, msg in checks if not ok]
    for msg in failed:
        print("FAIL:", msg, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
