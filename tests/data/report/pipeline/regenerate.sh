#!/usr/bin/env bash
# Regenerate the report-test fixtures in this folder from the real pipeline (the steps of
# analysis/Makefile on the bundled SIMULATED example, plus --multiverse and an invariance run so
# that every report section has input), and a small power run (8 replications per n: quick, not
# precise; it only gives the report the real power.json structure).
# Usage: bash tests/data/report/pipeline/regenerate.sh   (from anywhere; takes a few minutes)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../../.." && pwd)"
R="${RSNPROP:-$REPO/.venv/bin/rsnprop}"
export SOURCE_DATE_EPOCH=1767225600
cd "$REPO/analysis"
INS=../instruments/rsn_internationalisation.yaml
"$R" clean ../rsnprop/datasets/example_raw.csv --instrument "$INS" --plan study.yaml \
  -o "$HERE/clean.parquet" --log "$HERE/cleaning_log.json"
"$R" measure "$HERE/clean.parquet" --instrument "$INS" -o "$HERE/measurement.json"
"$R" test "$HERE/clean.parquet" --plan study.yaml --raw ../rsnprop/datasets/example_raw.csv \
  --instrument "$INS" -o "$HERE/propositions.json" --multiverse --seed 1
"$R" invariance "$HERE/clean.parquet" --group bg_ms20 --json --model "relational =~ rel_1 + rel_2 + rel_3 + rel_4 + rel_5 + rel_6 + rel_7
informational =~ inf_1 + inf_2 + inf_3 + inf_4 + inf_5 + inf_6 + inf_7 + inf_8 + inf_9" > "$HERE/invariance.json.tmp"
mv "$HERE/invariance.json.tmp" "$HERE/invariance.json"
"$R" power --plan study.yaml --n 100,200 --reps 8 --jobs 1 --seed 1 --no-progress \
  -o "$HERE/power.json" --stream "$HERE/.power.runs.jsonl" --restart
rm -f "$HERE/.power.runs.jsonl"
chmod 644 "$HERE"/*.json "$HERE"/*.parquet
# two-wave panel (the panel steps of analysis/Makefile; example-only salt, see the Makefile)
export RSNPROP_PANEL_SALT=example-only-not-secret
T="$(mktemp -d)"
"$R" clean ../rsnprop/datasets/example_raw_w2.csv --instrument "$INS" --plan study.yaml \
  -o "$T/clean_w2.parquet" --log "$T/cleaning_log_w2.json"
"$R" panel "$HERE/clean.parquet" "$T/clean_w2.parquet" --plan study.yaml \
  -o "$T/panel.parquet" --log "$HERE/panel.json" --verdicts "$HERE/panel_propositions.json" \
  --wide-output "$T/panel_wide.parquet"
for scale in relational informational; do
  "$R" invariance "$T/panel_wide.parquet" --model "panel_$scale.lav" --repeated "${scale}_w1,${scale}_w2" \
    --missing fiml --json > "$HERE/panel_invariance_$scale.json"
done
rm -rf "$T"
chmod 644 "$HERE"/*.json
