#!/bin/sh
# fuzz.sh PACKAGES… — run every Go fuzz target of the packages for
# $FUZZTIME each (go test -fuzz runs one target at a time). Targets are
# discovered with `go test -list '^Fuzz'`, so targets added anywhere are
# included without editing this file. Full logs go to $FUZZLOG_DIR; a
# failing input is saved by go test under the package's testdata/fuzz/<Target>/
# — commit it as a regression seed once the bug is fixed.
set -u
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
LOGS=${FUZZLOG_DIR:-build/fuzz}
mkdir -p "$LOGS"
failed=0 n=0
# Only packages whose tests declare a fuzz target need listing.
pkgs=$($GO list -f '{{.ImportPath}} {{.Dir}}' "$@" | while read -r p d; do
	grep -qs '^func Fuzz' "$d"/*_test.go && echo "$p"
done)
for p in $pkgs; do
	for t in $($GO test -list '^Fuzz' "$p" | grep '^Fuzz'); do
		n=$((n + 1))
		log="$LOGS/$(echo "$p" | tr / _).$t.log"
		if $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" "$p" >"$log" 2>&1; then
			res=ok
		else
			res=FAIL failed=$((failed + 1))
		fi
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
		printf '%-4s %-48s %-34s %12s execs\n' "$res" "$p" "$t" "${execs:-?}"
		[ "$res" = FAIL ] && grep -v '^fuzz: elapsed' "$log" | tail -20 | sed 's/^/     /'
	done
done
echo "fuzz: $n targets, $failed failed (FUZZTIME=$FUZZTIME; logs in $LOGS)"
[ "$failed" -eq 0 ]
