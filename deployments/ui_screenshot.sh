#!/usr/bin/env bash
# Save a PNG of a flow run's page in the Prefect UI, rendered by headless Chromium.
# Usage: deployments/ui_screenshot.sh [FLOW_RUN_ID] [OUT.png]
#   FLOW_RUN_ID defaults to the flow run that started last (not a future scheduled one);
#   the UI is read from $PREFECT_UI_URL or http://127.0.0.1:4200.
#   Needs Debian's chromium (apt-get install chromium); not part of CI.
set -euo pipefail
ui="${PREFECT_UI_URL:-http://127.0.0.1:4200}"
api="${PREFECT_API_URL:-$ui/api}"
run_id="${1:-}"
out="${2:-.seedflow/flow-run.png}"
if [ -z "$run_id" ]; then
    run_id=$(curl -fsS -X POST "$api/flow_runs/filter" -H 'content-type: application/json' \
        -d '{"flow_runs": {"start_time": {"is_null_": false}}, "sort": "START_TIME_DESC", "limit": 1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
fi
mkdir -p "$(dirname "$out")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1600,1100 --virtual-time-budget=15000 \
    --screenshot="$(realpath -m "$out")" "$ui/runs/flow-run/$run_id" 2>/dev/null
echo "$out: flow run $run_id"
