package invoice

import "time"

// warsawDate is the calendar date in Poland at instant t.
//
// Poland keeps Central European Time (UTC+1) and, under the EU summer-time
// rule (Directive 2000/84/EC), Central European Summer Time (UTC+2) from the
// last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
// The rule is written out rather than read with time.LoadLocation because
// that needs a zoneinfo database: on GOOS=wasip1 the host exposes no
// /usr/share/zoneinfo and LoadLocation fails (checked under Node's WASI),
// and embedding time/tzdata would add ~450 KB to a module whose size is
// budgeted — all to answer one question about one zone. The rule holds for
// every date since 1996; KSeF exists only since 2022.
func warsawDate(t time.Time) (year int, month time.Month, day int) {
	u := t.UTC()
	return u.Add(warsawOffset(u)).Date()
}

// warsawOffset is Poland's UTC offset at instant t.
func warsawOffset(t time.Time) time.Duration {
	u := t.UTC()
	y := u.Year()
	start := lastSunday(y, time.March).Add(time.Hour)
	end := lastSunday(y, time.October).Add(time.Hour)
	if !u.Before(start) && u.Before(end) {
		return 2 * time.Hour
	}
	return time.Hour
}

// lastSunday is 00:00 UTC of the last Sunday of month m in year y.
func lastSunday(y int, m time.Month) time.Time {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC) // day 0 of the next month
	return last.AddDate(0, 0, -int(last.Weekday()))
}

// DateInPoland is the calendar date in Poland at t, "YYYY-MM-DD": the date
// KSeF compares P_1 with, and so the P_1 of an invoice issued at t.
func DateInPoland(t time.Time) string {
	y, m, d := warsawDate(t)
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// WarsawOffset is Poland's UTC offset at instant t (one hour, two in
// summer time): for reading and writing Polish wall-clock times without a
// zoneinfo database (the metadata query reads a date-time without an
// offset as Warsaw time).
func WarsawOffset(t time.Time) time.Duration { return warsawOffset(t) }

// InPoland is t shown on Poland's wall clock (a fixed zone of the offset in
// force at t), for calendar arithmetic in Polish time.
func InPoland(t time.Time) time.Time {
	off := warsawOffset(t)
	return t.In(time.FixedZone(warsawZoneName(off), int(off/time.Second)))
}

func warsawZoneName(off time.Duration) string {
	if off == 2*time.Hour {
		return "CEST"
	}
	return "CET"
}

// FromPolishWallClock is the instant at which Poland's clocks show the
// wall-clock reading of w (its zone is ignored). In the autumn hour that
// happens twice the first is taken; a reading the spring change skips is
// read in winter time.
func FromPolishWallClock(w time.Time) time.Time {
	wall := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	if summer := wall.Add(-2 * time.Hour); warsawOffset(summer) == 2*time.Hour {
		return summer
	}
	return wall.Add(-time.Hour)
}
