// Package tokens manages KSeF tokens — the long-lived credentials an
// authenticated subject generates for one context (protocol.md §10):
// generate, wait until active, get, list (one page with an opaque cursor, or
// lazily through every page), revoke.
//
// Generating is deliberately two steps. KSeF shows the secret exactly once,
// in the answer to POST /tokens, and the token is usable only after its
// status turns Active. Generate returns the secret as soon as KSeF answered
// and does nothing else that could fail; WaitActive is a separate call. A
// caller therefore always holds the secret before any wait can time out,
// and a timed-out wait is resumed with the reference number alone.
package tokens

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Permissions a token can carry (TokenPermissionType).
var Permissions = []string{
	"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage",
	"SubunitManage", "EnforcementOperations", "Introspection",
}

// Statuses of a token (AuthenticationTokenStatus).
var Statuses = []string{api.TokenPending, api.TokenActive, api.TokenRevoking, api.TokenRevoked, api.TokenFailed}

// AuthorTypes are the identifier types of a token's author.
var AuthorTypes = []string{"Nip", "Pesel", "Fingerprint"}

// DefaultPoll is the activation wait: 500 ms growing to 5 s, 2 minutes.
var DefaultPoll = poll.Policy{Initial: 500 * time.Millisecond, Max: 5 * time.Second, Timeout: 2 * time.Minute}

// MaxPages bounds All against a server that never stops paging.
const MaxPages = 1000

// Service talks to /tokens on behalf of an authenticated client.
type Service struct {
	API *api.Client
	// Access returns a valid access token (refreshing it when needed).
	Access func(context.Context) (string, error)
	// Clock waits between status checks; the context's clock (step
	// driver) wins.
	Clock transport.Clock
	// Poll shapes WaitActive; zero fields take DefaultPoll's.
	Poll poll.Policy
}

// GenerateRequest describes a token to generate.
type GenerateRequest struct {
	Permissions []string
	Description string
}

// Generated is a token KSeF has just created. Token is the secret, shown
// by KSeF only this once.
type Generated struct {
	ReferenceNumber string
	Token           secret.String
}

// Generate asks KSeF for a new token (POST /tokens) and returns its secret.
// The token starts Pending; WaitActive waits until it may authenticate.
func (s *Service) Generate(ctx context.Context, req GenerateRequest) (*Generated, error) {
	perms, err := checkPermissions(req.Permissions)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(req.Description); n < 5 || n > 256 {
		return nil, errs.Invalid("description", "description must have 5 to 256 characters, has %d", n)
	}
	tok, err := s.Access(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.API.GenerateToken(ctx, tok, &api.GenerateTokenRequest{Permissions: perms, Description: req.Description})
	if err != nil {
		return nil, err
	}
	return &Generated{ReferenceNumber: out.ReferenceNumber, Token: out.Token}, nil
}

func checkPermissions(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, errs.Invalid("permissions", "at least one permission is required (%s)", strings.Join(Permissions, ", "))
	}
	var out []string
	for _, p := range in {
		canon, ok := lookupFold(Permissions, p)
		if !ok {
			return nil, errs.Invalid("permissions", "unknown permission (%s); expected %s", errs.Shape(p), strings.Join(Permissions, ", "))
		}
		if !slices.Contains(out, canon) {
			out = append(out, canon)
		}
	}
	return out, nil
}

// lookupFold finds s in names ignoring case, returning the canonical spelling.
func lookupFold(names []string, s string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}

// Get returns a token's description and status (GET /tokens/{ref}).
func (s *Service) Get(ctx context.Context, referenceNumber string) (*api.KSeFToken, error) {
	if referenceNumber == "" {
		return nil, errs.Invalid("referenceNumber", "referenceNumber is required")
	}
	tok, err := s.Access(ctx)
	if err != nil {
		return nil, err
	}
	return s.API.KSeFToken(ctx, tok, referenceNumber)
}

// WaitActive polls the token until it leaves Pending. Active is success;
// Failed, Revoking and Revoked are errors (ksef.api with the status in the
// message). A deadline passed while still Pending is a resumable timeout
// carrying the reference number.
func (s *Service) WaitActive(ctx context.Context, referenceNumber string) (*api.KSeFToken, error) {
	clock := transport.ClockFrom(ctx, s.Clock)
	pending := poll.Pending{What: "KSeF token " + referenceNumber + " activation", ReferenceNumber: referenceNumber}
	t, err := poll.Until(ctx, clock, s.Poll.WithDefaults(DefaultPoll), pending,
		func(ctx context.Context) (*api.KSeFToken, bool, error) {
			t, err := s.Get(ctx, referenceNumber)
			if err != nil {
				return nil, false, err
			}
			return t, t.Status != api.TokenPending, nil
		}, nil)
	if err != nil {
		return t, err
	}
	if t.Status != api.TokenActive {
		e := errs.New(errs.API, "KSeF token %s did not become active: status %s", referenceNumber, t.Status)
		if len(t.StatusDetails) > 0 {
			e.Message += " (" + strings.Join(t.StatusDetails, "; ") + ")"
		}
		e.ReferenceNumber = referenceNumber
		return t, e
	}
	return t, nil
}

// Revoke revokes a token (DELETE /tokens/{ref}): it no longer
// authenticates, and sessions opened with it can no longer refresh.
func (s *Service) Revoke(ctx context.Context, referenceNumber string) error {
	if referenceNumber == "" {
		return errs.Invalid("referenceNumber", "referenceNumber is required")
	}
	tok, err := s.Access(ctx)
	if err != nil {
		return err
	}
	return s.API.RevokeKSeFToken(ctx, tok, referenceNumber)
}

// Query filters a listing; zero fields do not filter.
type Query struct {
	// Statuses: any of Pending, Active, Revoking, Revoked, Failed.
	Statuses []string
	// Description and AuthorIdentifier match parts of the values (≥ 3 characters).
	Description      string
	AuthorIdentifier string
	// AuthorIdentifierType is Nip, Pesel or Fingerprint.
	AuthorIdentifierType string
	// PageSize is 10–100; 0 means KSeF's default (10).
	PageSize int
}

func (q Query) wire() (api.KSeFTokensQuery, error) {
	w := api.KSeFTokensQuery{Description: q.Description, AuthorIdentifier: q.AuthorIdentifier, PageSize: q.PageSize}
	for _, st := range q.Statuses {
		canon, ok := lookupFold(Statuses, st)
		if !ok {
			return w, errs.Invalid("statuses", "unknown status (%s); expected %s", errs.Shape(st), strings.Join(Statuses, ", "))
		}
		w.Statuses = append(w.Statuses, canon)
	}
	if q.AuthorIdentifierType != "" {
		canon, ok := lookupFold(AuthorTypes, q.AuthorIdentifierType)
		if !ok {
			return w, errs.Invalid("authorIdentifierType", "authorIdentifierType must be Nip, Pesel or Fingerprint (got %s)", errs.Shape(q.AuthorIdentifierType))
		}
		w.AuthorIdentifierType = canon
	}
	for field, v := range map[string]string{"description": q.Description, "authorIdentifier": q.AuthorIdentifier} {
		if v != "" && utf8.RuneCountInString(v) < 3 {
			return w, errs.Invalid(field, "%s must have at least 3 characters to filter by", field)
		}
	}
	if q.PageSize != 0 && (q.PageSize < 10 || q.PageSize > 100) {
		return w, errs.Invalid("pageSize", "pageSize must be between 10 and 100, got %d", q.PageSize)
	}
	return w, nil
}

// Page is one page of a listing. Cursor, empty on the last page, resumes
// the listing — in another process too — when passed back with the same
// Query.
type Page struct {
	Tokens []api.KSeFToken `json:"tokens"`
	Cursor string          `json:"cursor,omitempty"`
}

// cursor is what a Page's Cursor encodes. It is opaque to callers so that
// the paging KSeF uses (a continuation token here) can change behind it.
type cursor struct {
	V            int    `json:"v"`
	Continuation string `json:"c"`
}

func encodeCursor(continuation string) string {
	if continuation == "" {
		return ""
	}
	b, _ := json.Marshal(cursor{V: 1, Continuation: continuation})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (string, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.V != 1 || c.Continuation == "" {
		return "", errs.Invalid("cursor", "cursor is not one this library returned")
	}
	return c.Continuation, nil
}

// List returns one page (GET /tokens): the first with an empty cursor,
// the next with the cursor of the previous page.
func (s *Service) List(ctx context.Context, q Query, pageCursor string) (*Page, error) {
	w, err := q.wire()
	if err != nil {
		return nil, err
	}
	cont := ""
	if pageCursor != "" {
		if cont, err = decodeCursor(pageCursor); err != nil {
			return nil, err
		}
	}
	tok, err := s.Access(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.API.KSeFTokens(ctx, tok, w, cont)
	if err != nil {
		return nil, err
	}
	if p.ContinuationToken != "" && p.ContinuationToken == cont {
		return nil, errs.New(errs.Protocol, "GET /tokens returned the continuation token it was given: paging would never end")
	}
	return &Page{Tokens: p.Tokens, Cursor: encodeCursor(p.ContinuationToken)}, nil
}

// All yields every token matching q, fetching pages lazily as the loop
// advances; a failed page ends the sequence with its error. At most
// MaxPages pages are read.
func (s *Service) All(ctx context.Context, q Query) iter.Seq2[api.KSeFToken, error] {
	return func(yield func(api.KSeFToken, error) bool) {
		cur := ""
		for range MaxPages {
			p, err := s.List(ctx, q, cur)
			if err != nil {
				yield(api.KSeFToken{}, err)
				return
			}
			for _, t := range p.Tokens {
				if !yield(t, nil) {
					return
				}
			}
			if p.Cursor == "" {
				return
			}
			cur = p.Cursor
		}
		yield(api.KSeFToken{}, errs.New(errs.Protocol, "GET /tokens did not finish within %d pages", MaxPages))
	}
}
