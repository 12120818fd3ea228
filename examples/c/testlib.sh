# testlib.sh — sourced by the C test scripts (run_tests.sh, test_install.sh);
# needs TMP (a scratch folder).
#   run NAME CMD...   runs CMD: exit 0 passes, 77 skips, anything else fails
#   ok/bad/skp NAME   count a result; summary NAME prints the counts, fails on any failure
#   start_sim         starts $KSEF_SIM on a free loopback port with a seeded KSeF
#                     token; sets URL, NIP and TOKEN (URL empty if it did not start)
#   stop_sim          ends it
pass=0 fail=0 skip=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; }
skp()  { skip=$((skip + 1)); echo "skip $1"; }
run()  {
	name=$1; shift
	"$@" >"$TMP/out" 2>&1; rc=$?
	case $rc in 0) ok "$name" ;; 77) skp "$name" ;; *) bad "$name (exit $rc)"; sed 's/^/    /' "$TMP/out" | tail -40 ;; esac
}
summary() {
	echo "$1: $pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]
}

start_sim() {
	: >"$TMP/sim.out"
	"$KSEF_SIM" --addr 127.0.0.1:0 --seed-token --log-level warn >"$TMP/sim.out" 2>"$TMP/sim.err" &
	SIM_PID=$!
	i=0
	while [ "$(wc -l <"$TMP/sim.out")" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	URL=$(sed -n '1s/.* \(http[^ ]*\)$/\1/p' "$TMP/sim.out")
	NIP=$(sed -n '2s/.*"nip":"\([^"]*\)".*/\1/p' "$TMP/sim.out")
	TOKEN=$(sed -n '2s/.*"token":"\([^"]*\)".*/\1/p' "$TMP/sim.out")
}

stop_sim() {
	[ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null
	SIM_PID=
}
