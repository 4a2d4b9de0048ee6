#!/usr/bin/env bash
# Obtains Debian's librandomx (runtime + headers) for one target architecture without root, checks the packages
# against the sums committed beside this script, and unpacks them into librandomx/<target>/ (ignored by git).
# Usage: librandomx/fetch.sh [x64|arm64]   (default: this machine's architecture)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(cat "$here/VERSION")

target=${1:-}
if [ -z "$target" ]; then
  case $(uname -m) in
    x86_64) target=x64 ;;
    aarch64) target=arm64 ;;
    *) echo "librandomx/fetch.sh: no target for machine $(uname -m); pass x64 or arm64" >&2; exit 2 ;;
  esac
fi
case $target in
  x64) arch=amd64 triplet=x86_64-linux-gnu ;;
  arm64) arch=arm64 triplet=aarch64-linux-gnu ;;
  *) echo "librandomx/fetch.sh: unknown target '$target'; use x64 or arm64" >&2; exit 2 ;;
esac

out=$here/$target
lib=$out/usr/lib/$triplet/librandomx.so.0
if [ -f "$out/VERSION" ] && [ "$(cat "$out/VERSION")" = "$version" ] && [ -f "$lib" ] && [ -f "$out/usr/include/randomx.h" ]; then
  exit 0
fi

debs=("librandomx0_${version}_${arch}.deb" "librandomx-dev_${version}_${arch}.deb")
for d in "${debs[@]}"; do
  grep -q " $d\$" "$here/SHA256SUMS" || { echo "librandomx/fetch.sh: no checksum for $d in librandomx/SHA256SUMS" >&2; exit 1; }
done

work=$here/.download/$arch
bash "$here/debian-download.sh" "$arch" "$work" "librandomx0:$arch=$version" "librandomx-dev:$arch=$version"
(cd "$work" && grep -F -e " ${debs[0]}" -e " ${debs[1]}" "$here/SHA256SUMS" | sha256sum --check --quiet) || {
  echo "librandomx/fetch.sh: the downloaded packages do not match librandomx/SHA256SUMS; refusing to use them" >&2
  exit 1
}

rm -rf "$out"
mkdir -p "$out"
for d in "${debs[@]}"; do dpkg-deb -x "$work/$d" "$out"; done
echo "$version" > "$out/VERSION"
echo "librandomx $version for $target ready in librandomx/$target" >&2
