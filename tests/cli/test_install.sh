# Packaging: `cmake --install` (what `make install PREFIX=...` runs) into a temporary
# prefix, then an example built out of tree against the installed copy, twice: with
# pkg-config and with a small CMake project using find_package(lkc) (the shared and the
# static library). Each program runs far enough to join the test server and leave. The
# public headers also compile as C99/C11 and C++ with -pedantic.
# Problems are collected and reported together at the end.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
problems=()
problem() { echo "PROBLEM: $*" >&2; problems+=("$*"); }

src=$LKC_SOURCE_DIR
build=$LKC_BUILD_DIR
tmp=$(mktemp -d /tmp/lkc-install-XXXXXX); trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cc=$(cache CMAKE_C_COMPILER); cxx=$(cache CMAKE_CXX_COMPILER)
# A sanitizer build's library needs the same runtime in the programs that load it.
case $(cache LKC_SANITIZE) in
  address) san="-fsanitize=address,undefined" ;;
  thread) san="-fsanitize=thread" ;;
  *) san="" ;;
esac
warn="-Wall -Wextra -Wno-unused-parameter -Werror"

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || fail "cmake --install failed: $(cat "$tmp/install.log")"
pc=$(find "$prefix" -name lkc.pc | head -1)
[ -n "$pc" ] || fail "no lkc.pc installed under $prefix: $(find "$prefix" | head -30)"
libdir=$(dirname "$(dirname "$pc")")
for f in include/lkc/lkc.h include/lkc/audio.h; do [ -f "$prefix/$f" ] || problem "$f is not installed"; done
ls "$libdir"/liblkc.so.* >/dev/null 2>&1 || problem "no versioned liblkc.so.* in $libdir"
[ -f "$libdir/liblkc.a" ] || problem "no liblkc.a in $libdir"
[ -f "$libdir/cmake/lkc/lkcConfig.cmake" ] || problem "no lkcConfig.cmake in $libdir/cmake/lkc"

# Runs a program built from examples/data_chat.c: it joins, sends one line and leaves at
# the end of its input. It must load the installed library, not the build tree's.
run_chat() { # what, binary
  local what=$1 bin=$2
  if ldd "$bin" | grep -q 'liblkc\.so' && ! ldd "$bin" | grep 'liblkc\.so' | grep -q "$prefix"; then
    problem "$what: loads $(ldd "$bin" | grep liblkc), not the installed copy"
  fi
  echo "hello from $what" | timeout 60 "$bin" "install-test-$$" "$what" >"$tmp/run.out" 2>&1; local st=$?
  if [ $st -ne 0 ] || ! grep -q '^\* joined' "$tmp/run.out"; then
    problem "$what: exit $st, expected 0 after joining: $(cat "$tmp/run.out")"
  else
    echo "ok: $what joined the test server and left"
  fi
}

# --- pkg-config --------------------------------------------------------------------------
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_prefix=$(pkg-config --variable=prefix lkc)
pcflags=""
# lkc.pc is relocatable (prefix=${pcfiledir}/../..): compare the directories it names
if [ "$(realpath -m "$pc_prefix")" != "$(realpath -m "$prefix")" ]; then
  problem "lkc.pc says prefix=$pc_prefix after installing to $prefix (as \`make install PREFIX=...\`
  does): it should be relocatable (cmake/lkc.pc.in). Continuing with pkg-config --define-prefix."
  pcflags="--define-prefix"
fi
cflags=$(pkg-config $pcflags --cflags lkc) && libs=$(pkg-config $pcflags --libs lkc) || fail "pkg-config lkc failed"
if $cc -std=c11 $warn $san $cflags "$src/examples/data_chat.c" -o "$tmp/chat_pc" $libs -lm \
     -Wl,-rpath,"$libdir" 2>"$tmp/cc.log"; then
  run_chat "pkg-config build" "$tmp/chat_pc"
else
  problem "the pkg-config build of data_chat.c failed: $(cat "$tmp/cc.log")"
fi

# --- the headers as C and C++ ------------------------------------------------------------
cat >"$tmp/hdr.c" <<'C'
#include <lkc/lkc.h>
int main(void) { return lkc_version() ? 0 : 1; }
C
for std in c99 c11; do
  $cc -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$tmp/hdr.c" 2>"$tmp/cc.log" ||
    problem "the headers do not compile as $std -pedantic: $(cat "$tmp/cc.log")"
done
cat >"$tmp/cxx.cpp" <<'CXX'
// The public headers from C++: extern "C", no C-only syntax.
#include <lkc/lkc.h>
#include <cstdio>
int main()
{
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    lkc_room_t *room = nullptr;
    if (lkc_room_create(&ro, &room) != LKC_OK)
        return 1;
    lkc_room_destroy(room);
    std::printf("lkc %s from C++ (%s)\n", lkc_version(), lkc_err_str(LKC_ERR_TIMEOUT));
    return 0;
}
CXX
for std in c++11 c++17; do
  if $cxx -std=$std -pedantic -Wall -Wextra -Werror $san $cflags "$tmp/cxx.cpp" -o "$tmp/cxx" $libs \
       -Wl,-rpath,"$libdir" 2>"$tmp/cc.log"; then
    "$tmp/cxx" >"$tmp/run.out" 2>&1 && grep -q "from C++" "$tmp/run.out" ||
      problem "the C++ program ($std) did not run: $(cat "$tmp/run.out")"
  else
    problem "the headers do not compile as $std -pedantic: $(cat "$tmp/cc.log")"
  fi
done

# --- CMake: find_package(lkc) -------------------------------------------------------------
mkdir -p "$tmp/proj"
cat >"$tmp/proj/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(lkc_consumer C CXX)
find_package(lkc 0.1 REQUIRED)
add_executable(chat "$src/examples/data_chat.c")
target_link_libraries(chat PRIVATE lkc::lkc m)
add_executable(chat_static "$src/examples/data_chat.c")
target_link_libraries(chat_static PRIVATE lkc::lkc_static m)
add_executable(cxx "$tmp/cxx.cpp")
target_link_libraries(cxx PRIVATE lkc::lkc)
CM
unset PKG_CONFIG_PATH
if cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
     -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
     -DCMAKE_EXE_LINKER_FLAGS="$san" >"$tmp/cmake.log" 2>&1 &&
   cmake --build "$tmp/proj/build" -j2 >>"$tmp/cmake.log" 2>&1; then
  run_chat "CMake find_package build" "$tmp/proj/build/chat"
  run_chat "CMake static build" "$tmp/proj/build/chat_static"
  "$tmp/proj/build/cxx" >/dev/null 2>&1 || problem "the CMake-built C++ program did not run"
else
  problem "the find_package(lkc) project did not configure or build: $(tail -30 "$tmp/cmake.log")"
fi

if [ ${#problems[@]} -gt 0 ]; then
  echo "FAIL: ${#problems[@]} packaging problem(s):" >&2
  for p in "${problems[@]}"; do echo " - $p" >&2; done
  exit 1
fi
echo PASS
