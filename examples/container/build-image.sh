#!/usr/bin/env bash
# Builds k2pow's container images from the release executables without pulling from any container registry: the
# root file system is the executable plus the few Debian packages it needs at run time (glibc, libstdc++ and libgcc
# for librandomx, CA certificates), fetched from Debian and checked by apt like librandomx itself; buildah makes it
# an image in the local store that podman runs. Called by `build.sh image`, which builds the executables first.
# Usage: examples/container/build-image.sh TARGET...   (x64, arm64)
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
command -v buildah >/dev/null || { echo "build-image: buildah is missing; install Debian's buildah (and podman to run the image)" >&2; exit 1; }

# The uid the server runs as, and the one volume: the dataset file and the pool's database, kept across restarts.
case $(uname -m) in x86_64) host=x64 ;; aarch64) host=arm64 ;; *) host=none ;; esac

uid=10001
data=/data
# Docker's image format: the OCI one has no HEALTHCHECK.
export BUILDAH_FORMAT=docker

image() {
  local target=$1 arch triplet exe work root ctr old
  case $target in
    # The baseline build: a container lands on whatever CPU the host has, and hashing runs in librandomx anyway.
    x64) arch=amd64 triplet=x86_64-linux-gnu exe=dist/k2pow-linux-x64-baseline ;;
    arm64) arch=arm64 triplet=aarch64-linux-gnu exe=dist/k2pow-linux-arm64 ;;
    *) echo "build-image: unknown target '$target'; use x64 or arm64" >&2; exit 2 ;;
  esac
  [ -f "$exe" ] || { echo "build-image: $exe is missing; run bash build.sh release" >&2; exit 1; }
  work=build/image-$target
  root=$work/root
  rm -rf "$work"
  mkdir -p "$root" "$work/debs"
  bash librandomx/debian-download.sh "$arch" "$work/debs" libc6 libstdc++6 libgcc-s1 ca-certificates
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
  # Only what runs: no charset converters (Bun has its own), no docs, no maintainer tools.
  rm -rf "$root/usr/lib/$triplet/gconv" "$root"/usr/share/{doc,man,lintian,gdb,gcc} "$root"/usr/{bin,sbin,libexec} "$root/sbin" \
    "$root/etc/ca-certificates" "$root/etc/ca-certificates.conf"
  # The CA bundle is made by the package's install script, which cannot run here: the same concatenation.
  mkdir -p "$root/etc/ssl/certs"
  find "$root/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root/usr/share/ca-certificates"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nk2pow:x:%s:%s:k2pow:%s:/sbin/nologin\n' "$uid" "$uid" "$data" > "$root/etc/passwd"
  printf 'root:x:0:\nk2pow:x:%s:\n' "$uid" > "$root/etc/group"
  mkdir -p "$root/usr/local/bin" "$root/tmp" "$root$data"
  cp "$exe" "$root/usr/local/bin/k2pow"
  # The executable unpacks its native libraries into /tmp: writable by the server's user.
  chmod 1777 "$root/tmp"
  # Owners are set in the archive, so that a build without root makes the same image.
  tar --numeric-owner --owner=0 --group=0 --exclude=".$data" -C "$root" -cf "$work/root.tar" .
  tar --numeric-owner --owner="$uid" --group="$uid" --no-recursion -C "$root" -rf "$work/root.tar" ".$data"

  # The image this build replaces, removed after it unless something still uses it.
  old=$(podman image inspect --format '{{.Id}}' "localhost/k2pow:$version-$target" 2>/dev/null || true)
  ctr=$(buildah from --arch "$arch" scratch)
  buildah add --quiet "$ctr" "$work/root.tar" / >/dev/null
  buildah config \
    --user "$uid:$uid" --workingdir "$data" --volume "$data" --port 3000/tcp \
    --env HOME="$data" --env TMPDIR=/tmp \
    --env K2POW_DATASET_FILE="$data/randomx-dataset.bin" --env K2POW_DB="$data/k2pow-pool.db" \
    --entrypoint '["/usr/local/bin/k2pow"]' --cmd '["serve"]' \
    --healthcheck 'CMD /usr/local/bin/k2pow health' \
    --healthcheck-interval 30s --healthcheck-timeout 10s --healthcheck-start-period 10s --healthcheck-retries 3 \
    --label org.opencontainers.image.title=k2pow --label org.opencontainers.image.version="$version" \
    "$ctr"
  buildah commit --quiet --rm "$ctr" "localhost/k2pow:$version-$target" >/dev/null
  rm -rf "$work"
  # This machine's own: what `podman run localhost/k2pow` and the compose files start.
  if [ "$target" = "$host" ]; then
    podman tag "localhost/k2pow:$version-$target" "localhost/k2pow:$version" localhost/k2pow:latest
  fi
  if [ -n "$old" ] && [ "$old" != "$(podman image inspect --format '{{.Id}}' "localhost/k2pow:$version-$target")" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
  echo "build-image: built localhost/k2pow:$version-$target$([ "$target" = "$host" ] && echo ", also :$version and :latest")" >&2
}

for target in "$@"; do image "$target"; done
