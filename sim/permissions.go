package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// IdentityType says what kind of identifier names a subject (who
// authenticates), as opposed to a context (whom it acts for).
type IdentityType string

// The subject identifier types of KSeF (TestDataAuthorizedIdentifierType).
const (
	IdentityNip         IdentityType = "Nip"
	IdentityPesel       IdentityType = "Pesel"
	IdentityFingerprint IdentityType = "Fingerprint" // SHA-256 of a certificate, 64 hex digits
)

// Identity is a subject: the author of a KSeF token, or the identity taken
// from the certificate of a XAdES signature.
type Identity struct {
	Type  IdentityType `json:"type"`
	Value string       `json:"value"`
}

func (i Identity) String() string { return string(i.Type) + ":" + i.Value }

var fingerprintPattern = regexp.MustCompile(`^[0-9A-Fa-f]{64}$`)

// Validate checks the value against the rules of its type.
func (i Identity) Validate() error {
	switch i.Type {
	case IdentityNip:
		return ids.ValidateNIP(i.Value)
	case IdentityPesel:
		return ids.ValidatePESEL(i.Value)
	case IdentityFingerprint:
		if !fingerprintPattern.MatchString(i.Value) {
			return fmt.Errorf("invalid Fingerprint %q: must be the SHA-256 of the certificate as 64 hex digits", i.Value)
		}
		return nil
	}
	return fmt.Errorf("invalid identifier type %q: expected Nip, Pesel or Fingerprint", i.Type)
}

// normalize makes fingerprints comparable whatever case the client used.
func (i Identity) normalize() Identity {
	if i.Type == IdentityFingerprint {
		i.Value = strings.ToUpper(i.Value)
	}
	return i
}

// The permissions a subject can hold in a context (TestDataPermissionType,
// which is also the set of TokenPermissionType).
var allPermissions = []string{
	"InvoiceRead", "InvoiceWrite", "Introspection", "CredentialsRead",
	"CredentialsManage", "EnforcementOperations", "SubunitManage",
}

func isPermission(p string) bool { return slices.Contains(allPermissions, p) }

// person is a NIP–PESEL link created by POST /testdata/person: the person
// (PESEL) owns that NIP.
type person struct {
	nip, pesel  string
	bailiff     bool
	deceased    bool
	description string
	created     time.Time
}

// subjectRec is a special subject created by POST /testdata/subject (VAT
// group, local government unit, enforcement authority) with its subunits.
type subjectRec struct {
	nip, typ, description string
	subunits              []string
	created               time.Time
}

func ctxKey(c ids.ContextIdentifier) string { return c.String() }

// ownerNIP is the NIP whose owner owns the context: the context itself for
// Nip, the NIP part of an InternalId or NipVatUe. A PeppolId has no owner;
// only explicit grants let anyone act in it. (KSeF's real rules for subunits
// and EU entities are richer; the simulator keeps this simple model.)
func ownerNIP(c ids.ContextIdentifier) string {
	switch c.Type {
	case ids.ContextNip:
		return c.Value
	case ids.ContextInternalID, ids.ContextNipVatUe:
		if len(c.Value) >= 10 {
			return c.Value[:10]
		}
	}
	return ""
}

// permissionsIn returns what who may do in ctx; empty means nothing (status
// 415). The owner — the same NIP, or a PESEL linked to it — may do
// everything; anyone else holds exactly what was granted in the context.
// Caller holds s.mu.
func (s *Server) permissionsIn(ctx ids.ContextIdentifier, who Identity) []string {
	who = who.normalize()
	set := map[string]bool{}
	if nip := ownerNIP(ctx); nip != "" {
		p := s.persons[nip]
		owner := (who.Type == IdentityNip && who.Value == nip) ||
			(who.Type == IdentityPesel && p != nil && p.pesel == who.Value)
		if owner {
			for _, perm := range allPermissions {
				if perm != "EnforcementOperations" {
					set[perm] = true
				}
			}
			if (p != nil && p.bailiff) || (s.subjects[nip] != nil && s.subjects[nip].typ == "EnforcementAuthority") {
				set["EnforcementOperations"] = true
			}
		}
	}
	for perm := range s.grants[ctxKey(ctx)][who] {
		set[perm] = true
	}
	out := make([]string, 0, len(set))
	for _, perm := range allPermissions {
		if set[perm] {
			out = append(out, perm)
		}
	}
	return out
}

// isDeceased reports whether the subject is a person marked deceased
// (POST /testdata/person with isDeceased), by PESEL or by own NIP.
// Caller holds s.mu.
func (s *Server) isDeceased(who Identity) bool {
	switch who.Type {
	case IdentityNip:
		p := s.persons[who.Value]
		return p != nil && p.deceased
	case IdentityPesel:
		for _, p := range s.persons {
			if p.pesel == who.Value && p.deceased {
				return true
			}
		}
	}
	return false
}

// Grant gives who the permissions in ctx, like POST /testdata/permissions
// does for Nip contexts, but for any context type (so tests can authenticate
// in InternalId, NipVatUe and PeppolId contexts too).
func (s *Server) Grant(ctx ids.ContextIdentifier, who Identity, permissions ...string) error {
	if err := ctx.Validate(); err != nil {
		return err
	}
	if err := who.Validate(); err != nil {
		return err
	}
	for _, p := range permissions {
		if !isPermission(p) {
			return fmt.Errorf("sim: unknown permission %q (expected one of %s)", p, strings.Join(allPermissions, ", "))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grant(ctx, who, permissions)
	return nil
}

// grant adds permissions; caller holds s.mu.
func (s *Server) grant(ctx ids.ContextIdentifier, who Identity, permissions []string) {
	who = who.normalize()
	k := ctxKey(ctx)
	if s.grants[k] == nil {
		s.grants[k] = map[Identity]map[string]bool{}
	}
	if s.grants[k][who] == nil {
		s.grants[k][who] = map[string]bool{}
	}
	for _, p := range permissions {
		s.grants[k][who][p] = true
	}
}

// BlockContext(ctx, true) makes every authentication in ctx that has not
// finished yet end with status 480, like POST /testdata/context/block;
// BlockContext(ctx, false) undoes it like /testdata/context/unblock.
func (s *Server) BlockContext(ctx ids.ContextIdentifier, blocked bool) error {
	if err := ctx.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if blocked {
		s.blocked[ctxKey(ctx)] = true
	} else {
		delete(s.blocked, ctxKey(ctx))
	}
	return nil
}
