package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/secret"
)

// Time is a KSeF date-time. The server writes up to 7 fractional digits and
// usually an offset; a value without offset is read as UTC.
type Time struct{ time.Time }

// UnmarshalJSON accepts RFC 3339 with any number of fractional digits, with
// or without an offset, and null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date-time: %w", err)
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON writes RFC 3339 with the offset the value carries.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time.Format(time.RFC3339Nano))
}

// ParseTime parses a KSeF date-time string.
func ParseTime(s string) (time.Time, error) {
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return v, nil
	}
	if v, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return v.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("date-time %q is not RFC 3339", s)
}

// TokenInfo is a JWT with its validity. The token is read from KSeF's
// answers and never printed or marshalled (secret.String); Reveal it where
// it is sent.
type TokenInfo struct {
	Token      secret.String `json:"token"`
	ValidUntil Time          `json:"validUntil"`
}

func (t *TokenInfo) check(name string) error {
	if t == nil || t.Token.IsZero() {
		return fmt.Errorf("%s.token missing", name)
	}
	if t.ValidUntil.IsZero() {
		return fmt.Errorf("%s.validUntil missing", name)
	}
	return nil
}

// StatusInfo is the status of an asynchronous operation.
type StatusInfo struct {
	Code        int               `json:"code"`
	Description string            `json:"description"`
	Details     []string          `json:"details,omitempty"`
	Extensions  map[string]string `json:"extensions,omitempty"`
}

// ChallengeResponse answers POST /auth/challenge.
type ChallengeResponse struct {
	Challenge   string `json:"challenge"`
	Timestamp   string `json:"timestamp"`
	TimestampMs int64  `json:"timestampMs"`
	ClientIP    string `json:"clientIp"`
}

func (r *ChallengeResponse) validate() error {
	if r.Challenge == "" || r.TimestampMs <= 0 {
		return fmt.Errorf("challenge or timestampMs missing")
	}
	return nil
}

// KsefTokenRequest is the body of POST /auth/ksef-token.
type KsefTokenRequest struct {
	Challenge           string                `json:"challenge"`
	ContextIdentifier   ids.ContextIdentifier `json:"contextIdentifier"`
	EncryptedToken      string                `json:"encryptedToken"`
	PublicKeyID         string                `json:"publicKeyId,omitempty"`
	AuthorizationPolicy *ippolicy.Policy      `json:"authorizationPolicy,omitempty"`
}

// AuthInitResponse answers POST /auth/ksef-token and /auth/xades-signature.
type AuthInitResponse struct {
	ReferenceNumber     string     `json:"referenceNumber"`
	AuthenticationToken *TokenInfo `json:"authenticationToken"`
}

func (r *AuthInitResponse) validate() error {
	if r.ReferenceNumber == "" {
		return fmt.Errorf("referenceNumber missing")
	}
	return r.AuthenticationToken.check("authenticationToken")
}

// AuthMethodInfo describes how a subject authenticated.
type AuthMethodInfo struct {
	Category    string `json:"category"`
	Code        string `json:"code"`
	DisplayName string `json:"displayName"`
}

// AuthStatusResponse answers GET /auth/{referenceNumber}.
type AuthStatusResponse struct {
	StartDate                Time            `json:"startDate"`
	AuthenticationMethod     string          `json:"authenticationMethod,omitempty"`
	AuthenticationMethodInfo *AuthMethodInfo `json:"authenticationMethodInfo,omitempty"`
	Status                   StatusInfo      `json:"status"`
	IsTokenRedeemed          *bool           `json:"isTokenRedeemed,omitempty"`
	LastTokenRefreshDate     *Time           `json:"lastTokenRefreshDate,omitempty"`
	RefreshTokenValidUntil   *Time           `json:"refreshTokenValidUntil,omitempty"`
}

func (r *AuthStatusResponse) validate() error {
	if r.Status.Code == 0 {
		return fmt.Errorf("status.code missing")
	}
	return nil
}

// TokensResponse answers POST /auth/token/redeem.
type TokensResponse struct {
	AccessToken  *TokenInfo `json:"accessToken"`
	RefreshToken *TokenInfo `json:"refreshToken"`
}

func (r *TokensResponse) validate() error {
	if err := r.AccessToken.check("accessToken"); err != nil {
		return err
	}
	return r.RefreshToken.check("refreshToken")
}

// RefreshResponse answers POST /auth/token/refresh.
type RefreshResponse struct {
	AccessToken *TokenInfo `json:"accessToken"`
}

func (r *RefreshResponse) validate() error { return r.AccessToken.check("accessToken") }

// AuthSession is one item of GET /auth/sessions.
type AuthSession struct {
	ReferenceNumber          string          `json:"referenceNumber"`
	IsCurrent                bool            `json:"isCurrent"`
	StartDate                Time            `json:"startDate"`
	AuthenticationMethod     string          `json:"authenticationMethod,omitempty"`
	AuthenticationMethodInfo *AuthMethodInfo `json:"authenticationMethodInfo,omitempty"`
	Status                   StatusInfo      `json:"status"`
	IsTokenRedeemed          *bool           `json:"isTokenRedeemed,omitempty"`
	LastTokenRefreshDate     *Time           `json:"lastTokenRefreshDate,omitempty"`
	RefreshTokenValidUntil   *Time           `json:"refreshTokenValidUntil,omitempty"`
}

// AuthSessionsPage answers GET /auth/sessions.
type AuthSessionsPage struct {
	ContinuationToken string        `json:"continuationToken,omitempty"`
	Items             []AuthSession `json:"items"`
}

func (r *AuthSessionsPage) validate() error {
	if r.Items == nil {
		return fmt.Errorf("items missing")
	}
	return nil
}

// PublicKeyCertificate is one item of GET /security/public-key-certificates.
type PublicKeyCertificate struct {
	Certificate   string   `json:"certificate"`
	CertificateID string   `json:"certificateId"`
	PublicKeyID   string   `json:"publicKeyId"`
	ValidFrom     Time     `json:"validFrom"`
	ValidTo       Time     `json:"validTo"`
	Usage         []string `json:"usage"`
}

// HasUsage reports whether the certificate may be used for u.
func (p PublicKeyCertificate) HasUsage(u string) bool {
	for _, x := range p.Usage {
		if strings.EqualFold(x, u) {
			return true
		}
	}
	return false
}

// String shows the validity, never the token.
func (t TokenInfo) String() string {
	return "token(redacted, valid until " + t.ValidUntil.Format(time.RFC3339) + ")"
}

// GoString is String for %#v.
func (t TokenInfo) GoString() string { return t.String() }
