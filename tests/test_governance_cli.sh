#!/usr/bin/env bash
# tests/test_governance_cli.sh - a deployment run from draft to reviewed by
# a script, as the issue asks, with the refusals a script would meet.
# Usage: test_governance_cli.sh PATH_TO_LFR
set -u
lfr=$1
tmp=$(mktemp -d "${LFR_TEST_TMP:-/tmp}/gov.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export LFR_DB="$tmp/lfr.db"
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

# run CODE NEEDLE USER -- ARGS: exit code CODE, NEEDLE in stdout+stderr.
run() {
  local code=$1 needle=$2 user=$3
  shift 4
  LFR_PASSWORD="pw-$user-0123456789" "$lfr" "$@" >"$tmp/out" 2>&1
  local rc=$?
  if [ "$rc" -ne "$code" ]; then bad "lfr $* (as $user): exit $rc, expected $code: $(head -c 400 "$tmp/out")"
  elif [ -n "$needle" ] && ! grep -q -- "$needle" "$tmp/out"; then bad "lfr $*: output lacks '$needle': $(head -c 400 "$tmp/out")"
  else ok; fi
}
adduser() { # NAME ROLES RANK
  LFR_PASSWORD="pw-admin-0123456789" LFR_NEW_PASSWORD="pw-$1-0123456789" \
    "$lfr" user add "$1" --roles "$2" --rank "$3" --as admin >"$tmp/out" 2>&1 && ok || bad "user add $1: $(cat "$tmp/out")"
}

LFR_NEW_PASSWORD="pw-admin-0123456789" "$lfr" user add admin --roles admin >"$tmp/out" 2>&1 && ok || bad "first admin: $(cat "$tmp/out")"
adduser pc.smith applicant constable
adduser supt.jones authoriser superintendent
adduser insp.patel authoriser inspector
adduser op.brown operator constable
adduser sgt.white reviewer sergeant
adduser dpo.green auditor none
data=${LFR_DATA:-../shared/data}
LFR_NEW_PASSWORD=pw-x.y-0123456789 run 1 "separation of duties" admin -- user add x.y --roles admin,operator --as admin
run 1 "wrong user name or password" nobody -- deployment list --as admin
# The threshold floor (DEP-6): a senior officer's setting, with its evidence,
# one for the server and every command (issue 13 item 26).
run 1 "superintendent" insp.patel -- settings floor 0.55 --evidence "FV-2026-03" --as insp.patel
run 2 "evidence" supt.jones -- settings floor 0.55 --as supt.jones
run 0 "set by supt.jones on the evidence: FV-2026-03" supt.jones -- settings floor 0.55 --evidence "FV-2026-03" --as supt.jones
run 0 "threshold floor 0.5500" op.brown -- settings show
run 0 '"action":"settings.threshold_floor"' dpo.green -- audit export --as dpo.green

now=$(date -u +%s)
start=$(date -u -d "@$((now - 300))" +%Y-%m-%dT%H:%MZ)
end=$(date -u -d "@$((now + 7200))" +%Y-%m-%dT%H:%MZ)
LFR_PASSWORD="pw-pc.smith-0123456789" "$lfr" deployment create "Op Lantern" --as pc.smith >"$tmp/id" 2>&1 && ok || bad "create: $(cat "$tmp/id")"
id=$(cat "$tmp/id")
set_field() { run 0 "" pc.smith -- deployment set "$id" "$1" "$2" --as pc.smith; }
set_field purpose "locate people wanted on warrant"
set_field intelligence_case "reports 2026/114-118"
set_field necessity "serious offences, limited time and place"
set_field less_intrusive "patrols tried for six weeks"
set_field start "$start"
set_field end "$end"
set_field watchlist_criteria "wanted for offences carrying 2+ years"
set_field watchlist_categories "wanted by the courts"
set_field watchlist_size 500
set_field threshold 0.70
set_field engagement_plan "two engagement officers per camera"
set_field dpia_ref DPIA-7
set_field equality_ref EIA-7
set_field community_ref CIA-7
set_field pcc_informed yes
set_field expected_footfall 15000
run 1 "DEP-6" pc.smith -- deployment set "$id" threshold 0.2 --as pc.smith
run 2 "not a UTC time" pc.smith -- deployment set "$id" start "next tuesday" --as pc.smith
run 0 "" pc.smith -- deployment location "$id" "Queen Street" "highest footfall in the centre" --as pc.smith
run 1 "public_notice" pc.smith -- deployment submit "$id" --as pc.smith
set_field public_notice "force website and signs"
photo="$data/samples/facenet_pytorch/data/test_images/kate_siegel/1.jpg"
if [ -f "$photo" ]; then
  wl() { run "$1" "$2" pc.smith -- watchlist add "$id" "$3" --person "PNC 01/2345" --category "$4" \
    --reason "wanted on warrant for robbery" --source "custody image 2024/5531" \
    --legal-basis "PACE s.64A" --photo-date 2024-03-01 --as pc.smith; }
  wl 2 "WL-2" "$photo" celebrity
  wl 2 "faces found" "$data/samples/face_recognition_examples/examples/two_people.jpg" wanted
  wl 0 '"entry"' "$photo" wanted
  entry=$(sed -n 's/.*"entry": \([0-9]*\).*/\1/p' "$tmp/out")
  run 0 "" pc.smith -- deployment submit "$id" --as pc.smith
  run 1 "WL-4" supt.jones -- deployment authorise "$id" --as supt.jones
  run 1 "reviewer" pc.smith -- watchlist review "$entry" --as pc.smith
  run 0 "" sgt.white -- watchlist review "$entry" --as sgt.white
else
  echo "skipped: watchlist CLI checks ($data absent)"
  run 0 "" pc.smith -- deployment submit "$id" --as pc.smith
fi
run 1 "superintendent" insp.patel -- deployment authorise "$id" --as insp.patel
run 1 "authoriser" op.brown -- deployment authorise "$id" --as op.brown
run 1 "submitted" op.brown -- deployment start "$id" --as op.brown
run 0 "" supt.jones -- deployment authorise "$id" --as supt.jones
run 1 "frozen" pc.smith -- deployment set "$id" purpose "changed" --as pc.smith
run 0 "" op.brown -- deployment start "$id" --as op.brown
run 0 '"state": "live"' op.brown -- deployment show "$id" --as op.brown
run 2 "needs --reason" op.brown -- deployment stop "$id" --as op.brown
run 0 "" op.brown -- deployment stop "$id" --reason "crowd dispersed" --as op.brown
run 0 '"end_reason": "crowd dispersed"' supt.jones -- deployment report "$id" --as supt.jones
run 1 "PUB-2" insp.patel -- deployment review "$id" --as insp.patel
run 0 "" supt.jones -- deployment review "$id" --as supt.jones
# The documents of section 5 (tests/test_report.c checks their figures).
run 0 "Live facial recognition in use: Queen Street" pc.smith -- report notice "$id" --as pc.smith
run 0 '"advance_notice": "published"' op.brown -- report record "$id" --format json --as op.brown
run 0 "field,value" op.brown -- report record "$id" --format csv --as op.brown
run 0 "signed off" supt.jones -- report review "$id" --format json --as supt.jones
run 1 "authoriser" op.brown -- report review "$id" --as op.brown
run 0 "" dpo.green -- report summary --from 2000-01-01 --to 2200-01-01 --out "$tmp/summary.html" --as dpo.green
grep -q "<svg" "$tmp/summary.html" && ok || bad "report summary --out wrote no charts"
run 2 "--format" dpo.green -- report record "$id" --format pdf --as dpo.green
run 2 "html, csv, json" dpo.green -- report record "$id" --format text --as dpo.green
run 0 '"chain_intact": true' dpo.green -- report oversight --as dpo.green
run 3 "no deployment 999" supt.jones -- deployment show 999 --as supt.jones
run 2 "not a deployment id" supt.jones -- deployment show "1; DROP TABLE deployments" --as supt.jones
if [ -f "$photo" ]; then
  run 0 '"category": "wanted"' dpo.green -- sar lookup "PNC 01/2345" --as dpo.green
  run 1 "auditor" op.brown -- sar lookup "PNC 01/2345" --as op.brown
  run 0 '"destroyed": true' sgt.white -- watchlist list "$id" --as sgt.white
fi
run 0 "alerts past 31 days deleted" admin -- retention run
run 0 "intact" dpo.green -- audit verify --as dpo.green
run 0 '"action":"deployment.authorise"' dpo.green -- audit export --as dpo.green
run 1 "auditor" op.brown -- audit export --as op.brown
run 0 '"action":"audit.export"' dpo.green -- audit export --as dpo.green
# Issue 16: a lost password is reset on the host (the database and its key
# file, no user); the new one is for one login, the old one is gone, and
# the reset is audited.
run 2 "no --as" admin -- user reset-password op.brown --as admin
run 3 "no user nobody" admin -- user reset-password nobody
run 0 "one-time password for op.brown: " admin -- user reset-password op.brown
otp=$(sed -n 's/^one-time password for op.brown: \(.*\)$/\1/p' "$tmp/out")
[ ${#otp} -eq 24 ] && ok || bad "a 24-character one-time password: '$otp'"
run 1 "wrong user name or password" op.brown -- deployment list --as op.brown
LFR_PASSWORD="$otp" "$lfr" deployment list --as op.brown >"$tmp/out" 2>&1
[ $? -eq 1 ] && grep -q "one-time password: sign in to the console and change it first" "$tmp/out" \
  && ok || bad "a one-time password opens nothing on the command line: $(cat "$tmp/out")"
run 0 '"action":"user.reset_password"' dpo.green -- audit export --as dpo.green
# Disabled, then enabled again: an administrator's acts, audited.
run 0 "user pc.smith disabled" admin -- user disable pc.smith --as admin
run 1 "wrong user name or password" pc.smith -- deployment list --as pc.smith
run 1 "admin" supt.jones -- user enable pc.smith --as supt.jones
run 0 "user pc.smith enabled" admin -- user enable pc.smith --as admin
run 0 "" pc.smith -- deployment list --as pc.smith
run 3 "no user nobody" admin -- user enable nobody --as admin
run 0 '"action":"user.enable"' dpo.green -- audit export --as dpo.green
run 0 "intact" dpo.green -- audit verify --as dpo.green
# Roles and rank changed by an administrator, never on themselves, with
# the duties kept apart; audited with what they were.
run 0 "user op.brown: roles operator,reviewer, rank sergeant" admin -- user roles op.brown --roles operator,reviewer --rank sergeant --as admin
run 1 "separation of duties" admin -- user roles op.brown --roles admin,operator --as admin
run 1 "their own roles" admin -- user roles admin --roles admin,auditor --as admin
run 1 "admin" supt.jones -- user roles op.brown --roles operator --as supt.jones
run 3 "no user nobody" admin -- user roles nobody --roles operator --as admin
run 2 "--roles takes" admin -- user roles op.brown --as admin
run 0 '"previous_roles"' dpo.green -- audit export --as dpo.green
run 0 "op.brown *reviewer,operator *sergeant" admin -- user list --as admin
# Issue 16: a backup sealed with a passphrase, restored where nothing is,
# its chain verified there; a wrong passphrase, a damaged file or an
# occupied place changes nothing.
printf 'a long backup passphrase\n' >"$tmp/pass"
printf 'not the passphrase!!\n' >"$tmp/wrong"
run 2 "needs --passphrase-file" admin -- backup "$tmp/b.lfrbak"
run 0 "sealed with its watchlist key and audit anchor" admin -- backup "$tmp/b.lfrbak" --passphrase-file "$tmp/pass"
grep -q "lfr backup: sealing: [0-9]* of [0-9]* kB in [0-9]*s" "$tmp/out" && ok || bad "backup progress: $(cat "$tmp/out")"
[ "$(stat -c %a "$tmp/b.lfrbak")" = 600 ] && ok || bad "the backup is mode 600"
grep -q "PNC 01/2345\|wanted on warrant\|audit_log" "$tmp/b.lfrbak" && bad "the backup is readable" || ok
run 1 "already exists" admin -- backup "$tmp/b.lfrbak" --passphrase-file "$tmp/pass"
run 3 "wrong passphrase" admin -- restore "$tmp/b.lfrbak" --db "$tmp/r1/lfr.db" --passphrase-file "$tmp/wrong"
[ ! -e "$tmp/r1/lfr.db" ] && [ -z "$(ls -A "$tmp/r1")" ] && ok || bad "a failed restore leaves nothing: $(ls -A "$tmp/r1")"
head -c 2000 "$tmp/b.lfrbak" >"$tmp/cut.lfrbak"
run 3 "cut short" admin -- restore "$tmp/cut.lfrbak" --db "$tmp/r2/lfr.db" --passphrase-file "$tmp/pass"
run 1 "exists" admin -- restore "$tmp/b.lfrbak" --passphrase-file "$tmp/pass"
run 0 "audit chain and anchor verified" admin -- restore "$tmp/b.lfrbak" --db "$tmp/r3/lfr.db" --passphrase-file "$tmp/pass"
grep -q "lfr restore: unsealing: [0-9]* of [0-9]* kB in [0-9]*s" "$tmp/out" && ok || bad "restore progress: $(cat "$tmp/out")"
LFR_DB="$tmp/r3/lfr.db" run 0 "intact" dpo.green -- audit verify --as dpo.green
LFR_DB="$tmp/r3/lfr.db" run 0 '"action":"user.enable"' dpo.green -- audit export --as dpo.green
LFR_DB="$tmp/r3/lfr.db" LFR_KEY="$tmp/r3/lfr.db.key" run 0 '"category": "wanted"' dpo.green -- sar lookup "PNC 01/2345" --as dpo.green

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
