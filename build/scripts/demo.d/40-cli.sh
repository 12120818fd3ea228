# The ksef command: a profile (in a throwaway HOME) that names the variable
# holding the token, a login shown as JSON, the kept login used again.
set -euo pipefail
echo "== ksef (the command-line tool, with a profile)"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
ksef() { HOME="$home" DEMO_KSEF_TOKEN="$KSEF_SIM_TOKEN" build/bin/ksef "$@"; }
ksef profile create demo --env "$KSEF_SIM_URL" --nip "$KSEF_SIM_NIP" --token-env DEMO_KSEF_TOKEN >/dev/null
echo "\$ ksef profile list"
ksef profile list
echo "\$ ksef auth login --json"
ksef auth login --json
echo "\$ ksef tokens list"
ksef tokens list
echo "\$ ksef auth logout"
ksef auth logout
