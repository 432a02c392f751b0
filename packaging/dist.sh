#!/bin/sh
# Builds super's release: for each platform a static binary, reproducibly
# (the same source and Go toolchain give the same bytes), in a tarball with
# its applet symlinks, the manual pages, the shell completions, README and
# LICENSE; and SHA256SUMS of the tarballs.
#
#   packaging/dist.sh OUTDIR [PLATFORM...]      (make dist)
#
# PLATFORM is GOOS/GOARCH[/GOARM]: linux/amd64, linux/arm64, linux/arm/7
# (the default: all three). Environment: VERSION (default: version.sh),
# SOURCE_DATE_EPOCH (default: the last commit's time) for the pages' date
# and the files' times, GO (default: go), TAGS (the Makefile's build tags).
#
# A tarball unpacks to super-VERSION-linux-ARCH/ laid out as a prefix:
#   bin/super and bin/{supervisord,supervisorctl,pidproxy,echo_supervisord_conf} -> super
#   share/man/man1, share/man/man8, share/bash-completion/completions,
#   share/zsh/site-functions, share/fish/vendor_completions.d, README.md, LICENSE
# so `tar -xzf ... -C /usr/local --strip-components=1` installs it.
set -eu
cd "$(dirname "$0")/.."

out=${1:?usage: packaging/dist.sh OUTDIR [PLATFORM...]}
shift
[ $# -gt 0 ] || set -- linux/amd64 linux/arm64 linux/arm/7
GO=${GO:-go}
TAGS=${TAGS:-urfave_cli_no_docs,nethttpomithttp2}
VERSION=${VERSION:-$(packaging/version.sh)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
applets="supervisord supervisorctl pidproxy echo_supervisord_conf"

# -trimpath: no build directory in the binary; -buildvcs=false: nothing
# from the checkout's state but the version given; -buildid=: no build ID.
build() { # build GOOS GOARCH GOARM OUTPUT
	# The baseline of each architecture, whatever this machine's settings.
	CGO_ENABLED=0 GOOS=$1 GOARCH=$2 GOARM=$3 GOAMD64=v1 GOARM64=v8.0 GOFLAGS= \
		$GO build -trimpath -buildvcs=false \
		-tags "$TAGS" -ldflags "-s -w -buildid= -X super/core/version.Super=$VERSION" -o "$4" .
}

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The pages and completion scripts come from the binary itself; this
# machine's build of the same source writes them once for all platforms.
hostos=$($GO env GOOS) hostarch=$($GO env GOARCH)
build "$hostos" "$hostarch" "" "$work/host/super"
docs=$work/docs
"$work/host/super" __manpages "$docs/man" "$date"
for page in "$docs"/man/*; do
	section=${page##*.}
	mkdir -p "$docs/share/man/man$section"
	gzip -9n < "$page" > "$docs/share/man/man$section/${page##*/}.gz"
done
comp=$docs/share
mkdir -p "$comp/bash-completion/completions" "$comp/zsh/site-functions" "$comp/fish/vendor_completions.d"
"$work/host/super" completion bash > "$comp/bash-completion/completions/super"
"$work/host/super" completion zsh > "$comp/zsh/site-functions/_super"
"$work/host/super" completion fish > "$comp/fish/vendor_completions.d/super.fish"
# bash-completion and fish load a command's completion by the command's
# name: every applet's name leads to the one script.
for a in $applets; do
	ln -s super "$comp/bash-completion/completions/$a"
	ln -s super.fish "$comp/fish/vendor_completions.d/$a.fish"
done

tarballs=
for platform in "$@"; do
	IFS=/ read -r goos goarch goarm <<-END
	$platform
	END
	arch=$goarch${goarm:+v$goarm}
	name=super-$VERSION-$goos-$arch
	tree=$work/$name
	mkdir -p "$tree/bin"
	if [ "$goos/$goarch" = "$hostos/$hostarch" ]; then
		cp "$work/host/super" "$tree/bin/super" # the same build
	else
		build "$goos" "$goarch" "${goarm:-}" "$tree/bin/super"
	fi
	for a in $applets; do
		ln -s super "$tree/bin/$a"
	done
	cp -R "$docs/share" "$tree/share"
	cp README.md LICENSE "$tree/"
	# Same bytes from the same source: fixed order, times, owners and
	# modes in the archive, no name or time in the gzip header.
	chmod -R u=rwX,go=rX "$tree"
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
		--format=gnu -C "$work" -cf - "$name" | gzip -9n > "$out/$name.tar.gz"
	tarballs="$tarballs $name.tar.gz"
	echo "$out/$name.tar.gz"
done
(cd "$out" && sha256sum $tarballs > SHA256SUMS)
echo "$out/SHA256SUMS"
