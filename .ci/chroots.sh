#!/usr/bin/env bash
# Build (once) and cache the Debian chroots that hold the newer editors the tests run:
#   sid:    Krita 6 (from experimental) and GIMP 3.2
#   trixie: GIMP 3.0
# Usage: .ci/chroots.sh [sid|trixie]...   Cache folder: $DREAMLAYER_CHROOTS (default /var/cache/dreamlayer/chroots).
set -euo pipefail
root=${DREAMLAYER_CHROOTS:-/var/cache/dreamlayer/chroots}
mirror=$( (grep -rhE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null || true) \
    | grep -oE 'https?://[^ ]+/debian/?$' | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0 -qq)
gimp_packages=(gimp python3-gi gir1.2-gimp-3.0 gir1.2-gegl-0.4 gir1.2-babl-0.1)

command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap

build() {
    local suite=$1 dir=$root/$1
    if [ -f "$dir/.dreamlayer-ready" ]; then
        return 0
    fi
    echo ".ci/chroots.sh: building the $suite chroot in $dir (a few minutes, once)" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    local log=$root/$suite-build.log
    trap 'umount "$dir/proc" 2>/dev/null || true; [ -f "$dir/.dreamlayer-ready" ] || tail -n 30 "$log" >&2' RETURN
    debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$log" 2>&1
    if [ "$suite" = sid ]; then
        echo "deb $mirror experimental main" >"$dir/etc/apt/sources.list.d/experimental.list"
    fi
    mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
    {
        chroot "$dir" apt-get "${apt_opts[@]}" update
        chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "${gimp_packages[@]}"
        if [ "$suite" = sid ]; then
            chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -t experimental krita python3-pyqt6
        fi
        chroot "$dir" apt-get clean
    } >>"$log" 2>&1
    touch "$dir/.dreamlayer-ready"
}

for suite in "${@:-sid trixie}"; do
    for s in $suite; do build "$s"; done
done
