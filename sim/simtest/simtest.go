// Package simtest starts the simulator for a Go test: on loopback, closed
// when the test ends, and failing the test if any request or response broke
// the OpenAPI document.
//
//	srv := simtest.Start(t, sim.Options{AuthDelay: sim.NoAuthDelay})
//	c, _ := ksef.New(ksef.Config{Environment: "test", BaseURL: srv.URL()})
package simtest

import (
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/sim"
)

// Start runs a simulator with opts on 127.0.0.1 for the rest of the test.
func Start(t testing.TB, opts sim.Options) *sim.Server {
	t.Helper()
	s, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if v := s.SpecViolations(); len(v) > 0 {
			t.Errorf("the simulator saw OpenAPI violations:\n%s", strings.Join(v, "\n"))
		}
	})
	return s
}
