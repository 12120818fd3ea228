package tokens_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/tokens"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

var fast = poll.Policy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Timeout: 5 * time.Second}

type world struct {
	sim *sim.Server
	nip string
	ctx ids.ContextIdentifier
}

func start(t *testing.T, opts sim.Options) *world {
	t.Helper()
	opts.AuthDelay = sim.NoAuthDelay
	nip := ids.RandomNIP()
	return &world{sim: simtest.Start(t, opts), nip: nip, ctx: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}}
}

// client authenticates with a simulator-issued token holding perms.
func (w *world) client(t *testing.T, p poll.Policy, perms ...string) *ksef.Client {
	t.Helper()
	tok, err := w.sim.IssueToken(sim.TokenRequest{Context: w.ctx, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	return w.login(t, p, tok.Token)
}

func (w *world) login(t *testing.T, p poll.Policy, token string) *ksef.Client {
	t.Helper()
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: w.sim.URL(), Poll: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthenticateWithToken(context.Background(), ksef.TokenAuth{Token: secret.NewString(token), Context: w.ctx}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateWaitUseListRevoke(t *testing.T) {
	ctx := context.Background()
	w := start(t, sim.Options{TokenActivationDelay: 50 * time.Millisecond})
	admin := w.client(t, fast, "InvoiceRead", "InvoiceWrite", "CredentialsManage")
	svc := admin.KSeFTokens()

	g, err := svc.Generate(ctx, tokens.GenerateRequest{Permissions: []string{"invoiceread", "InvoiceRead"}, Description: "ERP connector"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Token.Reveal(), g.ReferenceNumber+"|") || strings.Contains(fmt.Sprintf("%v %+v %#v", g, g, g), g.Token.Reveal()) {
		t.Fatalf("generated %q / printed form leaks the secret", g.ReferenceNumber)
	}
	if st, err := svc.Get(ctx, g.ReferenceNumber); err != nil || st.Status != api.TokenPending || len(st.RequestedPermissions) != 1 {
		t.Fatalf("right after generating: %+v, %v", st, err)
	}
	st, err := svc.WaitActive(ctx, g.ReferenceNumber)
	if err != nil || st.Status != api.TokenActive {
		t.Fatalf("wait: %+v, %v", st, err)
	}

	// The generated token authenticates another client.
	erp := w.login(t, fast, g.Token.Reveal())
	if st, _ := svc.Get(ctx, g.ReferenceNumber); st.LastUseDate == nil {
		t.Fatal("lastUseDate not set after the token was used")
	}

	// Lazy listing over pages (13 tokens: the admin's, the ERP's, 11 more).
	for i := range 11 {
		if _, err := svc.Generate(ctx, tokens.GenerateRequest{Permissions: []string{"InvoiceRead"}, Description: fmt.Sprintf("bulk %02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := svc.List(ctx, tokens.Query{PageSize: 10}, "")
	if err != nil || len(first.Tokens) != 10 || first.Cursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	second, err := svc.List(ctx, tokens.Query{PageSize: 10}, first.Cursor)
	if err != nil || len(second.Tokens) != 3 || second.Cursor != "" {
		t.Fatalf("second page: %+v, %v", second, err)
	}
	n, seen := 0, map[string]bool{}
	for tok, err := range svc.All(ctx, tokens.Query{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[tok.ReferenceNumber] = true
		n++
	}
	if n != 13 || len(seen) != 13 {
		t.Fatalf("All yielded %d tokens, %d distinct", n, len(seen))
	}
	// Stopping early stops fetching; a filter narrows.
	for range svc.All(ctx, tokens.Query{}) {
		break
	}
	got := 0
	for tok, err := range svc.All(ctx, tokens.Query{Description: "erp con", Statuses: []string{"active"}}) {
		if err != nil || tok.ReferenceNumber != g.ReferenceNumber {
			t.Fatalf("filtered: %+v, %v", tok, err)
		}
		got++
	}
	if got != 1 {
		t.Fatalf("filtered listing gave %d tokens", got)
	}

	// Revocation: the ERP's session can no longer refresh (21301), and the
	// token no longer authenticates (450).
	if err := svc.Revoke(ctx, g.ReferenceNumber); err != nil {
		t.Fatal(err)
	}
	_, err = erp.API().Refresh(ctx, erp.Tokens().Refresh.Token.Reveal())
	if e := errs.As(err); !e.HasException(21301) {
		t.Fatalf("refresh after revocation: %v", err)
	}
	_, err = erp.Refresh(ctx) // falls back to the token itself, which is revoked
	if e := errs.As(err); e.Code != errs.AuthFailed || e.Status != 450 {
		t.Fatalf("re-authentication after revocation: %v", err)
	}
	if st, _ := svc.Get(ctx, g.ReferenceNumber); st.Status != api.TokenRevoked {
		t.Fatalf("status after revocation: %s", st.Status)
	}
}

// The secret is in the caller's hands before the wait starts, and a wait
// that times out says which token to wait for again.
func TestTimedOutWaitKeepsTheSecret(t *testing.T) {
	ctx := context.Background()
	w := start(t, sim.Options{TokenActivationDelay: time.Hour})
	svc := w.client(t, poll.Policy{Initial: 20 * time.Millisecond, Max: 20 * time.Millisecond, Timeout: 150 * time.Millisecond},
		"InvoiceRead", "CredentialsManage").KSeFTokens()
	g, err := svc.Generate(ctx, tokens.GenerateRequest{Permissions: []string{"InvoiceRead"}, Description: "slow to activate"})
	if err != nil || g.Token.IsZero() {
		t.Fatalf("generate: %v", err)
	}
	st, err := svc.WaitActive(ctx, g.ReferenceNumber)
	e := errs.As(err)
	if e == nil || e.Code != errs.Timeout || e.ReferenceNumber != g.ReferenceNumber || st == nil || st.Status != api.TokenPending {
		t.Fatalf("wait: %+v, %v", st, err)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	w := start(t, sim.Options{})
	svc := w.client(t, fast, "InvoiceRead").KSeFTokens()
	for _, c := range []struct {
		name  string
		err   error
		field string
	}{
		{"no permissions", second(svc.Generate(ctx, tokens.GenerateRequest{Description: "valid text"})), "permissions"},
		{"unknown permission", second(svc.Generate(ctx, tokens.GenerateRequest{Permissions: []string{"Everything"}, Description: "valid text"})), "permissions"},
		{"short description", second(svc.Generate(ctx, tokens.GenerateRequest{Permissions: []string{"InvoiceRead"}, Description: "abcd"})), "description"},
		{"page size", second(svc.List(ctx, tokens.Query{PageSize: 5}, "")), "pageSize"},
		{"status", second(svc.List(ctx, tokens.Query{Statuses: []string{"Sleeping"}}, "")), "statuses"},
		{"author type", second(svc.List(ctx, tokens.Query{AuthorIdentifierType: "Email"}, "")), "authorIdentifierType"},
		{"short filter", second(svc.List(ctx, tokens.Query{Description: "ab"}, "")), "description"},
		{"cursor", second(svc.List(ctx, tokens.Query{}, "not-ours")), "cursor"},
		{"reference", second(svc.Get(ctx, "")), "referenceNumber"},
		{"revoke reference", svc.Revoke(ctx, ""), "referenceNumber"},
	} {
		if e := errs.As(c.err); e == nil || e.Code != errs.InputInvalid || e.Field != c.field {
			t.Errorf("%s: %v", c.name, c.err)
		}
	}
	// KSeF's own refusal: a session may not grant what it does not hold.
	_, err := svc.Generate(ctx, tokens.GenerateRequest{Permissions: []string{"InvoiceWrite"}, Description: "more than I have"})
	if e := errs.As(err); e.Code != errs.API || !e.HasException(26001) {
		t.Fatalf("26001: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
