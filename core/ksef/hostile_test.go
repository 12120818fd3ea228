package ksef_test

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
)

// hostileSuite is the hostile-server suite every binding runs
// (testdata/hostile.json): the simulator's hostile faults (sim/hostile.go)
// and the typed error each must become.
type hostileSuite struct {
	Route            string        `json:"route"`
	TotalTimeoutMs   int64         `json:"totalTimeoutMs"`
	RequestTimeoutMs int64         `json:"requestTimeoutMs"`
	SlackMs          int64         `json:"slackMs"`
	Cases            []hostileCase `json:"cases"`
}

type hostileCase struct {
	Kind    string    `json:"kind"`
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
}

func readHostileSuite(t *testing.T) hostileSuite {
	t.Helper()
	b, err := os.ReadFile("testdata/hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	var s hostileSuite
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHostileServer: every hostile answer becomes its typed error within
// the client's total deadline and the body cap, on the native driver over
// real sockets. Allocation is measured process-wide (the simulator in this
// process streams its huge bodies from one small buffer).
func TestHostileServer(t *testing.T) {
	suite := readHostileSuite(t)
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	total := ms(suite.TotalTimeoutMs)
	for _, k := range sim.HostileFaultKinds() {
		if !slices.ContainsFunc(suite.Cases, func(c hostileCase) bool { return strings.HasPrefix(c.Kind, string(k)) }) {
			t.Errorf("testdata/hostile.json has no case for the simulator's hostile fault %q", k)
		}
	}
	for _, tc := range suite.Cases {
		t.Run(tc.Kind, func(t *testing.T) {
			s := newSim(t, sim.Options{})
			if err := s.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			nip := ids.RandomNIP()
			tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
			if err != nil {
				t.Fatal(err)
			}
			f, err := sim.ParseFault(suite.Route + "#every=" + tc.Kind)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.AddFault(f); err != nil {
				t.Fatal(err)
			}
			c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: s.URL(),
				Retry: transport.RetryPolicy{BaseDelay: 10 * time.Millisecond, AttemptTimeout: ms(suite.RequestTimeoutMs), TotalTimeout: total}})
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err = c.AuthenticateWithToken(context.Background(), ksef.TokenAuth{
				Token: secret.NewString(tok.Token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if errs.CodeOf(err) != tc.Code {
				t.Fatalf("got %v (%v), want code %s", errs.CodeOf(err), err, tc.Code)
			}
			if !strings.Contains(err.Error(), tc.Message) {
				t.Errorf("message %q does not contain %q", err, tc.Message)
			}
			if took > total+ms(suite.SlackMs) {
				t.Errorf("took %s, past the %s deadline", took, total)
			}
			// Reading up to the 64 MiB cap once allocates at most about
			// twice that (a growing buffer); a body read whole, or the cap
			// read again on a retry, allocates far more.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			t.Logf("%s: %v after %s, %d MiB allocated", tc.Kind, errs.CodeOf(err), took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}
