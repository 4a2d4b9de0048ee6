#!/usr/bin/env bash
# Makes, once per machine, a Debian trixie root holding wine 10 and a wine prefix, for test/windows.test.ts to run the
# Windows executable in (`chroot ROOT wine …`). Bookworm's wine 8 lacks bcryptprimitives.dll, which Bun needs.
# The root is kept at a fixed path outside the checkout ($K2POW_WINE_ROOT, default /var/cache/k2pow-test/wine-trixie):
# every checkout and worktree of the machine shares the one copy, `git clean` does not throw it away, and nothing the
# tests bind-mount into it sits under the checkout. It is built in a temporary folder beside it and renamed into
# place when complete, under a lock, so a run cut short leaves nothing half-made and two runs at once build it once.
# Needs root (debootstrap, chroot). Prints the root's path.
set -euo pipefail
root=${K2POW_WINE_ROOT:-/var/cache/k2pow-test/wine-trixie}
mirror=http://deb.debian.org/debian

# Bump when what is installed below changes, so that an older root is rebuilt.
recipe=2
ready() { [ "$(cat "$root/.k2pow-wine-root" 2>/dev/null)" = "$recipe" ]; }
if ready; then echo "$root"; exit 0; fi

[ "$(id -u)" = 0 ] || { echo "wine-root.sh: needs root (debootstrap and chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "wine-root.sh: debootstrap is missing; install Debian's debootstrap" >&2; exit 1; }
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9
if ready; then echo "$root"; exit 0; fi

work=$(mktemp -d "$root.new.XXXXXX")
# A private mount namespace for the steps that need /proc and /dev: the kernel undoes those mounts when they end.
in_root() { unshare --mount --propagation private -- sh -c 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' "$work" "$@"; }
trap 'rm -rf --one-file-system "$work" "$work.log"' EXIT
# Ended by a signal (a CI run stopped early): the clean-up above still runs.
trap 'exit 1' TERM INT

started=$SECONDS
# minbase: dpkg, apt and the essential tools, nothing else; wine and what it needs come with apt below.
debootstrap --variant=minbase trixie "$work" "$mirror" >"$work.log" 2>&1 || {
  tail -n 20 "$work.log" >&2
  echo "wine-root.sh: debootstrap of trixie from $mirror failed (log above)" >&2
  exit 1
}
rm -f "$work.log"
echo "wine-root.sh: trixie base in $((SECONDS - started)) s" >&2
# The 64-bit wine only: the executable is x64, and no recommends (fonts, gstreamer, a desktop's worth of libraries).
# A root thrown away if anything goes wrong needs no fsync after every file.
echo force-unsafe-io >"$work/etc/dpkg/dpkg.cfg.d/unsafe-io"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o APT::Sandbox::User=root \
  wine wine64 >/dev/null
in_root apt-get clean
echo "wine-root.sh: wine installed at $((SECONDS - started)) s" >&2
# The prefix, made once here so that no test run pays for it; WINEDEBUG=-all keeps wine's own chatter out.
in_root env HOME=/root WINEPREFIX=/root/.wine WINEDEBUG=-all sh -c 'wineboot -i && wineserver -w' 2>/dev/null
# No Z: drive (wine's view of all of /): a Linux path such as /proc/meminfo must not be found from Windows code, or
# the tests would pass where Windows fails. The tests' folder, /k2pow, is drive K: instead.
rm "$work/root/.wine/dosdevices/z:"
mkdir "$work/k2pow"
ln -s /k2pow "$work/root/.wine/dosdevices/k:"
echo "wine-root.sh: wine prefix made at $((SECONDS - started)) s" >&2

echo "$recipe" >"$work/.k2pow-wine-root"
rm -rf --one-file-system "$root"
mv "$work" "$root"
echo "$root"
