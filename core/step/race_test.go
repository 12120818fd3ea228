//go:build race

package step_test

// raceEnabled: the race detector makes scanning tens of megabytes ~10×
// slower; tests that only check sizes skip those cases under it (make
// go-test runs them without).
const raceEnabled = true
