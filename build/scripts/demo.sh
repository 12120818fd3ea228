#!/usr/bin/env bash
# make demo: start the bundled simulator on loopback, then run the main job —
# KSeF-token authentication, a refresh, the session list — from Go, and the
# same authentication from C, Python, Node and the ksef command (with a
# profile). With KSEF_ENV/KSEF_NIP/KSEF_TOKEN set, the Go demo talks to that
# real environment instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ -n "${KSEF_ENV:-}" ]; then
  echo "== Go: KSeF ${KSEF_ENV} environment"
  exec build/bin/ksef-demo
fi

out=$(mktemp); log=$(mktemp); buyer=$(mktemp)
build/bin/ksef-sim --addr 127.0.0.1:0 --seed-token >"$out" 2>"$log" &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -f "$out" "$log" "$buyer"' EXIT
for _ in $(seq 100); do
  [ "$(wc -l <"$out")" -ge 2 ] && break
  kill -0 $sim 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
url=$(sed -n 's/^ksef-sim listening on //p' "$out" | head -1)
seed=$(sed -n 2p "$out")
nip=$(printf '%s' "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["nip"])')
token=$(printf '%s' "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "simulator: $url"
echo

echo "== Go (core/ksef)"
build/bin/ksef-demo --base-url "$url" --buyer-out "$buyer"
echo

for part in build/scripts/demo.d/*.sh; do
  [ -e "$part" ] || continue
  KSEF_SIM_URL="$url" KSEF_SIM_NIP="$nip" KSEF_SIM_TOKEN="$token" KSEF_DEMO_BUYER="$buyer" bash "$part"
  echo
done
echo "demo finished: every binding authenticated against the simulator; the invoice sent reached its buyer"
