# The human side of `lkc`: messages that say what to do next, plain lines when stdout
# is not a terminal, and the live view (ANSI, redrawn in place) on a terminal (a pty
# made by script(1)). Run against the test server.
set -u
lkc="$LKC_BUILD_DIR/lkc"
fail() { echo "FAIL: $*" >&2; exit 1; }
room="cli-human-$$-$RANDOM"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# No URL: says where one comes from.
env -u LIVEKIT_URL "$lkc" join --room "$room" --identity h >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'no URL: set LIVEKIT_URL or pass --url, or run `lkc server`' "$tmp/err" ||
  fail "no URL: exit $st, stderr: $(cat "$tmp/err")"

# A wrong secret: unauthorized, says which variables to check, never prints the token.
LIVEKIT_API_SECRET=wrong timeout 30 "$lkc" join --room "$room" --identity h >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'unauthorized' "$tmp/err" && grep -q 'check LIVEKIT_API_KEY / LIVEKIT_API_SECRET' "$tmp/err" ||
  fail "wrong secret: exit $st, stderr: $(cat "$tmp/err")"
! grep -q 'eyJ' "$tmp/out" "$tmp/err" || fail "wrong secret: the token was printed: $(cat "$tmp/out" "$tmp/err")"

# Nothing listening: unreachable, suggests `lkc server`.
timeout 30 "$lkc" join --url ws://127.0.0.1:1 --room "$room" --identity h >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'unreachable' "$tmp/err" && grep -q 'run `lkc server` in another terminal' "$tmp/err" ||
  fail "unreachable server: exit $st, stderr: $(cat "$tmp/err")"

# Usage: --help exits 0, an unknown command 2.
"$lkc" join --help >"$tmp/out" 2>&1 && grep -q -- '--publish-tone HZ' "$tmp/out" || fail "join --help: $(cat "$tmp/out")"
"$lkc" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "an unknown command did not exit 2"
tok=$("$lkc" token --room "$room" --identity h) && [ "$(echo "$tok" | tr -cd . | wc -c)" -eq 2 ] ||
  fail "lkc token did not print a JWT: $tok"

# Not a terminal: a summary and plain event lines, no escape sequences.
timeout 30 "$lkc" join --room "$room" --identity plain --duration 2 >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 0 ] || fail "plain join: exit $st: $(cat "$tmp/out" "$tmp/err")"
grep -q "^room      $room (RM_" "$tmp/out" && grep -Eq '^\[ *[0-9.]+\] connected room='"$room" "$tmp/out" &&
  grep -Eq '^\[ *[0-9.]+\] disconnected reason=client_initiated' "$tmp/out" ||
  fail "plain join: unexpected output: $(cat "$tmp/out")"
! grep -q $'\e' "$tmp/out" || fail "plain join: escape sequences on a non-terminal"

# A terminal: the live view, redrawn in place (cursor up + erase), showing our tone.
command -v script >/dev/null || fail "script(1) is missing (Debian package bsdutils)"
script -qfec "stty cols 120 2>/dev/null; $lkc join --room $room --identity live --publish-tone 440 --duration 3" \
  "$tmp/tty" >/dev/null 2>&1; st=$?
[ $st -eq 0 ] || fail "live view: exit $st: $(cat -v "$tmp/tty")"
grep -q $'\e\\[[0-9]*F' "$tmp/tty" && grep -q 'Ctrl-C leaves the room' "$tmp/tty" &&
  grep -q 'you publish: tone 440 Hz (TR_' "$tmp/tty" && grep -q "lkc  room $room  as live" "$tmp/tty" ||
  fail "live view: expected a redrawn view with our tone; got: $(cat -v "$tmp/tty" | tail -20)"
echo PASS
