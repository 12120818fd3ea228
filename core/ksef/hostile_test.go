package ksef_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
)

// hostileCases are the simulator's hostile-server faults (sim/hostile.go)
// and the typed error each must become. The C, Python and Node suites run
// the same list.
var hostileCases = []struct {
	kind string
	want errs.Code
}{
	{"invalid-json", errs.Protocol},
	{"wrong-content-type", errs.Protocol},
	{"html-200", errs.Protocol},
	{"truncated", errs.Transport},
	{"reset", errs.Transport},
	{"huge:mb=200", errs.Protocol},
	{"huge:mb=200,declared=1", errs.Protocol},
	{"trickle:bytes=1,ms=100", errs.Timeout},
}

// TestHostileServer: every hostile answer becomes its typed error within
// the client's total deadline and the body cap, on the native driver over
// real sockets. Allocation is measured process-wide (the simulator in this
// process streams its huge bodies from one small buffer).
func TestHostileServer(t *testing.T) {
	const total = 4 * time.Second
	for _, tc := range hostileCases {
		t.Run(tc.kind, func(t *testing.T) {
			s := newSim(t, sim.Options{})
			if err := s.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			nip := ids.RandomNIP()
			tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
			if err != nil {
				t.Fatal(err)
			}
			f, err := sim.ParseFault("POST /auth/challenge#every=" + tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.AddFault(f); err != nil {
				t.Fatal(err)
			}
			c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: s.URL(),
				Retry: transport.RetryPolicy{BaseDelay: 10 * time.Millisecond, AttemptTimeout: total / 2, TotalTimeout: total}})
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err = c.AuthenticateWithToken(context.Background(), ksef.TokenAuth{
				Token: tok.Token, Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if errs.CodeOf(err) != tc.want {
				t.Fatalf("got %v (%v), want code %s", errs.CodeOf(err), err, tc.want)
			}
			if strings.HasPrefix(tc.kind, "huge") && !strings.Contains(err.Error(), "answer exceeds 67108864 bytes") {
				t.Errorf("message %q does not name the cap", err)
			}
			if took > total+time.Second {
				t.Errorf("took %s, past the %s deadline", took, total)
			}
			// Reading up to the 64 MiB cap once allocates at most about
			// twice that (a growing buffer); a body read whole, or the cap
			// read again on a retry, allocates far more.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			t.Logf("%s: %v after %s, %d MiB allocated", tc.kind, errs.CodeOf(err), took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}
