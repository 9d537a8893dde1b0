# `lkc demo` (what `make demo` runs) passes: exit 0, each participant hears the other's
# tone at its frequency, every ping is answered. Run twice: against the test server
# (LIVEKIT_URL set) and as `make demo` does on a fresh machine (no LIVEKIT_URL: the demo
# starts its own local livekit-server).
set -u
lkc="$LKC_BUILD_DIR/lkc"
fail() { echo "FAIL: $*" >&2; exit 1; }

check_run() { # what, output, status
  local what=$1 out=$2 status=$3
  echo "--- lkc demo ($what), exit $status:"
  echo "$out"
  [ "$status" -eq 0 ] || fail "lkc demo ($what) exited with $status (output above)"
  echo "$out" | grep -Eq '^  alice hears 6(5[5-9]|6[0-5])\.[0-9] Hz .*: ok$' ||
    fail "lkc demo ($what): alice did not report hearing bob's 660 Hz (output above)"
  echo "$out" | grep -Eq '^  bob   hears 4(3[5-9]|4[0-5])\.[0-9] Hz .*: ok$' ||
    fail "lkc demo ($what): bob did not report hearing alice's 440 Hz (output above)"
  echo "$out" | grep -Eq '5/5 answered, round trip median [0-9.]+ ms' ||
    fail "lkc demo ($what): not every ping was answered (output above)"
  echo "$out" | grep -Eq '^  alice joined in [0-9]+ ms' || fail "lkc demo ($what): no join time (output above)"
}

start=$(date +%s)
out=$(timeout 60 "$lkc" demo 2>&1); check_run "test server at $LIVEKIT_URL" "$out" $?
out=$(env -u LIVEKIT_URL -u LIVEKIT_API_KEY -u LIVEKIT_API_SECRET timeout 60 "$lkc" demo 2>&1)
check_run "its own local server" "$out" $?
echo "$out" | grep -q "a local livekit-server started for the demo" ||
  fail "without LIVEKIT_URL the demo did not say it started a local server"
took=$(( $(date +%s) - start ))
[ "$took" -lt 40 ] || fail "the two demo runs took $took s; the demo should finish in well under a minute"
echo "PASS (both runs in $took s)"
