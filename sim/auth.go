package sim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
)

// The authentication flow shared by both methods: a challenge, an operation
// started by /auth/ksef-token or /auth/xades-signature, its status, then
// redeem (redeem.go) and the session list (sessions.go).

// authStatusRetention is how long GET /auth/{ref} answers before 410 Gone.
const authStatusRetention = 7 * 24 * time.Hour

type challenge struct {
	issued time.Time
	used   bool
}

type challengeResponse struct {
	Challenge   string `json:"challenge"`
	Timestamp   string `json:"timestamp"`
	TimestampMs int64  `json:"timestampMs"`
	ClientIP    string `json:"clientIp"`
}

// clientIP is the address KSeF would see: the TCP peer, without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// POST /auth/challenge
func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	ref := newRef(now, infixChallenge)
	s.mu.Lock()
	// Forget expired challenges now and then so a long-running simulator
	// does not grow without bound.
	if len(s.challenges) > 1024 {
		for k, c := range s.challenges {
			if now.Sub(c.issued) > s.opts.ChallengeTTL {
				delete(s.challenges, k)
			}
		}
	}
	s.challenges[ref] = &challenge{issued: now}
	s.mu.Unlock()
	s.ok(w, http.StatusOK, challengeResponse{
		Challenge: ref, Timestamp: ksefTime(now), TimestampMs: now.UnixMilli(), ClientIP: clientIP(r),
	})
}

// useChallenge checks a challenge and marks it used. Caller holds s.mu.
func (s *Server) useChallenge(ref string) (*challenge, []string) {
	c := s.challenges[ref]
	switch {
	case c == nil:
		return nil, []string{"Challenge " + ref + " nie istnieje (unknown challenge)."}
	case c.used:
		return nil, []string{"Challenge " + ref + " został już wykorzystany (challenge already used)."}
	case s.now().Sub(c.issued) > s.opts.ChallengeTTL:
		return nil, []string{"Challenge " + ref + " wygasł (challenge expired; valid " + s.opts.ChallengeTTL.String() + ")."}
	}
	c.used = true
	return c, nil
}

// authMethod is how the subject proved its identity, as reported in the
// status (the deprecated authenticationMethod and its replacement).
type authMethod struct {
	Legacy      string // AuthenticationMethod enum
	Category    string // Token | XadesSignature | NationalNode | Other
	Code        string
	DisplayName string
}

var methodKSeFToken = authMethod{Legacy: "Token", Category: "Token", Code: "token.ksef", DisplayName: "Token KSeF"}

// statusInfo is the StatusInfo of an authentication operation.
type statusInfo struct {
	Code        int      `json:"code"`
	Description string   `json:"description"`
	Details     []string `json:"details,omitempty"`
}

// Terminal statuses, with KSeF's descriptions and details (Polish) followed
// by an English explanation from the simulator.
func statusInProgress() statusInfo { return statusInfo{100, "Uwierzytelnianie w toku", nil} }
func statusSuccess() statusInfo    { return statusInfo{200, "Uwierzytelnianie zakończone sukcesem", nil} }
func statusNoPermissions(en string) statusInfo {
	return statusInfo{415, "Uwierzytelnianie zakończone niepowodzeniem", []string{"Brak przypisanych uprawnień", en}}
}
func statusRevoked() statusInfo {
	return statusInfo{425, "Uwierzytelnienie unieważnione", []string{"Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika"}}
}
func statusBadToken(pl, en string) statusInfo {
	return statusInfo{450, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu", []string{pl, en}}
}
func statusBadCertificate(pl, en string) statusInfo {
	return statusInfo{460, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu", []string{pl, en}}
}
func statusDeceased() statusInfo {
	return statusInfo{470, "Uwierzytelnianie zakończone niepowodzeniem", []string{"Próba wykorzystania metod autoryzacyjnych osoby zmarłej"}}
}
func statusBlocked() statusInfo {
	return statusInfo{480, "Uwierzytelnienie zablokowane", []string{"Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."}}
}
func statusCancelled() statusInfo {
	return statusInfo{550, "Operacja została anulowana przez system", []string{"Przetwarzanie zostało przerwane z przyczyn wewnętrznych systemu. Spróbuj ponownie"}}
}

// authOp is one authentication operation (an "AU" reference) and, once
// redeemed, the authentication session its tokens belong to.
type authOp struct {
	ref      string
	context  ids.ContextIdentifier
	subject  Identity // who authenticated; zero when a token could not be identified
	method   authMethod
	start    time.Time
	policy   *ippolicy.Policy
	tokenRef string      // the KSeF token used, "" for XAdES
	docHash  [32]byte    // XAdES: SHA-256 of the signed AuthTokenRequest as received (the UPO names it)
	failure  *statusInfo // found when the request was accepted (bad token, bad certificate)
	force550 bool        // a status-550 fault hit this operation
	polls    int         // status polls still to answer with 100
	final    *statusInfo // terminal status, once reached

	permissions  []string
	redeemed     bool
	revoked      bool
	refreshUntil time.Time
	lastRefresh  time.Time
}

// authStart is what an authentication method established when it accepted
// a request; startAuth turns it into an operation. A XAdES endpoint fills it
// from the verified certificate exactly like /auth/ksef-token does from the
// token.
type authStart struct {
	context  ids.ContextIdentifier
	subject  Identity
	policy   *ippolicy.Policy
	method   authMethod
	tokenRef string
	docHash  [32]byte    // XAdES: SHA-256 of the signed document
	failure  *statusInfo // a failure to report later as the terminal status
}

type tokenInfo struct {
	Token      string `json:"token"`
	ValidUntil string `json:"validUntil"`
}

type authInitResponse struct {
	ReferenceNumber     string    `json:"referenceNumber"`
	AuthenticationToken tokenInfo `json:"authenticationToken"`
}

// startAuth registers an authentication operation and issues its
// authentication token. Everything that can fail later — bad token,
// permissions, blocked context, deceased person, injected 550 — is decided
// when the status becomes terminal, as KSeF does asynchronously.
func (s *Server) startAuth(ctx context.Context, a authStart) authInitResponse {
	now := s.now()
	op := &authOp{
		ref: newRef(now, infixAuth), context: a.context, subject: a.subject.normalize(), method: a.method,
		start: now, policy: a.policy, tokenRef: a.tokenRef, docHash: a.docHash, failure: a.failure,
		force550: reqInfoOf(ctx).force550, polls: s.opts.AuthDelay,
	}
	token, exp := s.issue(typAuthentication, op, s.opts.AuthTokenTTL)
	s.mu.Lock()
	if len(s.ops) > 4096 {
		s.forgetOldOps(now)
	}
	s.ops[op.ref] = op
	s.mu.Unlock()
	s.log.Info("authentication started", "ref", op.ref, "context", a.context.String(), "subject", op.subject.String(),
		"method", a.method.Code, "tokenRef", a.tokenRef, "policy", !a.policy.Empty())
	return authInitResponse{ReferenceNumber: op.ref, AuthenticationToken: tokenInfo{token, ksefTime(exp)}}
}

// forgetOldOps drops operations nobody can use any more — past the status
// retention and without a live refresh token — so that a long-running
// simulator stays small. Caller holds s.mu.
func (s *Server) forgetOldOps(now time.Time) {
	for ref, op := range s.ops {
		if now.Sub(op.start) > authStatusRetention && (!op.redeemed || now.After(op.refreshUntil)) {
			delete(s.ops, ref)
		}
	}
}

// statusOf returns the operation's status. A poll consumes one of the
// in-progress answers; other readers (redeem, the session list) do not.
// Caller holds s.mu.
func (s *Server) statusOf(op *authOp, poll bool) statusInfo {
	if op.revoked {
		return statusRevoked()
	}
	if op.final != nil {
		return *op.final
	}
	if op.polls > 0 {
		if poll {
			op.polls--
		}
		return statusInProgress()
	}
	st := s.resolve(op)
	op.final = &st
	s.log.Info("authentication finished", "ref", op.ref, "status", st.Code)
	return st
}

// resolve decides the terminal status. Caller holds s.mu.
func (s *Server) resolve(op *authOp) statusInfo {
	if s.blocked[ctxKey(op.context)] {
		return statusBlocked()
	}
	if op.failure != nil {
		return *op.failure
	}
	perms := s.permissionsIn(op.context, op.subject)
	if op.tokenRef != "" {
		t := s.tokens[op.tokenRef]
		if t.revoked {
			return statusBadToken("Token unieważniony", "the KSeF token "+t.ref+" was revoked")
		}
		// A token acts as its author with the token's own permissions, and
		// only while the author may still act in the context.
		if len(perms) > 0 {
			perms = t.permissions
		}
	}
	if s.isDeceased(op.subject) {
		return statusDeceased()
	}
	if len(perms) == 0 {
		return statusNoPermissions(fmt.Sprintf("subject %s holds no permissions in context %s", op.subject, op.context))
	}
	if op.force550 {
		return statusCancelled()
	}
	op.permissions = perms
	if op.tokenRef != "" {
		s.tokens[op.tokenRef].lastUsed = s.now()
	}
	return statusSuccess()
}

type ksefTokenRequest struct {
	Challenge           string                `json:"challenge"`
	ContextIdentifier   ids.ContextIdentifier `json:"contextIdentifier"`
	EncryptedToken      string                `json:"encryptedToken"`
	PublicKeyID         *string               `json:"publicKeyId"`
	AuthorizationPolicy *ippolicy.Policy      `json:"authorizationPolicy"`
}

// POST /auth/ksef-token
func (s *Server) handleKSeFToken(w http.ResponseWriter, r *http.Request) {
	var req ksefTokenRequest
	if !s.decode(w, r, &req) {
		return
	}
	// Synchronous checks: input (21405), key (21470), challenge (21111).
	// None of them uses up the challenge, so a client that refreshes its
	// keys after 21470 can retry with the same challenge.
	var problems []string
	if req.Challenge == "" {
		problems = append(problems, "challenge is required")
	}
	if req.EncryptedToken == "" {
		problems = append(problems, "encryptedToken is required")
	}
	if err := req.ContextIdentifier.Validate(); err != nil {
		problems = append(problems, "contextIdentifier: "+err.Error())
	}
	if err := req.AuthorizationPolicy.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	ciphertext, err := base64.StdEncoding.DecodeString(req.EncryptedToken)
	if err != nil {
		problems = append(problems, "encryptedToken is not Base64")
	}
	if len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	keyID := ""
	if req.PublicKeyID != nil {
		keyID = *req.PublicKeyID
	}
	key, ok := s.ksefTokenKey(keyID)
	if !ok {
		s.badRequest(w, r, unknownKeyError(keyID))
		return
	}
	s.mu.Lock()
	ch, details := s.useChallenge(req.Challenge)
	s.mu.Unlock()
	if ch == nil {
		s.badRequest(w, r, exc(codeInvalidChallenge, details...))
		return
	}

	start := authStart{context: req.ContextIdentifier, policy: req.AuthorizationPolicy, method: methodKSeFToken}
	plain, err := rsa.DecryptOAEP(sha256.New(), rand.Reader, key.key, ciphertext, nil)
	if err != nil {
		st := statusBadToken("Nieprawidłowe kodowanie tokena", "encryptedToken cannot be decrypted with the KsefTokenEncryption key "+key.publicKeyID+" (RSA-OAEP, SHA-256, MGF1-SHA-256)")
		start.failure = &st
	} else {
		start.failure = s.checkToken(string(plain), ch, req.ContextIdentifier, &start)
	}
	s.ok(w, http.StatusAccepted, s.startAuth(r.Context(), start))
}

// checkToken examines "<token>|<timestampMs>". The failures become status
// 450 later, not a synchronous error, exactly like KSeF. On success it sets
// the subject and token of start.
func (s *Server) checkToken(plain string, ch *challenge, ctx ids.ContextIdentifier, start *authStart) *statusInfo {
	fail := func(pl, en string) *statusInfo { st := statusBadToken(pl, en); return &st }
	i := strings.LastIndexByte(plain, '|')
	if i < 0 {
		return fail("Nieprawidłowy token", "the decrypted value is not <token>|<timestampMs>")
	}
	token, stamp := plain[:i], plain[i+1:]
	s.mu.Lock()
	t := s.lookupToken(token)
	var author Identity
	var ref, status string
	var tokenCtx ids.ContextIdentifier
	if t != nil {
		author, ref, status, tokenCtx = t.author, t.ref, t.status(s.now()), t.context
	}
	s.mu.Unlock()
	if t == nil {
		return fail("Nieprawidłowy token", "unknown KSeF token")
	}
	start.subject, start.tokenRef = author, ref
	switch status {
	case "Revoked":
		return fail("Token unieważniony", "the KSeF token "+ref+" was revoked")
	case "Pending":
		return fail("Token nieaktywny", "the KSeF token "+ref+" is not active yet (status Pending)")
	}
	ms, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil || ms != ch.issued.UnixMilli() {
		return fail("Nieprawidłowy czas tokena", fmt.Sprintf("the value after the last '|' must be the challenge's timestampMs (%d)", ch.issued.UnixMilli()))
	}
	if tokenCtx != ctx {
		return fail("Nieprawidłowy token", "the KSeF token "+ref+" was issued for context "+tokenCtx.String()+", not "+ctx.String())
	}
	return nil
}

type authStatusResponse struct {
	StartDate                string     `json:"startDate"`
	AuthenticationMethod     string     `json:"authenticationMethod"`
	AuthenticationMethodInfo methodInfo `json:"authenticationMethodInfo"`
	Status                   statusInfo `json:"status"`
	IsTokenRedeemed          bool       `json:"isTokenRedeemed"`
	LastTokenRefreshDate     *string    `json:"lastTokenRefreshDate,omitempty"`
	RefreshTokenValidUntil   *string    `json:"refreshTokenValidUntil,omitempty"`
	ReferenceNumber          string     `json:"referenceNumber,omitempty"` // list items only
	IsCurrent                *bool      `json:"isCurrent,omitempty"`       // list items only
}

type methodInfo struct {
	Category    string `json:"category"`
	Code        string `json:"code"`
	DisplayName string `json:"displayName"`
}

// describe renders an operation for GET /auth/{ref} and GET /auth/sessions.
// Caller holds s.mu.
func (s *Server) describe(op *authOp, st statusInfo) authStatusResponse {
	out := authStatusResponse{
		StartDate:            ksefTime(op.start),
		AuthenticationMethod: op.method.Legacy,
		AuthenticationMethodInfo: methodInfo{
			Category: op.method.Category, Code: op.method.Code, DisplayName: op.method.DisplayName,
		},
		Status:          st,
		IsTokenRedeemed: op.redeemed,
	}
	if !op.lastRefresh.IsZero() {
		v := ksefTime(op.lastRefresh)
		out.LastTokenRefreshDate = &v
	}
	if op.redeemed {
		v := ksefTime(op.refreshUntil)
		out.RefreshTokenValidUntil = &v
	}
	return out
}

// GET /auth/{referenceNumber} (Bearer authenticationToken of that operation)
func (s *Server) handleAuthStatus(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAuthentication)
	if !ok {
		return
	}
	ref := r.PathValue("referenceNumber")
	s.mu.Lock()
	op := s.ops[ref]
	if op == nil {
		s.mu.Unlock()
		s.badRequest(w, r, exc(codeAuthNotFound, "Operacja uwierzytelniania o numerze referencyjnym "+ref+" nie została znaleziona."))
		return
	}
	if c.Arn != ref {
		s.mu.Unlock()
		s.unauthorized(w, r, "Token uwierzytelniający nie dotyczy operacji "+ref+".")
		return
	}
	if s.now().Sub(op.start) > authStatusRetention {
		s.mu.Unlock()
		s.problem(w, r, http.StatusGone, "Operacja wygasła i nie jest już dostępna.")
		return
	}
	if force550 := reqInfoOf(r.Context()).force550; force550 && op.final == nil {
		op.force550 = true
	}
	out := s.describe(op, s.statusOf(op, true))
	s.mu.Unlock()
	s.ok(w, http.StatusOK, out)
}
