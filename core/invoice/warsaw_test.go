package invoice

import (
	"testing"
	"time"
	_ "time/tzdata" // the oracle: Go's copy of the IANA database, in the test binary only
)

// TestWarsawRuleMatchesTZData compares the fixed CET/CEST rule with the
// IANA zone every 20 minutes across the transitions of 2000–2040.
func TestWarsawRuleMatchesTZData(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		t.Fatal(err)
	}
	for y := 2000; y <= 2040; y++ {
		for _, m := range []time.Month{time.March, time.October} {
			from := time.Date(y, m, 20, 0, 0, 0, 0, time.UTC)
			for tm := from; tm.Before(from.AddDate(0, 0, 13)); tm = tm.Add(20 * time.Minute) {
				wy, wm, wd := tm.In(loc).Date()
				gy, gm, gd := warsawDate(tm)
				if wy != gy || wm != gm || wd != gd {
					t.Fatalf("%s: rule says %d-%02d-%02d, tzdata %d-%02d-%02d", tm, gy, gm, gd, wy, wm, wd)
				}
				_, off := tm.In(loc).Zone()
				if time.Duration(off)*time.Second != warsawOffset(tm) {
					t.Fatalf("%s: offset %s, tzdata %ds", tm, warsawOffset(tm), off)
				}
			}
		}
	}
}
