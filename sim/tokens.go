package sim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// KSeF tokens: long-lived API credentials. Real KSeF issues them through
// POST /tokens to an authenticated (XAdES) session; the simulator issues them
// directly (IssueToken, POST /v2/_sim/tokens) so tests can start with a token.

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
	revoked     bool
}

// tokenContextPrefix is the middle part of a token string: "nip-5265877635",
// "internalId-5265877635-12345", …
var tokenContextPrefix = map[ids.ContextType]string{
	ids.ContextNip:        "nip",
	ids.ContextInternalID: "internalId",
	ids.ContextNipVatUe:   "nipVatUe",
	ids.ContextPeppolID:   "peppolId",
}

// IssueToken creates an active KSeF token with the real token shape
// "<EC reference>|<type>-<context value>|<64 hex digits>".
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
	now := s.now()
	ref := newRef(now, infixKSeFToken)
	secret := hex.EncodeToString(randBytes(32))
	token := ref + "|" + tokenContextPrefix[req.Context.Type] + "-" + req.Context.Value + "|" + secret
	t := &ksefToken{
		ref: ref, hash: sha256.Sum256([]byte(token)), context: req.Context, author: req.Author.normalize(),
		permissions: perms, description: req.Description, created: now,
	}
	s.mu.Lock()
	s.tokens[ref] = t
	s.mu.Unlock()
	s.log.Info("KSeF token issued", "ref", ref, "context", req.Context.String(), "author", t.author.String(), "permissions", perms)
	return IssuedToken{ReferenceNumber: ref, Token: token}, nil
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
