#!/usr/bin/env bash
# Build (once) and cache the Debian chroots that hold the newer editors the tests run:
#   sid:    Krita 6 (from experimental) and GIMP 3.2
#   trixie: GIMP 3.0
# Usage: .ci/chroots.sh [sid|trixie]...   Cache folder: $DREAMLAYER_CHROOTS (default /var/cache/dreamlayer/chroots).
# A cached chroot is reused; only packages it lacks are installed.
set -euo pipefail
root=${DREAMLAYER_CHROOTS:-/var/cache/dreamlayer/chroots}
mirror=$( (grep -rhE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null || true) \
    | grep -oE 'https?://[^ ]+/debian/?$' | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0 -qq)
# xvfb, xauth and libxtst6: the GIMP tests open the real dialog under xvfb-run and press its OK through XTest.
common=(gimp python3-gi gir1.2-gimp-3.0 gir1.2-gegl-0.4 gir1.2-babl-0.1 xvfb xauth libxtst6)
krita6=(krita python3-pyqt6 xvfb xauth)

command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap

missing() {  # the packages of "$@" not installed in $dir
    local p
    for p in "$@"; do chroot "$dir" dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done
}

build() {
    local suite=$1
    dir=$root/$1
    local log=$root/$suite-build.log
    mkdir -p "$root"
    if [ ! -f "$dir/.dreamlayer-base" ]; then
        echo ".ci/chroots.sh: building the $suite chroot in $dir (a few minutes, once)" >&2
        # Never delete through a mount: the tests bind this machine's Python and checkout into the chroot.
        if awk '{print $2}' /proc/self/mounts | grep -q "^$dir/"; then
            echo ".ci/chroots.sh: something is still mounted inside $dir; unmount it first (see /proc/self/mounts)." >&2
            return 1
        fi
        rm -rf "$dir"
        mkdir -p "$dir"
        debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
        if [ "$suite" = sid ]; then
            echo "deb $mirror experimental main" >"$dir/etc/apt/sources.list.d/experimental.list"
        fi
        touch "$dir/.dreamlayer-base"
    fi
    local wanted=("${common[@]}") extra=()
    [ "$suite" = sid ] && extra=("${krita6[@]}")
    local need=($(missing "${wanted[@]}" "${extra[@]}"))
    if [ ${#need[@]} -gt 0 ]; then
        mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
        {
            chroot "$dir" apt-get "${apt_opts[@]}" update
            chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "${wanted[@]}"
            if [ ${#extra[@]} -gt 0 ]; then
                chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -t experimental "${extra[@]}"
            fi
            chroot "$dir" apt-get clean
        } >>"$log" 2>&1 || { umount "$dir/proc" 2>/dev/null || true; tail -n 30 "$log" >&2; return 1; }
        umount "$dir/proc" 2>/dev/null || true
    fi
    touch "$dir/.dreamlayer-ready"
}

for suite in "${@:-sid trixie}"; do
    for s in $suite; do build "$s"; done
done
