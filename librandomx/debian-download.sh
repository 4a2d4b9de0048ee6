#!/usr/bin/env bash
# Downloads Debian packages of one architecture without root and without touching the system's apt state: a
# package list of its own (apt still checks the archive's signatures and each package's hash against it).
# Usage: librandomx/debian-download.sh ARCH DIR PACKAGE[=VERSION]...   (the .deb files land in DIR)
set -euo pipefail
arch=$1 dir=$2
shift 2
state=$(cd "$(dirname "$0")" && pwd)/.download/$arch
mkdir -p "$state/lists/partial" "$state/archives/partial" "$dir"
opts=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state" -o "Dir::Cache::archives=$state/archives" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
if ! ls "$state/lists/"*Packages* >/dev/null 2>&1; then
  echo "debian-download: reading Debian's package list for $arch" >&2
  apt-get "${opts[@]}" -qq update >&2
fi
(cd "$dir" && apt-get "${opts[@]}" -qq download "$@" >&2)
