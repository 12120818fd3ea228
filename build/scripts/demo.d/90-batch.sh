# The end: 200 generated FA (3) invoices in one batch session (core/batch),
# with a progress line, the outcomes per status and the session UPO's count.
set -euo pipefail
echo "== Go (core/batch): a batch session"
KSEF_NIP="$KSEF_SIM_NIP" KSEF_TOKEN="$KSEF_SIM_TOKEN" build/bin/ksef-demo --base-url "$KSEF_SIM_URL" --batch 200
