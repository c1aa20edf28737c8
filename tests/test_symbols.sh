#!/usr/bin/env bash
# tests/test_symbols.sh - liblfr's exported symbols are its API: every
# symbol the archive defines for other programs is named lfr_*, and the
# API is there (a build that hid everything would pass the first check).
# Usage: test_symbols.sh PATH_TO_LIBLFR_A
set -u
lib=$1
exported=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }')
stray=$(printf '%s\n' "$exported" | grep -v '^lfr_' | grep -v '^$')
if [ -n "$stray" ]; then
  printf 'FAIL: %s exports %d symbols not named lfr_*:\n%s\n' "$lib" \
    "$(printf '%s\n' "$stray" | wc -l)" "$(printf '%s\n' "$stray" | head -20)"
  exit 1
fi
for api in lfr_ctx_new lfr_engine_new lfr_policy_open lfr_server_new lfr_gallery_search; do
  if ! printf '%s\n' "$exported" | grep -qx "$api"; then
    printf 'FAIL: %s does not export %s\n' "$lib" "$api"
    exit 1
  fi
done
printf 'ok: %d symbols exported, all lfr_*\n' "$(printf '%s\n' "$exported" | wc -l)"
