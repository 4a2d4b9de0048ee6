#!/usr/bin/env bash
# Builds librandomx for Windows x64 as a static library: Debian ships no Windows build, so this takes the source
# Debian's package is made from (its orig tarball, the same version as librandomx/VERSION), checks it against the sum
# committed beside this script, and cross-compiles it with mingw-w64 (the -posix compilers, whose C++ runtime has
# the threads librandomx uses) into librandomx/windows-x64/ (ignored by git): lib/librandomx.a, include/randomx.h.
# Usage: librandomx/windows.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(cat "$here/VERSION")
upstream=${version%-*} # 1.1.10-2 is Debian's second package of upstream 1.1.10
tarball=librandomx_$upstream.orig.tar.gz
url=http://deb.debian.org/debian/pool/main/libr/librandomx/$tarball
out=$here/windows-x64
cc=x86_64-w64-mingw32-gcc-posix
cxx=x86_64-w64-mingw32-g++-posix

# Up to date: this version, built by this script as it is now.
if [ -f "$out/VERSION" ] && [ "$(cat "$out/VERSION")" = "$version" ] && [ -f "$out/lib/librandomx.a" ] && [ -f "$out/include/randomx.h" ] \
  && [ "$out/VERSION" -nt "$0" ]; then
  exit 0
fi
for tool in "$cc" "$cxx" cmake make curl; do
  command -v "$tool" >/dev/null || {
    echo "librandomx/windows.sh: $tool is missing; install Debian's gcc-mingw-w64-x86-64-posix, g++-mingw-w64-x86-64-posix, cmake, make and curl" >&2
    exit 1
  }
done
grep -q " $tarball\$" "$here/SHA256SUMS" || { echo "librandomx/windows.sh: no checksum for $tarball in librandomx/SHA256SUMS" >&2; exit 1; }

work=$here/.download/windows
mkdir -p "$work"
if ! (cd "$work" && grep -F " $tarball" "$here/SHA256SUMS" | sha256sum --check --quiet >/dev/null 2>&1); then
  echo "librandomx/windows.sh: downloading $url" >&2
  curl -fsSL --retry 3 -o "$work/$tarball" "$url"
  (cd "$work" && grep -F " $tarball" "$here/SHA256SUMS" | sha256sum --check --quiet) || {
    rm -f "$work/$tarball"
    echo "librandomx/windows.sh: $tarball does not match librandomx/SHA256SUMS; refusing to use it" >&2
    exit 1
  }
fi

rm -rf "$work/src" "$work/build"
mkdir -p "$work/src" "$work/build"
tar -xzf "$work/$tarball" -C "$work/src" --strip-components=1
# Windows as the target system, so CMake takes the Windows paths of RandomX's sources (VirtualAlloc, large pages).
cat >"$work/build/mingw-w64.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $cc)
set(CMAKE_CXX_COMPILER $cxx)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF
# ARCH_ID: CMake knows no processor when cross-compiling; x86_64 brings RandomX's x86 JIT and hardware AES.
# -muse-unaligned-vector-move: GCC cannot align the Windows stack beyond 16 bytes (GCC bug 54412), so an AVX2 spill
# with an aligned move (the Argon2 AVX2 code) could fault; the assembler makes every such move an unaligned one.
cmake -S "$work/src" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$work/build/mingw-w64.cmake" -DARCH_ID=x86_64 \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Wa,-muse-unaligned-vector-move \
  -DCMAKE_CXX_FLAGS=-Wa,-muse-unaligned-vector-move >"$work/build/cmake.log" || {
  cat "$work/build/cmake.log" >&2
  exit 1
}
make -C "$work/build" -j2 randomx >"$work/build/make.log" 2>&1 || {
  tail -n 30 "$work/build/make.log" >&2
  echo "librandomx/windows.sh: building librandomx with mingw-w64 failed (above)" >&2
  exit 1
}

rm -rf "$out"
mkdir -p "$out/lib" "$out/include"
cp "$work/build/librandomx.a" "$out/lib/"
cp "$work/src/src/randomx.h" "$out/include/"
rm -rf "$work/src" "$work/build"
echo "$version" >"$out/VERSION"
echo "librandomx $upstream for windows-x64 built in librandomx/windows-x64" >&2
