#!/usr/bin/env bash
# Builds what the worker needs: Debian's librandomx for this machine (fetched and checked by
# librandomx/fetch.sh) and the C shim compiled against it into build/native/, then the executables into dist/.
set -euo pipefail
cd "$(dirname "$0")"

case $(uname -m) in
  x86_64) target=x64 triplet=x86_64-linux-gnu ;;
  aarch64) target=arm64 triplet=aarch64-linux-gnu ;;
  *) echo "build.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac

bash librandomx/fetch.sh "$target"
rx=librandomx/$target
out=build/native
mkdir -p "$out"

if [ ! -f "$out/libk2pow.so" ] || [ ffi/k2pow.c -nt "$out/libk2pow.so" ] || [ ffi/k2pow.h -nt "$out/libk2pow.so" ] \
  || [ "$rx/VERSION" -nt "$out/libk2pow.so" ]; then
  ${CC:-cc} -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I"$rx/usr/include" \
    -o "$out/libk2pow.so" ffi/k2pow.c -L"$rx/usr/lib/$triplet" -l:librandomx.so.0 -lm
  echo "build.sh: built $out/libk2pow.so" >&2
fi
cp -L "$rx/usr/lib/$triplet/librandomx.so.0" "$out/librandomx.so.0"
cp "$rx/VERSION" "$out/librandomx.version"

# One self-contained executable per CPU target of this architecture, with the shim and Debian's librandomx above
# embedded: a box needs only glibc and libstdc++ to run it. The search Worker is a second entry point so that it
# is embedded too.
bun=node_modules/.bin/bun
[ -x "$bun" ] || { echo "build.sh: $bun is missing; run npm ci first" >&2; exit 1; }
variants=("linux-$target")
[ "$target" = x64 ] && variants+=("linux-x64-baseline")
mkdir -p dist
for variant in "${variants[@]}"; do
  "$bun" build --compile --target="bun-$variant" --define "process.env.K2POW_BUILD_TARGET=\"$variant\"" \
    src/main.ts src/engine/search-worker.ts --outfile "dist/k2pow-$variant" >/dev/null
  echo "build.sh: built dist/k2pow-$variant" >&2
done
