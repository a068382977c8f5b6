#!/usr/bin/env bash
# Runs the studies behind the README's "What the model says" and compares them, into
# output/studies/ (or the directory given). About 30 minutes on two cores.
#
#   bash scripts/studies.sh [OUT]
#
# Every run uses the scenarios' own seed (42), months and replications, so each rule set,
# and each point of each sweep, pairs with today's market replication by replication.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-output/studies}
cargo build --release --quiet
bin=target/release/connectsim
mkdir -p "$out"

# The rule sets: today's, the marketplace's history, and two one-rule changes.
rules=(default upwork-2015 upwork-2019 upwork-2021 upwork-2023 application-cap second-price-boost)
for scenario in "${rules[@]}"; do
    "$bin" run "$scenario" --out "$out/$scenario" --quiet
done
"$bin" compare "$out/default" "$out/upwork-2015" "$out/upwork-2019" "$out/upwork-2021" \
    "$out/upwork-2023" --out "$out/compare-history"
"$bin" compare "$out/default" "$out/application-cap" "$out/second-price-boost" \
    --out "$out/compare-rules"

# The sweeps: the auto-bidders' share, the Connect's price, the boost slots, and the
# position decay (the knob no source fixes that matters most).
"$bin" run everyone-automates --out "$out/everyone-automates" --quiet
for study in connect-price boost-slots position-decay; do
    "$bin" run "scenarios/studies/$study.toml" --out "$out/$study" --quiet
done
echo "Studies in $out: compare-*/comparison.md, and each sweep's report.html"
