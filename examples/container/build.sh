#!/bin/sh
# The build stage of the Dockerfile here, as a script (it needs no
# container runtime, so it is tested like any other):
#
#   build.sh source  OUT     cross-compile super from the source tree
#   build.sh release OUT     take it from a release tarball in DIST
#
# Either way OUT receives bin/super and its applet links, unpacked from a
# release tarball (the one `make dist` makes, or one built here by the same
# script, packaging/dist.sh), so an image holds exactly what a release does.
#
# Environment: TARGETARCH (amd64, arm64, arm) and TARGETVARIANT (v7 for
# arm), as docker buildx sets them for each platform of the image;
# release: DIST, the directory holding the tarballs and SHA256SUMS
# (default dist); source: what packaging/dist.sh takes (VERSION, ...).
set -eu
cd "$(dirname "$0")/../.."

from=${1:?usage: build.sh source|release OUT}
out=${2:?usage: build.sh source|release OUT}
arch=${TARGETARCH:-$(uname -m)}
case $arch/${TARGETVARIANT:-} in
amd64/* | x86_64/*) platform=linux/amd64 name=amd64 ;;
arm64/* | aarch64/*) platform=linux/arm64 name=arm64 ;;
arm/v7 | arm/ | armv7l/*) platform=linux/arm/7 name=armv7 ;;
*) echo "build.sh: no release for $arch${TARGETVARIANT:+/$TARGETVARIANT} (amd64, arm64, arm/v7)" >&2; exit 2 ;;
esac

case $from in
source)
	dist=$(mktemp -d)
	trap 'rm -rf "$dist"' EXIT
	packaging/dist.sh "$dist" "$platform" >/dev/null
	;;
release)
	dist=${DIST:-dist}
	;;
*)
	echo "build.sh: source or release, not $from" >&2
	exit 2
	;;
esac

# The one tarball for the platform, checked against SHA256SUMS.
set -- "$dist"/super-*-linux-$name.tar.gz
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	echo "build.sh: want one super-*-linux-$name.tar.gz in $dist, found: $*" >&2
	exit 1
fi
tarball=${1##*/}
(cd "$dist" && grep "  $tarball\$" SHA256SUMS | sha256sum -c -) >&2

mkdir -p "$out"
tar -xzf "$dist/$tarball" -C "$out" --strip-components=1
echo "$out/bin/super"
