"""VERIFY.md and verify.sh of an evidence bundle (accident/evidence_bundle.py): how anyone checks it with
coreutils (sha256sum, cut-free: mktemp, paste, head, tail, wc, tr, cat), jq and openssl, and nothing of ours."""

from __future__ import annotations

VERIFY_SH = r"""#!/bin/sh
# Checks this evidence bundle with sha256sum and other coreutils, jq and openssl only; VERIFY.md says the same in
# words. Exit status 0: every check passed; 1: something does not match (each failure is named); 2: a tool is missing.
set -u
cd "$(dirname "$0")" || exit 2
for tool in sha256sum jq openssl mktemp paste; do
  command -v "$tool" >/dev/null 2>&1 || { echo "verify.sh needs $tool" >&2; exit 2; }
done
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL  $*"; failed=1; }
pass() { echo "ok    $*"; }
# The SHA-256 of a file, or of each line of a file (without its line break), one a line.
file_sha() { h=$(sha256sum < "$1"); echo "${h%% *}"; }
line_shas() { while IFS= read -r line; do h=$(printf '%s' "$line" | sha256sum); echo "${h%% *}"; done < "$1"; }
# Whether a newline-separated list holds a value.
holds() { case "
$1
" in *"
$2
"*) return 0 ;; esac; return 1; }

# 1. Every file is as it was exported (the BagIt manifests are sha256sum's own format).
if sha256sum --quiet -c manifest-sha256.txt; then pass "every payload file matches manifest-sha256.txt"
else fail "payload files differ from manifest-sha256.txt (named above)"; fi
if sha256sum --quiet -c tagmanifest-sha256.txt; then pass "tag files match tagmanifest-sha256.txt"
else fail "tag files differ from tagmanifest-sha256.txt (named above)"; fi

# 2. The case's audit chain: each line is one event's canonical encoding; its third element is the SHA-256 of
#    the line before (null for the first); the hash of the last line is what the seal holds.
chain=data/audit/chain.jsonl
report=$(jq -r '.id' data/report.json)
line_shas "$chain" > "$work/hashes"
{ echo null; cat "$work/hashes"; } > "$work/expected"
jq -r '"\(.[2] // "null") \(.[1])"' "$chain" > "$work/links"
n=0
last_event=""
paste -d ' ' "$work/links" "$work/expected" "$work/hashes" > "$work/walk"
while read -r link owner expected hash; do
  [ -n "$hash" ] || continue
  n=$((n + 1))
  [ "$link" = "$expected" ] || fail "audit event $n does not follow the event before it (its link is $link)"
  [ "$owner" = "$report" ] || fail "audit event $n belongs to chain $owner, not to report $report"
  last_event=$hash
done < "$work/walk"
if [ "$n" -gt 0 ]; then pass "audit chain of report $report: $n events, each linked to the one before"
else fail "the audit chain is empty"; fi

# 3. What the chain recorded when it happened: photo originals, the agreement, the decisions.
uploaded=$(jq -r 'select(.[4] == "photo" and .[6] == "uploaded") | .[9].sha256.after' "$chain")
for f in data/photos/originals/*; do
  [ -e "$f" ] || continue
  h=$(file_sha "$f")
  if holds "$uploaded" "$h"; then pass "photo $f is the upload the chain recorded"
  else fail "photo $f (SHA-256 $h) is not an upload the audit chain recorded"; fi
done
if [ -e data/agreement/agreement.json ]; then
  for part in json pdf; do
    want=$(jq -r "select(.[4] == \"agreement\" and .[6] == \"created\") | .[9].${part}_sha256.after" "$chain")
    h=$(file_sha "data/agreement/agreement.$part")
    if holds "$want" "$h"; then pass "agreement.$part is the one the chain recorded"
    else fail "agreement.$part (SHA-256 $h) is not the one the chain recorded"; fi
  done
fi
recorded=$(jq -r '.[9].content_sha256.after // empty' "$chain")
for f in data/decisions/*.json; do
  [ -e "$f" ] || continue
  h=$(file_sha "$f")
  if holds "$recorded" "$h"; then pass "decision $f is the one the chain recorded"
  else fail "decision $f (SHA-256 $h) is not a decision the audit chain recorded"; fi
done

# 4. The seal: the first entry holds the chain's last event; each entry links to the one before.
seal=data/seal/entries.jsonl
line_shas "$seal" > "$work/seal_hashes"
first_holds=$(jq -r '.[3][][1]' "$seal" | head -n "$(jq -r '.[3] | length' "$seal" | head -n 1)")
if holds "$first_holds" "$last_event"; then
  pass "seal entry $(jq -r '.[1]' "$seal" | head -n 1) holds the chain's last event"
else fail "the first seal entry does not hold the chain's last event $last_event"; fi
jq -r '.[2] // "null"' "$seal" | tail -n +2 > "$work/seal_links"
head -n -1 "$work/seal_hashes" > "$work/seal_expected"
k=1
paste -d ' ' "$work/seal_links" "$work/seal_expected" > "$work/seal_walk"
while read -r link expected; do
  [ -n "$link" ] || continue
  k=$((k + 1))
  [ "$link" = "$expected" ] || fail "seal entry $k does not follow the one before it"
done < "$work/seal_walk"
seal_head=$(tail -n 1 "$work/seal_hashes")
pass "seal path: $(wc -l < "$work/seal_hashes") entries up to the seal head $seal_head"

# 5. The anchor: an RFC 3161 timestamp over the seal head, signed by the authority whose root is tsa-ca.crt.
if openssl ts -verify -digest "$seal_head" -in data/seal/anchor.tsr -CAfile data/seal/tsa-ca.crt >/dev/null 2>&1
then
  at=$(openssl ts -reply -in data/seal/anchor.tsr -text 2>/dev/null \
       | jq -Rr 'select(startswith("Time stamp: ")) | ltrimstr("Time stamp: ")')
  pass "openssl ts -verify: the timestamp covers the seal head ($at)"
else
  fail "openssl ts -verify: the timestamp does not verify for the seal head $seal_head"
fi
echo "authority root certificate: $(openssl x509 -in data/seal/tsa-ca.crt -noout -subject -fingerprint -sha256 \
  2>/dev/null | tr '\n' ' ')"
echo "(compare that fingerprint with the one the time-stamping authority publishes)"

if [ "$failed" -eq 0 ]; then echo "VERIFIED"; exit 0; fi
echo "NOT VERIFIED"
exit 1
"""

VERIFY_MD = """# Verifying this evidence bundle

This archive is a BagIt bag (RFC 8493). Everything below can be checked with `sha256sum` (coreutils), `jq`
and `openssl`; `sh verify.sh` does all of it and names whatever does not match. Any BagIt tool (e.g.
`bagit.py --validate DIR`) checks step 1.

1. **Files as exported.** `manifest-sha256.txt` lists the SHA-256 of every file under `data/`, and
   `tagmanifest-sha256.txt` of the files beside it (this one and `verify.sh` included): `sha256sum -c`.
2. **The audit chain** (`data/audit/chain.jsonl`): every state change of the case, one event a line, each line
   exactly the bytes the service hashed: the JSON array `["kuaichu-audit/1", report id, previous event's hash
   (hex, null for the first), time (UTC), entity, entity id, action, actor kind, actor id, changes, commitment
   to personal data (hex or null)]`. An event's hash is the SHA-256 of its line; each line's third element must
   be the hash of the line before. Personal data is never in the chain: where an event concerned some, the
   chain holds HMAC-SHA-256 of it under a key kept (and erased) with the data.
3. **What the chain recorded at the time.** Photo originals (`data/photos/originals/`) must have the SHA-256
   of a `photo` `uploaded` event (`changes.sha256.after`); `agreement.json` and `agreement.pdf` the
   `json_sha256`/`pdf_sha256` of the `agreement` `created` event; each decision in `data/decisions/` (the
   canonical JSON of a fault proposal: template set and version, the facts given, the result; or of a police
   determination) the `content_sha256` of its event. Files in `data/photos/derivatives/` are previews made by
   the service from the originals (`photos.json` says from which); they are not evidence of their own.
4. **The seal** (`data/seal/entries.jsonl`): the service appends every committed event to one global chain
   of seal entries, `["kuaichu-seal/1", entry number, previous entry's hash, [[event id, event hash], ...]]`,
   hashed like events. The first line must list the hash of the chain's last event; each later line must
   name the hash of the line before; the hash of the last line is the seal head.
5. **The anchor** (`data/seal/anchor.tsr`): an RFC 3161 time-stamp reply over the seal head:
   `openssl ts -verify -digest <seal head> -in data/seal/anchor.tsr -CAfile data/seal/tsa-ca.crt`.
   `openssl ts -reply -in data/seal/anchor.tsr -text` shows its time. Trust it only after comparing the
   certificate's fingerprint (`openssl x509 -in data/seal/tsa-ca.crt -noout -fingerprint -sha256`) with the
   one the authority publishes.

Together: nothing in the case's chain, and no file the chain recorded, can have changed since the time in the
timestamp without a mismatch above.
"""
