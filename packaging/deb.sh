#!/bin/sh
# Builds super's Debian package with Debian's own tools (dpkg-deb; no
# network): the release binary of the architecture, laid out where
# Debian's supervisor package puts supervisor's files, so it takes that
# package's place — same commands, /etc/supervisor/supervisord.conf with
# conf.d/, the supervisor service, /etc/default/supervisor, /var/log/supervisor.
#
#   packaging/deb.sh OUTDIR [DEBARCH]          (make deb)
#
# DEBARCH: amd64, arm64 or armhf (default: this machine's). Environment:
# VERSION, SOURCE_DATE_EPOCH, GO, TAGS as for dist.sh; DEB_MAINTAINER;
# DEB_COMPRESS, dpkg-deb's compressor (default xz; the tests use gzip,
# four times faster).
set -eu
cd "$(dirname "$0")/.."

out=${1:?usage: packaging/deb.sh OUTDIR [DEBARCH]}
arch=${2:-$(dpkg --print-architecture)}
case $arch in
amd64) platform=linux/amd64 goarch=amd64 ;;
arm64) platform=linux/arm64 goarch=arm64 ;;
armhf) platform=linux/arm/7 goarch=armv7 ;;
*) echo "deb.sh: no build for Debian architecture $arch (amd64, arm64, armhf)" >&2; exit 2 ;;
esac
pkg=super-supervisor
VERSION=${VERSION:-$(packaging/version.sh)}
debversion=$(VERSION=$VERSION packaging/version.sh --deb)
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export VERSION SOURCE_DATE_EPOCH
maintainer=${DEB_MAINTAINER:-super maintainers <super@example.org>}
GO=${GO:-go}
applets="supervisord supervisorctl pidproxy echo_supervisord_conf"
here=packaging/debian

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The release tarball's tree is what goes in: the same binary, pages and
# completions as `make dist`.
packaging/dist.sh "$work/dist" "$platform" >/dev/null
tar -xzf "$work/dist/super-$VERSION-linux-$goarch.tar.gz" -C "$work"
tree=$work/super-$VERSION-linux-$goarch
root=$work/root

install -d "$root/usr/bin" "$root/usr/share/man/man1" "$root/usr/share/man/man8" \
	"$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
	"$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/$pkg" \
	"$root/etc/supervisor/conf.d" "$root/etc/default" "$root/etc/init.d" \
	"$root/lib/systemd/system" "$root/var/log/supervisor" "$root/DEBIAN"
install -m 0755 "$tree/bin/super" "$root/usr/bin/super"
for a in $applets; do
	ln -s super "$root/usr/bin/$a"
done
cp -P "$tree"/share/man/man1/* "$root/usr/share/man/man1/"
cp -P "$tree"/share/man/man8/* "$root/usr/share/man/man8/"
# Debian's supervisor has supervisor(1) and supervisord(1): those names
# still lead to the pages.
ln -s super.1.gz "$root/usr/share/man/man1/supervisor.1.gz"
ln -s ../man8/supervisord.8.gz "$root/usr/share/man/man1/supervisord.1.gz"
cp -P "$tree"/share/bash-completion/completions/* "$root/usr/share/bash-completion/completions/"
cp -P "$tree"/share/zsh/site-functions/_super "$root/usr/share/zsh/vendor-completions/"
cp -P "$tree"/share/fish/vendor_completions.d/* "$root/usr/share/fish/vendor_completions.d/"

install -m 0644 "$here/supervisord.conf" "$root/etc/supervisor/supervisord.conf"
install -m 0644 "$here/supervisor.default" "$root/etc/default/supervisor"
install -m 0755 "$here/supervisor.init" "$root/etc/init.d/supervisor"
install -m 0644 "$here/supervisor.service" "$root/lib/systemd/system/supervisor.service"
install -d "$root/usr/share/lintian/overrides"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"

doc=$root/usr/share/doc/$pkg
gzip -9n < README.md > "$doc/README.md.gz"
chmod 0644 "$doc/README.md.gz"
{
	cat "$here/copyright.head"
	sed 's/^[[:space:]]*$/./; s/^/ /' LICENSE
	echo
	echo "/usr/bin/super is statically linked: it also holds the Go standard library"
	echo "and these Go modules, under their own licenses."
	modcache=$($GO env GOMODCACHE)
	# "dep" lines of the binary's build information name the modules in it.
	$GO version -m "$tree/bin/super" | awk '$1 == "dep" { print $2 " " $3 }' | {
		echo "std $($GO env GOVERSION)"
		cat
	} | while read -r mod ver; do
		if [ "$mod" = std ]; then
			# An upstream Go tree has LICENSE; Debian's golang packages
			# keep it in their copyright file.
			for lic in "$($GO env GOROOT)/LICENSE" /usr/share/doc/golang-go/copyright ""; do
				[ -r "$lic" ] && break
			done
			mod="The Go standard library"
		else
			lic=$(ls "$modcache/$mod@$ver"/LICENSE* "$modcache/$mod@$ver"/COPYING* 2>/dev/null | head -n 1)
		fi
		[ -r "$lic" ] || { echo "deb.sh: no license file for $mod $ver" >&2; exit 1; }
		echo
		echo "$mod $ver:"
		if grep -q 'Apache License' "$lic" && grep -q 'Version 2.0' "$lic"; then
			# Debian ships this one (policy 12.5).
			echo " Licensed under the Apache License, Version 2.0. On Debian systems the"
			echo " full text is in /usr/share/common-licenses/Apache-2.0."
		else
			sed 's/^[[:space:]]*$/./; s/^/ /' "$lic"
		fi
	done
} > "$doc/copyright"
chmod 0644 "$doc/copyright"
{
	echo "$pkg ($debversion) unstable; urgency=medium"
	echo
	echo "  * super $VERSION."
	echo
	echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

for s in preinst postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
printf '%s\n' /etc/default/supervisor /etc/init.d/supervisor /etc/supervisor/supervisord.conf > "$root/DEBIAN/conffiles"
size=$(find "$root" -path "$root/DEBIAN" -prune -o \( -type f -o -type l \) -printf '%s\n' |
	awk '{ kb += int(($1 + 1023) / 1024) } END { print kb }')
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@MAINTAINER@/$maintainer/" "$here/control.in" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

# Reproducible: every file's time is the source's; dpkg-deb takes the
# archive members' times from SOURCE_DATE_EPOCH and owners from --root-owner-group.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb=$out/${pkg}_${debversion}_$arch.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
