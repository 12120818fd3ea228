# The other direction: the buyer of the invoice the Go demo sent (a second
# test subject) syncs its purchases into a directory with the ksef command —
# the invoice arrives; a second run finds nothing new.
set -euo pipefail
echo "== ksef invoices sync (the buyer's side)"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
bnip=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nip"])' "$KSEF_DEMO_BUYER")
btoken=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$KSEF_DEMO_BUYER")
since=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat(timespec="seconds"))')
ksef() { HOME="$home" KSEF_TOKEN="$btoken" build/bin/ksef --env "$KSEF_SIM_URL" --nip "$bnip" "$@"; }
echo "\$ ksef invoices sync --state sync.json --dir inbox --since $since"
ksef invoices sync --state "$home/sync.json" --dir "$home/inbox" --since "$since"
ls "$home/inbox" | sed 's/^/  inbox\//'
echo "\$ ksef invoices sync --state sync.json --dir inbox"
ksef invoices sync --state "$home/sync.json" --dir "$home/inbox"
