#!/usr/bin/env bash
# Builds k2pow's container images from the release executables without pulling from any container registry: the
# root file system is the executable plus the few Debian packages it needs at run time (glibc, libstdc++ and libgcc
# for librandomx, CA certificates), fetched from Debian and checked by apt like librandomx itself; buildah makes it
# an image in the local store that podman runs. Called by `build.sh image`, which builds the executables first.
# Usage: examples/container/build-image.sh TARGET...   (x64, arm64)
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in buildah podman; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing; install Debian's buildah and podman" >&2; exit 1; }
done
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
# The images' name; the tests build theirs under a name of their own, so that two runs never share one.
name=${K2POW_IMAGE_NAME:-localhost/k2pow}
# This machine's target: its image is also NAME:VERSION and NAME:latest.
case $(uname -m) in x86_64) host=x64 ;; aarch64) host=arm64 ;; *) host=none ;; esac

# The uid the server runs as, and the one volume: the dataset file (the engine's default name, randomx-dataset.bin)
# and the pool's database, kept across restarts.
uid=10001
data=/data
# Docker's image format: the OCI one has no HEALTHCHECK.
export BUILDAH_FORMAT=docker

ctr=
# A failed step leaves no working container behind.
trap '[ -z "$ctr" ] || buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT

image() {
  local target=$1 arch triplet loader exe work root old tag
  case $target in
    # The baseline build: a container lands on whatever CPU the host has, and hashing runs in librandomx anyway.
    x64) arch=amd64 triplet=x86_64-linux-gnu loader=lib64/ld-linux-x86-64.so.2 exe=dist/k2pow-linux-x64-baseline ;;
    arm64) arch=arm64 triplet=aarch64-linux-gnu loader=lib/ld-linux-aarch64.so.1 exe=dist/k2pow-linux-arm64 ;;
    *) echo "build-image: unknown target '$target'; use x64 or arm64" >&2; exit 2 ;;
  esac
  [ -f "$exe" ] || { echo "build-image: $exe is missing; run bash build.sh release" >&2; exit 1; }
  tag=$name:$version-$target
  work=build/image-$target
  root=$work/root
  rm -rf "$work"
  mkdir -p "$root" "$work/debs"
  bash librandomx/debian-download.sh "$arch" "$work/debs" libc6 libstdc++6 libgcc-s1 ca-certificates
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
  # Debian releases whose packages leave the loader's link to base-files (merged /usr) would give a root that cannot
  # start anything: said here rather than by the container.
  [ -e "$root/$loader" ] || [ -L "$root/$loader" ] || { echo "build-image: the Debian packages gave no /$loader; build on Debian bookworm" >&2; exit 1; }
  # Only what runs: no charset converters (Bun has its own), no docs, no maintainer tools.
  rm -rf "$root/usr/lib/$triplet/gconv" "$root"/usr/share/{doc,man,lintian,gdb,gcc} "$root"/usr/{bin,sbin,libexec} "$root/sbin" \
    "$root/etc/ca-certificates" "$root/etc/ca-certificates.conf"
  # The CA bundle is made by the package's install script, which cannot run here: the same concatenation.
  mkdir -p "$root/etc/ssl/certs"
  find "$root/usr/share/ca-certificates" -name '*.crt' -print0 | LC_ALL=C sort -z | xargs -0r cat >"$root/etc/ssl/certs/ca-certificates.crt"
  [ -s "$root/etc/ssl/certs/ca-certificates.crt" ] || { echo "build-image: ca-certificates held no certificate" >&2; exit 1; }
  rm -rf "$root/usr/share/ca-certificates"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nk2pow:x:%s:%s:k2pow:%s:/sbin/nologin\n' "$uid" "$uid" "$data" >"$root/etc/passwd"
  printf 'root:x:0:\nk2pow:x:%s:\n' "$uid" >"$root/etc/group"
  mkdir -p "$root/usr/local/bin" "$root/tmp" "$root$data"
  cp "$exe" "$root/usr/local/bin/k2pow"
  # The executable unpacks its native libraries into /tmp: writable by the server's user.
  chmod 1777 "$root/tmp"
  # Owners are set in the archive, so that a build without root makes the same image.
  tar --numeric-owner --owner=0 --group=0 --exclude=".$data" -C "$root" -cf "$work/root.tar" .
  tar --numeric-owner --owner="$uid" --group="$uid" --no-recursion -C "$root" -rf "$work/root.tar" ".$data"

  # The image this build replaces, removed after it unless something still uses it.
  old=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
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
  buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
  ctr=
  rm -rf "$work"
  if [ "$target" = "$host" ]; then podman tag "$tag" "$name:$version" "$name:latest"; fi
  if [ -n "$old" ] && [ "$old" != "$(podman image inspect --format '{{.Id}}' "$tag")" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
  echo "build-image: built $tag$([ "$target" = "$host" ] && echo ", also :$version and :latest")" >&2
}

for target in "$@"; do image "$target"; done
