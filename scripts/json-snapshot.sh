#!/usr/bin/env bash
# Every read-only command's output on the saved fixture trees, into DIR, with the fields that
# change from run to run (times, dates, temp paths) blanked. Run it before and after a
# refactor and `diff -r` the two directories: an empty diff means the output did not move.
#   scripts/json-snapshot.sh DIR
set -euo pipefail
out=${1:?usage: scripts/json-snapshot.sh DIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
export NO_COLOR=1 C1M_PROBE_DIR=off
c1m() { node bin/run.js "$@" 2>&1 || true; }
blank() { sed -E "s#$PWD/##g" | sed -E 's/"(generatedAt|elapsedMs|timestamp|ageSeconds)": [^,}]*/"\1": X/g; s/"age": "[^"]*"/"age": X/g; s/c1m_last_run_timestamp_seconds .*/c1m_last_run_timestamp_seconds X/; s#/tmp/c1m-snap-[A-Za-z0-9]+#TMP#g; s#$PWD/##g; s/timestamp="[^"]*"/timestamp="X"/; s/time="[^"]*"/time="X"/g; s/ at [0-9:.TZ-]{20,}//g; s/Generated [0-9:.TZ-]{20,}/Generated X/g; s/data-fact="date">[^<]*/data-fact="date">X/g'; }
F=test/fixtures
for tree in container-capped empty-tree estimate-host host-2008 stock-modern tuned-1m; do
  for role in server client loopback; do
    c1m doctor --json --fail-on none --root $F/$tree --role $role | blank > "$out/doctor-$tree-$role.json"
    c1m doctor --fail-on none --root $F/$tree --role $role | blank > "$out/doctor-$tree-$role.txt"
  done
  c1m doctor --json --fail-on none --root $F/$tree --profile million | blank > "$out/doctor-profile-$tree.json"
  c1m doctor --format junit --root $F/$tree | blank > "$out/doctor-$tree.xml"
  c1m doctor --format markdown --root $F/$tree | blank > "$out/doctor-$tree.md"
  c1m doctor --format prometheus --root $F/$tree | blank > "$out/doctor-$tree.prom"
  c1m estimate --json --conns 1M --root $F/$tree | blank > "$out/estimate-$tree.json"
  c1m estimate --conns 1M --root $F/$tree | blank > "$out/estimate-$tree.txt"
  c1m estimate --json --conns 1M --root $F/$tree --calibration $F/probe-small.json | blank > "$out/estimate-cal-$tree.json"
  c1m estimate --json --conns 250k --role client --root $F/$tree --runtime go-epoll --message-size 4k --active 0.1 | blank > "$out/estimate-client-$tree.json"
  for profile in million go-1m-epoll mochiweb-part3 linkedin-im; do
    c1m profiles show $profile --json --root $F/$tree | blank > "$out/profiles-show-$profile-$tree.json"
    copy=$(mktemp -d /tmp/c1m-snap-XXXXXX)
    cp -r $F/$tree/. "$copy"
    c1m apply --profile $profile --dry-run --json --root "$copy" | blank > "$out/apply-$profile-$tree.json"
    c1m apply --profile $profile --dry-run --root "$copy" | blank > "$out/apply-$profile-$tree.txt"
    rm -rf "$copy"
  done
done
c1m profiles --json | blank > "$out/profiles.json"
c1m estimate --json --conns 1e6 --root $F/estimate-host --out /tmp/c1m-snap-html.html >/dev/null; blank < /tmp/c1m-snap-html.html > "$out/estimate.html"; rm -f /tmp/c1m-snap-html.html
# The probe renderers, on the committed reference reports (no run needed).
for report in reports/probe-*.json; do
  name=$(basename "$report" .json)
  node --input-type=module -e "
    import {readFileSync} from 'node:fs'
    const r = JSON.parse(readFileSync('$report', 'utf8'))
    const {renderProbeReport} = await import('./dist/src/reports/probe-text.js')
    const {renderProbeHtml} = await import('./dist/src/reports/probe-html.js')
    console.log(renderProbeReport(r))
    console.log(renderProbeHtml(r, {version: 'X'}))" 2>&1 | blank > "$out/render-$name.txt" || true
done
echo "$(ls "$out" | wc -l) files in $out"
