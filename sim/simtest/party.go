package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/sim"
)

// Party is a client authenticated as the owner of a fresh NIP context
// (a KSeF token with InvoiceRead and InvoiceWrite), polling fast and
// without the client-side rate limiter — KSeF's 20 queries an hour would
// stretch a test to hours; the rate-limit tests turn it on — configure may
// change the client's configuration before it is made.
func Party(t testing.TB, s *sim.Server, configure ...func(*ksef.Config)) (*ksef.Client, string) {
	t.Helper()
	nip := ids.RandomNIP()
	ctx := ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}
	tok, err := s.IssueToken(sim.TokenRequest{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	fast := poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: time.Minute}
	cfg := ksef.Config{
		Environment: "test", BaseURL: s.URL(),
		Poll:        auth.PollPolicy{Initial: fast.Initial, Max: fast.Max},
		SessionPoll: fast, ReceivePoll: fast,
		Retry:         transport.RetryPolicy{BaseDelay: 10 * time.Millisecond},
		NoRateLimiter: true,
	}
	for _, f := range configure {
		f(&cfg)
	}
	c, err := ksef.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthenticateWithToken(context.Background(), ksef.TokenAuth{Token: secret.NewString(tok.Token), Context: ctx}); err != nil {
		t.Fatal(err)
	}
	return c, nip
}
