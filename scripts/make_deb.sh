#!/usr/bin/env bash
# scripts/make_deb.sh BUILD_DIR OUT_DIR - the Debian package of a Release
# build configured with CMAKE_INSTALL_PREFIX=/usr (make deb does both):
# cmake --install into a staging root, then the control files from
# packaging/debian, dependencies found by dpkg-shlibdeps, and dpkg-deb.
set -euo pipefail
build=$(cd "${1:?usage: make_deb.sh BUILD_DIR OUT_DIR}" && pwd)
out=${2:?usage: make_deb.sh BUILD_DIR OUT_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "make_deb: $*" >&2; exit 1; }

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ "$prefix" = /usr ] || die "$build is configured for $prefix; a package installs under /usr"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")-1
arch=$(dpkg --print-architecture)
stage=$build/deb-root
rm -rf "$stage"
DESTDIR=$stage cmake --install "$build" >/dev/null

# What Debian expects of a binary package's files.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/lfr"
gzip -9n "$stage/usr/share/man/man1/lfr.1"
doc=$stage/usr/share/doc/openlfr
cp "$here/packaging/debian/copyright" "$doc/copyright"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -R)/" "$here/packaging/debian/changelog" |
  gzip -9n >"$doc/changelog.Debian.gz"
install -D -m 644 "$here/packaging/debian/lintian-overrides" "$stage/usr/share/lintian/overrides/openlfr"
find "$stage" -type d -exec chmod 755 {} +
find "$stage" -type f -exec chmod 644 {} +
chmod 755 "$stage/usr/bin/lfr"

# Shared libraries Debian ships become dependencies; ONNX Runtime, which
# it does not, is in the package itself (usr/lib/openlfr).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debian"
printf 'Source: openlfr\n\nPackage: openlfr\nArchitecture: any\n' >"$tmp/debian/control"
shlibs=$(cd "$tmp" && dpkg-shlibdeps -O --ignore-missing-info -l"$stage/usr/lib/openlfr" \
  "$stage/usr/bin/lfr" 2>"$tmp/warnings" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies: $(cat "$tmp/warnings")"

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
  "$here/packaging/debian/control.in" >"$stage/DEBIAN/control"
cp "$here/packaging/debian/conffiles" "$stage/DEBIAN/"
for s in postinst prerm postrm; do install -m 755 "$here/packaging/debian/$s" "$stage/DEBIAN/$s"; done
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/openlfr_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
