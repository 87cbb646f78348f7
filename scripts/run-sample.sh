#!/usr/bin/env bash
# The main job: set up, build, and classify the shipped sample export with the shipped
# 2009 rule set, printing the summary. Output lands in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh >/dev/null
mkdir -p out
./build/src/cli/chanrules classify --rules rules/channel-2009 \
  rules/channel-2009/sample/distributors.csv -o out/classified.csv --reasons
