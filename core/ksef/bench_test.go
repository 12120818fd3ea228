package ksef_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
)

// timedSim measures how long the simulator's handler runs, so the benchmark
// can report the client's own cost separately from the server's.
type timedSim struct {
	inProcess
	serverNs atomic.Int64
}

func (d *timedSim) Do(ctx context.Context, r *transport.Request) (*transport.Response, error) {
	start := time.Now()
	resp, err := d.inProcess.Do(ctx, r)
	d.serverNs.Add(int64(time.Since(start)))
	return resp, err
}

// BenchmarkTokenAuth runs one full KSeF-token authentication (challenge,
// public keys cached after the first, RSA-OAEP, ksef-token, status, redeem)
// against the in-process simulator. client-ns/op is the time spent outside
// the simulator's handler: the client's share of the work.
func BenchmarkTokenAuth(b *testing.B) {
	s := newSim(b, sim.Options{AuthDelay: sim.NoAuthDelay})
	nip := ids.RandomNIP()
	tok, err := s.IssueToken(sim.TokenRequest{Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}})
	if err != nil {
		b.Fatal(err)
	}
	d := &timedSim{inProcess: inProcess{s.Handler()}}
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2", Doer: d})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	auth := ksef.TokenAuth{Token: secret.NewString(tok.Token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}}
	if _, err := c.AuthenticateWithToken(ctx, auth); err != nil { // warm the key cache
		b.Fatal(err)
	}
	d.serverNs.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := c.AuthenticateWithToken(ctx, auth); err != nil {
			b.Fatal(err)
		}
	}
	total := time.Since(start)
	b.ReportMetric(float64(total-time.Duration(d.serverNs.Load()))/float64(b.N), "client-ns/op")
}
