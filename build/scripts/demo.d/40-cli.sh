# The ksef command: a profile (in a throwaway HOME) that names the variable
# holding the token, a login shown as JSON, the kept login used again —
# to list the tokens and to send two invoice files with their UPO.
set -euo pipefail
echo "== ksef (the command-line tool, with a profile)"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
bin=$PWD/build/bin
ksef() { HOME="$home" DEMO_KSEF_TOKEN="$KSEF_SIM_TOKEN" "$bin/ksef" "$@"; }
ksef profile create demo --env "$KSEF_SIM_URL" --nip "$KSEF_SIM_NIP" --token-env DEMO_KSEF_TOKEN >/dev/null
echo "\$ ksef profile list"
ksef profile list
echo "\$ ksef auth login --json"
ksef auth login --json
echo "\$ ksef tokens list"
ksef tokens list
KSEF_NIP="$KSEF_SIM_NIP" build/bin/ksef-demo --write-invoices "$home/out" --count 2
echo "\$ ksef invoices send out/FV-0001.xml out/FV-0002.xml --upo-dir upo/"
(cd "$home" && ksef invoices send out/FV-0001.xml out/FV-0002.xml --upo-dir upo/)
echo "\$ ksef auth logout"
ksef auth logout
