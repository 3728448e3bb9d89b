#!/usr/bin/env bash
# Makes local stand-ins for the Dockerfile's two base images from Debian's packages, for a
# machine that cannot pull from an image registry:
#
#   twilio-token-bases/rust:bookworm   Debian bookworm (debootstrap, minbase) with rustc-web,
#                                      cargo-web and a C toolchain: the build stage's `rust`
#   twilio-token-bases/cc:debian12     libc6 and libgcc-s1 unpacked, a `nonroot` user (65532)
#                                      and nothing else, no shell: distroless `cc`'s contents
#
# Each is made once and kept by the engine; pass them to `docker build` as
#   --build-arg RUST_IMAGE=twilio-token-bases/rust:bookworm
#   --build-arg RUNTIME_IMAGE=twilio-token-bases/cc:debian12
#
# And a stand-in for a VM, for the systemd unit's test (scripts/deploy_test.sh):
#   twilio-token-bases/systemd:bookworm  Debian bookworm (minbase) with systemd as its init
#
# Needs root, debootstrap and a running Docker engine. DOCKER names the client (default: docker).
set -euo pipefail
docker=${DOCKER:-docker}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
rust_image=twilio-token-bases/rust:bookworm
runtime_image=twilio-token-bases/cc:debian12
systemd_image=twilio-token-bases/systemd:bookworm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$docker" image inspect "$rust_image" >/dev/null 2>&1; then
    echo "making $rust_image (debootstrap bookworm, then rustc-web and cargo-web)" >&2
    root=$work/rust
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
    chroot "$root" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends \
        rustc-web cargo-web gcc libc6-dev ca-certificates >/dev/null
    # The certificate authorities this machine adds (an egress proxy's, say), so that cargo in
    # the build stage reaches crates.io as cargo on this machine does.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
        chroot "$root" update-ca-certificates >/dev/null
    fi
    chroot "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | "$docker" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - "$rust_image" >/dev/null
fi

if ! "$docker" image inspect "$runtime_image" >/dev/null 2>&1; then
    echo "making $runtime_image (libc6 and libgcc-s1, no shell)" >&2
    root=$work/cc
    mkdir -p "$root"/{etc,tmp} "$work/debs"
    chmod 1777 "$root/tmp"
    (cd "$work/debs" && apt-get download -qq libc6 libgcc-s1 base-files netbase tzdata 2>/dev/null)
    for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
    # Documentation and locales are no use to a binary.
    rm -rf "$root"/usr/share/{doc,man,info,lintian,locale}
    cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
    cat >"$root/etc/group" <<EOF
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
    mkdir -p "$root/home/nonroot"
    chown 65532:65532 "$root/home/nonroot"
    tar -C "$root" -c . | "$docker" import - "$runtime_image" >/dev/null
fi
if ! "$docker" image inspect "$systemd_image" >/dev/null 2>&1; then
    echo "making $systemd_image (debootstrap bookworm with systemd)" >&2
    root=$work/systemd
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps bookworm "$root" \
        "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -c . | "$docker" import - "$systemd_image" >/dev/null
fi
echo "$rust_image $runtime_image $systemd_image"
