#!/usr/bin/env bash
# Builds the worker.
#   build.sh           for this machine: Debian's librandomx (fetched and checked by librandomx/fetch.sh) and the C
#                      shim into build/native/, where a run from the checkout loads them, and this architecture's
#                      executables into dist/
#   build.sh native    only the libraries into build/native/ and the dashboard's script: what a run from the checkout
#                      loads
#   build.sh release   for every target, cross-compiling: dist/k2pow-linux-x64, -x64-baseline and -arm64, each with
#                      its own shim and librandomx embedded, dist/k2pow-windows-x64.exe, and dist/SHA256SUMS
#   build.sh image     the container images localhost/k2pow:VERSION-x64 and -arm64 (and :latest, this machine's) in
#                      podman's local store, from the Linux release executables (examples/container/build-image.sh)
set -euo pipefail
cd "$(dirname "$0")"

case $(uname -m) in
  x86_64) host=x64 ;;
  aarch64) host=arm64 ;;
  *) echo "build.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
triplet_of() { if [ "$1" = x64 ]; then echo x86_64-linux-gnu; else echo aarch64-linux-gnu; fi; }

# The shim and librandomx for one target, in build/native-TARGET/.
native() {
  local target=$1 triplet rx out cc
  triplet=$(triplet_of "$target")
  rx=librandomx/$target
  out=build/native-$target
  bash librandomx/fetch.sh "$target"
  cc=${CC:-cc}
  if [ "$target" != "$host" ]; then
    cc=$triplet-gcc
    command -v "$cc" >/dev/null || { echo "build.sh: $cc is missing; install Debian's gcc-$triplet" >&2; exit 1; }
    echo '#include <stdint.h>' | "$cc" -E -x c - >/dev/null 2>&1 || {
      echo "build.sh: $cc has no C library headers; install Debian's libc6-dev-${target/x64/amd64}-cross" >&2
      exit 1
    }
  fi
  mkdir -p "$out"
  if [ ! -f "$out/libk2pow.so" ] || [ -n "$(find ffi -name '*.[ch]' -newer "$out/libk2pow.so" -print -quit)" ] \
    || [ "$rx/VERSION" -nt "$out/libk2pow.so" ] || [ build.sh -nt "$out/libk2pow.so" ]; then
    # The dataset's vector code is 3,600 lines of straight-line intrinsics: GCC's -O2 takes 45 s over them and makes
    # them no faster than -O1 does in 3 s.
    "$cc" -O1 -std=c11 -Wall -Wextra -Werror -fPIC -c -o "$out/dataset-vectors.o" ffi/dataset-vectors.c
    "$cc" -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I"$rx/usr/include" \
      -o "$out/libk2pow.so" ffi/k2pow.c "$out/dataset-vectors.o" -L"$rx/usr/lib/$triplet" -l:librandomx.so.0 -lm
    rm "$out/dataset-vectors.o"
    echo "build.sh: built $out/libk2pow.so" >&2
  fi
  # Copies keep their times, so that an executable newer than what it embeds is known to be up to date.
  cp -pL "$rx/usr/lib/$triplet/librandomx.so.0" "$out/librandomx.so.0"
  cp -p "$rx/VERSION" "$out/librandomx.version"
}

# The Windows shim: librandomx built from Debian's source with mingw-w64 (librandomx/windows.sh), linked with the shim
# and the C++ runtime, libgcc and winpthread into one DLL that needs only Windows' own DLLs. It takes the name the
# imports of src/engine/native-paths.ts use, libk2pow.so; librandomx.so.0 is only a note, since librandomx is inside
# (src/engine/native.ts loads the one DLL on Windows).
native_windows() {
  local rx=librandomx/windows-x64 out=build/native-windows-x64 cc=x86_64-w64-mingw32-gcc-posix
  # -muse-unaligned-vector-move: GCC cannot align the Windows stack beyond 16 bytes (GCC bug 54412), so an AVX spill
  # with an aligned move could fault; the assembler makes every such move an unaligned one.
  local flags=(-std=c11 -Wall -Wextra -Werror -Wa,-muse-unaligned-vector-move)
  bash librandomx/windows.sh
  mkdir -p "$out"
  if [ ! -f "$out/libk2pow.so" ] || [ -n "$(find ffi -name '*.[ch]' -newer "$out/libk2pow.so" -print -quit)" ] \
    || [ "$rx/VERSION" -nt "$out/libk2pow.so" ] || [ build.sh -nt "$out/libk2pow.so" ]; then
    "$cc" -O1 "${flags[@]}" -c -o "$out/dataset-vectors.o" ffi/dataset-vectors.c
    # -static: libstdc++, libgcc and winpthread inside; --exclude-libs: only the shim's own functions are exported.
    "$cc" -O2 "${flags[@]}" -shared -s -I"$rx/include" -o "$out/libk2pow.so" ffi/k2pow.c "$out/dataset-vectors.o" \
      "$rx/lib/librandomx.a" -static -lstdc++ -Wl,--exclude-libs,ALL
    rm "$out/dataset-vectors.o"
    echo "build.sh: built $out/libk2pow.so (a Windows DLL)" >&2
  fi
  echo "librandomx is linked into libk2pow.so in the Windows build" >"$out/librandomx.so.0"
  # The upstream version: built from the source of Debian's package, not Debian's build of it.
  cut -d- -f1 "$rx/VERSION" >"$out/librandomx.version"
  touch -r "$rx/VERSION" "$out/librandomx.so.0" "$out/librandomx.version"
}

# Makes TARGET's libraries the ones in build/native/: what a checkout's run loads (only ever this machine's).
stage() {
  local file
  mkdir -p build/native
  # Each file copied beside its place and renamed over it: a process that has the old one loaded keeps it whole.
  for file in build/native-"$1"/*; do
    cp -p "$file" "build/native/.$(basename "$file").new"
    mv -f "build/native/.$(basename "$file").new" "build/native/$(basename "$file")"
  done
}

# The dashboard's script (src/ui/browser/ and uPlot) in one file for the browser; src/ui/page.ts inlines it into the
# page at GET /ui, so an executable embeds it like the native libraries.
ui() {
  local bun=node_modules/.bin/bun out=build/ui/dashboard.js
  [ -x "$bun" ] || { echo "build.sh: $bun is missing; run npm ci first" >&2; exit 1; }
  [ -f "$out" ] && [ -z "$(find src/ui/browser node_modules/uplot build.sh -newer "$out" -type f -print -quit)" ] && return
  "$bun" build src/ui/browser/main.ts --target browser --format iife --minify --outfile "$out" >/dev/null
  echo "build.sh: built $out" >&2
}

# Whether TARGET's executable FILE is newer than everything it embeds; then a host build leaves it (and a release's
# sums) be.
up_to_date() {
  [ -f "$2" ] && [ -z "$(find src build/native-"$1" build/ui package.json package-lock.json -newer "$2" -type f -print -quit)" ]
}

# A copy of the sources with TARGET's libraries where src/engine/native-paths.ts imports them (build/native/), for
# bun build --compile to embed. build/native/ itself stays this machine's: a run from the checkout (the test suite
# beside a release build) never finds another target's libraries there.
source_tree() {
  local dir=build/tree-$1
  rm -rf "$dir"
  mkdir -p "$dir/build"
  cp -r src package.json "$dir/"
  cp -r build/ui "$dir/build/ui"
  cp -rL "build/native-$1" "$dir/build/native"
  ln -s ../../node_modules "$dir/node_modules"
}

# Self-contained executables for TARGET, with its shim and librandomx embedded: a box needs only glibc and
# libstdc++. The search Worker is a second entry point so that it is embedded too.
executables() {
  local target=$1 always=${2:-} variant variants bun=node_modules/.bin/bun root=$PWD
  [ -x "$bun" ] || { echo "build.sh: $bun is missing; run npm ci first" >&2; exit 1; }
  case $target in
    x64) variants=(linux-x64 linux-x64-baseline) ;;
    windows-x64) variants=(windows-x64) ;;
    *) variants=("linux-$target") ;;
  esac
  mkdir -p dist
  local tree=""
  for variant in "${variants[@]}"; do
    local file=dist/k2pow-$variant
    [[ $variant = windows-* ]] && file=$file.exe
    [ -z "$always" ] && up_to_date "$target" "$file" && continue
    [ -n "$tree" ] || { source_tree "$target"; tree=build/tree-$target; }
    (cd "$tree" && "$root/$bun" build --compile --target="bun-$variant" --define "process.env.K2POW_BUILD_TARGET=\"$variant\"" \
      src/main.ts src/engine/search-worker.ts --outfile "$root/$file" >/dev/null)
    echo "build.sh: built $file" >&2
  done
  [ -z "$tree" ] || rm -rf "$tree"
}

case ${1:-} in
  "")
    native "$host"
    stage "$host"
    ui
    executables "$host"
    ;;
  native)
    # Only what a run from the checkout loads (.ci/run starts the tests' shared dataset on it, beside a release build).
    native "$host"
    stage "$host"
    ui
    ;;
  release)
    rm -f dist/SHA256SUMS
    ui
    for target in x64 arm64; do
      native "$target"
      executables "$target" always
    done
    native_windows
    executables windows-x64 always
    (cd dist && sha256sum k2pow-linux-x64 k2pow-linux-x64-baseline k2pow-linux-arm64 k2pow-windows-x64.exe > SHA256SUMS)
    echo "build.sh: wrote dist/SHA256SUMS" >&2
    ;;
  image)
    # The container images (examples/container/) hold the Linux release executables: built first where missing or
    # older than their sources.
    ui
    up_to_date x64 dist/k2pow-linux-x64-baseline || { native x64; executables x64; }
    up_to_date arm64 dist/k2pow-linux-arm64 || { native arm64; executables arm64; }
    bash examples/container/build-image.sh x64 arm64
    ;;
  *)
    echo "build.sh: unknown mode '$1'; use no argument (this machine), 'native' (its libraries only), 'release' (every target) or 'image' (the container images)" >&2
    exit 2
    ;;
esac
