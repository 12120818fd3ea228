package sim

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// KSeF tokens: long-lived API credentials. Real KSeF issues them through
// POST /tokens to an authenticated session (Pending, then Active after
// Options.TokenActivationDelay); the simulator also issues
// active ones directly (IssueToken, POST /v2/_sim/tokens) so tests can start
// with a token.

// TokenRequest describes a KSeF token to issue. It is also the JSON body of
// POST /v2/_sim/tokens.
type TokenRequest struct {
	// Context the token acts in (required).
	Context ids.ContextIdentifier `json:"contextIdentifier"`
	// Author is the subject the token acts as. Default: the owner NIP of the
	// context (the NIP itself, or the NIP part of an InternalId/NipVatUe);
	// required for PeppolId contexts.
	Author Identity `json:"authorIdentifier"`
	// Permissions of the token (TokenPermissionType values). Default:
	// InvoiceRead and InvoiceWrite.
	Permissions []string `json:"permissions,omitempty"`
	// Description (default "ksef-sim token").
	Description string `json:"description,omitempty"`
}

// IssuedToken is a new KSeF token. Token is the secret, shown once.
type IssuedToken struct {
	ReferenceNumber string `json:"referenceNumber"`
	Token           string `json:"token"`
}

// ErrUnknownToken is returned by RevokeToken for a reference number the
// simulator never issued.
var ErrUnknownToken = errors.New("sim: unknown KSeF token reference number")

type ksefToken struct {
	ref         string
	hash        [32]byte // SHA-256 of the whole token string; the secret itself is not kept
	context     ids.ContextIdentifier
	author      Identity
	permissions []string
	description string
	created     time.Time
	activeAt    time.Time // Pending before, Active from then on
	lastUsed    time.Time // last successful authentication with it
	revoked     bool
}

// status is the AuthenticationTokenStatus of the token at now.
func (t *ksefToken) status(now time.Time) string {
	switch {
	case t.revoked:
		return "Revoked"
	case now.Before(t.activeAt):
		return "Pending"
	}
	return "Active"
}

// tokenContextPrefix is the middle part of a token string: "nip-5265877635",
// "internalId-5265877635-12345", …
var tokenContextPrefix = map[ids.ContextType]string{
	ids.ContextNip:        "nip",
	ids.ContextInternalID: "internalId",
	ids.ContextNipVatUe:   "nipVatUe",
	ids.ContextPeppolID:   "peppolId",
}

// IssueToken creates an active KSeF token (see mintToken for its shape).
func (s *Server) IssueToken(req TokenRequest) (IssuedToken, error) {
	if err := req.Context.Validate(); err != nil {
		return IssuedToken{}, fmt.Errorf("sim: contextIdentifier: %w", err)
	}
	if req.Author == (Identity{}) {
		nip := ownerNIP(req.Context)
		if nip == "" {
			return IssuedToken{}, errors.New("sim: authorIdentifier is required for a PeppolId context")
		}
		req.Author = Identity{IdentityNip, nip}
	}
	if err := req.Author.Validate(); err != nil {
		return IssuedToken{}, fmt.Errorf("sim: authorIdentifier: %w", err)
	}
	perms := []string{"InvoiceRead", "InvoiceWrite"}
	if len(req.Permissions) > 0 {
		perms = nil
		for _, p := range req.Permissions {
			if !isPermission(p) {
				return IssuedToken{}, fmt.Errorf("sim: unknown permission %q (expected one of %s)", p, strings.Join(allPermissions, ", "))
			}
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
	}
	if req.Description == "" {
		req.Description = "ksef-sim token"
	}
	if n := len([]rune(req.Description)); n < 5 || n > 256 {
		return IssuedToken{}, fmt.Errorf("sim: description must have 5 to 256 characters, has %d", n)
	}
	now := s.now()
	s.mu.Lock()
	tok := s.mintToken(req.Context, req.Author, perms, req.Description, now)
	s.mu.Unlock()
	return tok, nil
}

// mintToken creates a token with the real token shape
// "<EC reference>|<type>-<context value>|<64 hex digits>", active from
// activeAt. Caller holds s.mu.
func (s *Server) mintToken(ctx ids.ContextIdentifier, author Identity, perms []string, description string, activeAt time.Time) IssuedToken {
	now := s.now()
	ref := newRef(now, infixKSeFToken)
	secret := hex.EncodeToString(randBytes(32))
	token := ref + "|" + tokenContextPrefix[ctx.Type] + "-" + ctx.Value + "|" + secret
	t := &ksefToken{
		ref: ref, hash: sha256.Sum256([]byte(token)), context: ctx, author: author.normalize(),
		permissions: perms, description: description, created: now, activeAt: activeAt,
	}
	s.tokens[ref] = t
	s.log.Info("KSeF token issued", "ref", ref, "context", ctx.String(), "author", t.author.String(), "permissions", perms)
	return IssuedToken{ReferenceNumber: ref, Token: token}
}

// RevokeToken revokes a KSeF token: authentications with it end with 450,
// and sessions it opened can no longer redeem or refresh (21301).
func (s *Server) RevokeToken(referenceNumber string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[referenceNumber]
	if t == nil {
		return ErrUnknownToken
	}
	t.revoked = true
	s.log.Info("KSeF token revoked", "ref", referenceNumber)
	return nil
}

// lookupToken finds the token a client presented. The reference number is
// the part before the first "|"; the whole string must match. Caller holds s.mu.
func (s *Server) lookupToken(token string) *ksefToken {
	ref, _, ok := strings.Cut(token, "|")
	if !ok {
		return nil
	}
	t := s.tokens[ref]
	if t == nil {
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], t.hash[:]) != 1 {
		return nil
	}
	return t
}

// The KSeF operations on tokens: POST /tokens, GET /tokens,
// GET /tokens/{referenceNumber}, DELETE /tokens/{referenceNumber}.

// Exception codes of POST /tokens.
const (
	codeTokenPermissions = 26001 // permissions the caller does not hold
	codeTokenContextType = 26002 // context type other than Nip / InternalId
)

func init() {
	exceptionDescriptions[codeTokenPermissions] = "Nie można nadać tokenowi uprawnień których nie posiadasz."
	exceptionDescriptions[codeTokenContextType] = "Nie można wygenerować tokena dla obecnego typu kontekstu."
}

type generateTokenRequest struct {
	Permissions []string `json:"permissions"`
	Description string   `json:"description"`
}

type tokenStatusResponse struct {
	ReferenceNumber      string                `json:"referenceNumber"`
	AuthorIdentifier     Identity              `json:"authorIdentifier"`
	ContextIdentifier    ids.ContextIdentifier `json:"contextIdentifier"`
	Description          string                `json:"description"`
	RequestedPermissions []string              `json:"requestedPermissions"`
	DateCreated          string                `json:"dateCreated"`
	LastUseDate          *string               `json:"lastUseDate,omitempty"`
	Status               string                `json:"status"`
}

type queryTokensResponse struct {
	ContinuationToken *string               `json:"continuationToken,omitempty"`
	Tokens            []tokenStatusResponse `json:"tokens"`
}

// describeToken renders a token for GET /tokens and GET /tokens/{ref}.
// Caller holds s.mu.
func (s *Server) describeToken(t *ksefToken) tokenStatusResponse {
	out := tokenStatusResponse{
		ReferenceNumber: t.ref, AuthorIdentifier: t.author, ContextIdentifier: t.context,
		Description: t.description, RequestedPermissions: t.permissions,
		DateCreated: ksefTime(t.created), Status: t.status(s.now()),
	}
	if !t.lastUsed.IsZero() {
		v := ksefTime(t.lastUsed)
		out.LastUseDate = &v
	}
	return out
}

// sameSubject reports whether a and b are one subject: the same identifier,
// or a NIP and the PESEL linked to it (POST /testdata/person). Caller holds s.mu.
func (s *Server) sameSubject(a, b Identity) bool {
	a, b = a.normalize(), b.normalize()
	if a == b {
		return true
	}
	if a.Type == IdentityPesel {
		a, b = b, a
	}
	if a.Type != IdentityNip || b.Type != IdentityPesel {
		return false
	}
	p := s.persons[a.Value]
	return p != nil && p.pesel == b.Value
}

// tokenVisible applies KSeF's scope of GET /tokens: with CredentialsManage
// or CredentialsRead every token of the context; authenticated with a token,
// only that token; otherwise the tokens the subject authored. Caller holds s.mu.
func (s *Server) tokenVisible(op *authOp, t *ksefToken) bool {
	switch {
	case t.context != op.context:
		return false
	case slices.Contains(op.permissions, "CredentialsManage") || slices.Contains(op.permissions, "CredentialsRead"):
		return true
	case op.tokenRef != "":
		return t.ref == op.tokenRef
	}
	return s.sameSubject(t.author, op.subject)
}

// tokenRevocable applies the scope of DELETE /tokens/{ref}: CredentialsManage
// revokes any token of the context; otherwise as for tokenVisible without
// CredentialsRead. Caller holds s.mu.
func (s *Server) tokenRevocable(op *authOp, t *ksefToken) bool {
	switch {
	case t.context != op.context:
		return false
	case slices.Contains(op.permissions, "CredentialsManage"):
		return true
	case op.tokenRef != "":
		return t.ref == op.tokenRef
	}
	return s.sameSubject(t.author, op.subject)
}

// POST /tokens (Bearer access token): a new token authored by the caller in
// the caller's context, Pending for Options.TokenActivationDelay.
func (s *Server) handleGenerateToken(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return
	}
	var req generateTokenRequest
	if !s.decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	op := s.ops[c.Arn]
	if op.context.Type != ids.ContextNip && op.context.Type != ids.ContextInternalID {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeTokenContextType, "Bieżący typ kontekstu: "+string(op.context.Type)+"; dozwolone: Nip, InternalId."))
		return
	}
	var perms, missing []string
	for _, p := range req.Permissions {
		switch {
		case slices.Contains(perms, p):
		case !slices.Contains(op.permissions, p):
			missing = append(missing, p)
		default:
			perms = append(perms, p)
		}
	}
	if len(missing) > 0 {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeTokenPermissions, "Brakujące uprawnienia: "+strings.Join(missing, ", ")+"."))
		return
	}
	if len(perms) == 0 {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeValidation, "permissions: at least one permission is required"))
		return
	}
	tok := s.mintToken(op.context, op.subject, perms, req.Description, s.now().Add(s.opts.TokenActivationDelay))
	s.mu.Unlock()
	s.ok(w, http.StatusAccepted, tok)
}

// tokenFor finds the token {referenceNumber} names, if the caller may see
// it; otherwise it answers 400 as for an unknown token. It returns with
// s.mu held on success.
func (s *Server) tokenFor(w http.ResponseWriter, r *http.Request) (*authOp, *ksefToken, bool) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return nil, nil, false
	}
	ref := r.PathValue("referenceNumber")
	s.mu.Lock()
	op, t := s.ops[c.Arn], s.tokens[ref]
	if t == nil || !s.tokenVisible(op, t) {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeValidation, "Token KSeF o numerze referencyjnym "+ref+" nie istnieje."))
		return nil, nil, false
	}
	return op, t, true
}

// GET /tokens/{referenceNumber}
func (s *Server) handleTokenStatus(w http.ResponseWriter, r *http.Request) {
	_, t, ok := s.tokenFor(w, r)
	if !ok {
		return
	}
	out := s.describeToken(t)
	s.mu.Unlock()
	s.ok(w, http.StatusOK, out)
}

// DELETE /tokens/{referenceNumber}: the token stops authenticating (450) and
// the sessions it opened can no longer refresh (21301). Revoking a revoked
// token again is accepted.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	op, t, ok := s.tokenFor(w, r)
	if !ok {
		return
	}
	if !s.tokenRevocable(op, t) {
		s.mu.Unlock()
		s.forbidden(w, r, "insufficient-resource-access", "Brak uprawnień do unieważnienia tokena "+t.ref+".", nil)
		return
	}
	t.revoked = true
	s.mu.Unlock()
	s.log.Info("KSeF token revoked", "ref", t.ref)
	w.WriteHeader(http.StatusNoContent)
}

// tokenFilter is the query of GET /tokens (the OpenAPI validation has
// already checked enums, lengths and pageSize).
type tokenFilter struct {
	statuses                      []string
	description, author, authorTy string
}

func (f tokenFilter) match(t tokenStatusResponse) bool {
	return (len(f.statuses) == 0 || slices.Contains(f.statuses, t.Status)) &&
		containsFold(t.Description, f.description) &&
		containsFold(t.AuthorIdentifier.Value, f.author) &&
		(f.authorTy == "" || string(t.AuthorIdentifier.Type) == f.authorTy)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// GET /tokens: the visible tokens of the caller's context, newest first,
// pageSize 10–100 (default 10), continuation like GET /auth/sessions.
func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := tokenFilter{statuses: q["status"], description: q.Get("description"), author: q.Get("authorIdentifier"), authorTy: q.Get("authorIdentifierType")}
	pageSize := 10
	if v := q.Get("pageSize"); v != "" {
		fmt.Sscan(v, &pageSize) // range and format checked by the OpenAPI validation
	}
	var from *cursor
	if v := r.Header.Get("x-continuation-token"); v != "" {
		cur, ok := decodeCursor(v)
		if !ok {
			s.badRequest(w, r, exc(codeBadContinuation))
			return
		}
		from = &cur
	}
	s.mu.Lock()
	op := s.ops[c.Arn]
	var list []*ksefToken
	for _, t := range s.tokens {
		if s.tokenVisible(op, t) && f.match(s.describeToken(t)) && (from == nil || tokenAfter(t, *from)) {
			list = append(list, t)
		}
	}
	slices.SortFunc(list, func(a, b *ksefToken) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return cmp.Compare(a.ref, b.ref)
	})
	out := queryTokensResponse{Tokens: []tokenStatusResponse{}}
	if len(list) > pageSize {
		next := tokenCursor(list[pageSize-1])
		out.ContinuationToken = &next
		list = list[:pageSize]
	}
	for _, t := range list {
		out.Tokens = append(out.Tokens, s.describeToken(t))
	}
	s.mu.Unlock()
	s.ok(w, http.StatusOK, out)
}

// tokenCursor and tokenAfter page by position in the list order (dateCreated
// descending, then reference number), with the cursor of GET /auth/sessions.
func tokenCursor(t *ksefToken) string {
	b, _ := json.Marshal(cursor{t.created.UnixNano(), t.ref})
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenAfter(t *ksefToken, c cursor) bool {
	if t.created.UnixNano() != c.Start {
		return t.created.UnixNano() < c.Start
	}
	return t.ref > c.Ref
}
