#!/usr/bin/env bash
# tests/test_package.sh DEB - the Debian package (issue 16): its fields and
# files, lintian, the systemd unit, and the package unpacked into a
# throw-away root whose lfr serves /healthz and /readyz with the models and
# console installed beside it (no model folder or web folder given).
set -u
deb=${1:?usage: test_package.sh DEB}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfr-package.XXXXXX")
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The control fields: the libraries Debian ships are dependencies.
dpkg-deb --field "$deb" Package Architecture Depends >"$tmp/fields" || bad "dpkg-deb --field $deb"
grep -q "^Package: openlfr$" "$tmp/fields" && ok || bad "Package: $(cat "$tmp/fields")"
for dep in adduser libsodium23 libmicrohttpd12 libsqlite3-0 libjansson4 libavcodec59 libturbojpeg0; do
  grep -q "^Depends:.*\b$dep\b" "$tmp/fields" && ok || bad "Depends lacks $dep: $(cat "$tmp/fields")"
done

# The files, where Debian and the docs say they are.
dpkg-deb --contents "$deb" >"$tmp/contents" || bad "dpkg-deb --contents"
for f in ./usr/bin/lfr ./usr/lib/openlfr/libonnxruntime.so.1 ./usr/share/openlfr/web/index.html \
  ./usr/share/openlfr/models/fusion_512_192.json ./usr/share/openlfr/models/mobilefacenet512.json \
  ./usr/share/openlfr/models/ultraface_anysize.onnx ./usr/share/openlfr/models/fr_landmark.onnx \
  ./usr/share/openlfr/models/mobilefacenet512.onnx ./usr/share/openlfr/models/mobilefacenet192.onnx \
  ./usr/share/man/man1/lfr.1.gz ./etc/openlfr/lfr.conf ./usr/lib/systemd/system/openlfr.service \
  ./usr/share/doc/openlfr/copyright ./usr/share/doc/openlfr/changelog.Debian.gz \
  ./usr/share/doc/openlfr/deploy.md; do
  grep -q " $f\$" "$tmp/contents" && ok || bad "the package lacks $f"
done
grep -q "/fr_feature.onnx$" "$tmp/contents" && bad "the package ships fr_feature.onnx, which no manifest runs" || ok
grep -q "root/root .* ./usr/bin/lfr$" "$tmp/contents" && grep -q "^-rwxr-xr-x" <(grep " ./usr/bin/lfr$" "$tmp/contents") &&
  ok || bad "usr/bin/lfr is not root's, mode 755: $(grep ' ./usr/bin/lfr$' "$tmp/contents")"
dpkg-deb --ctrl-tarfile "$deb" | tar -t >"$tmp/control-files"
for f in ./control ./conffiles ./postinst ./postrm ./prerm ./md5sums; do
  grep -qx "$f" "$tmp/control-files" && ok || bad "the control area lacks $f"
done

# Lintian: no errors (its warnings are printed for the reader).
if command -v lintian >/dev/null; then
  lintian --no-tag-display-limit "$deb" >"$tmp/lintian" 2>&1
  grep '^W:' "$tmp/lintian" | sed 's/^/lintian: /'
  grep -q '^E:' "$tmp/lintian" && bad "lintian errors: $(grep '^E:' "$tmp/lintian")" || ok
else
  bad "lintian is not installed (scripts/setup.sh installs it)"
fi

# The unpacked package.
root=$tmp/root
dpkg-deb -x "$deb" "$root" || bad "dpkg-deb -x"
unit=$root/usr/lib/systemd/system/openlfr.service
for want in "User=openlfr" "ProtectSystem=strict" "NoNewPrivileges=yes" "PrivateTmp=yes" \
  "StateDirectory=openlfr" "Restart=on-failure" "ExecStart=/usr/bin/lfr serve --config /etc/openlfr/lfr.conf"; do
  grep -qx "$want" "$unit" && ok || bad "openlfr.service lacks $want"
done
# systemd's own check of the unit: every key known, every value valid (the
# binary and the man page are not installed on this machine).
systemd-analyze verify "$unit" >"$tmp/verify" 2>&1
grep -v "Command /usr/bin/lfr is not executable\|Command 'man lfr(1)' failed" "$tmp/verify" |
  grep -q . && bad "systemd-analyze verify: $(cat "$tmp/verify")" || ok
readelf -d "$root/usr/bin/lfr" | grep -q 'R.*PATH.*\[\$ORIGIN/../lib/openlfr\]' && ok ||
  bad "lfr does not look for ONNX Runtime beside it: $(readelf -d "$root/usr/bin/lfr" | grep PATH)"

# The packaged lfr.conf, with the paths of this root: it starts, reaches
# /healthz and is ready (database, key, models, runner) with the models and
# console it found beside its binary.
mkdir -p "$tmp/var"
printf 'an admin password for the package test\n' >"$tmp/admin-password"
sed -e "s#^listen = .*#listen = 127.0.0.1:0#" -e "s#/var/lib/openlfr#$tmp/var#" \
  -e "s#/etc/openlfr/admin-password#$tmp/admin-password#" "$root/etc/openlfr/lfr.conf" >"$tmp/lfr.conf"
env -u LFR_MODEL_DIR -u LFR_CACHE HOME="$tmp" "$root/usr/bin/lfr" serve --config "$tmp/lfr.conf" \
  >"$tmp/stdout" 2>"$tmp/stderr" &
server=$!
port=
for _ in $(seq 600); do # the first line says the port; 60 s at most
  port=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$tmp/stdout")
  [ -n "$port" ] || ! kill -0 "$server" 2>/dev/null && break
  sleep 0.1
done
if [ -z "$port" ]; then
  bad "the unpacked lfr serve did not start: $(tail -c 600 "$tmp/stderr")"
else
  curl -sf "http://127.0.0.1:$port/healthz" | grep -q '"alive"' && ok || bad "/healthz"
  curl -s "http://127.0.0.1:$port/readyz" >"$tmp/ready"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ready"] and d["checks"]["models"] == "ok", d' \
    "$tmp/ready" && ok || bad "/readyz: $(cat "$tmp/ready")"
  curl -sf "http://127.0.0.1:$port/" | grep -q '<html' && ok || bad "the console is not served from the package"
  kill -TERM "$server"
  wait "$server" && ok || bad "lfr serve did not stop cleanly on SIGTERM: $(tail -c 600 "$tmp/stderr")"
  server=
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
