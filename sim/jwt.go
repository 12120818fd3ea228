package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// The three kinds of bearer token, as the "typ" claim of real KSeF tokens names them.
const (
	typAuthentication = "AuthenticationToken" // polls GET /auth/{ref} and redeems once
	typAccess         = "ContextToken"        // every protected call
	typRefresh        = "RefreshToken"        // POST /auth/token/refresh
)

// claims of the simulator's tokens. They imitate the compact claims of real
// KSeF tokens (typ, arn = authentication reference, cit/civ = context), but
// clients must treat all of them as opaque strings.
type claims struct {
	Typ string `json:"typ"`
	Arn string `json:"arn"`
	Cit string `json:"cit,omitempty"`
	Civ string `json:"civ,omitempty"`
	Jti string `json:"jti"`
	Iss string `json:"iss"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// issue signs a token of the given type for an authentication operation and
// returns it with its expiry.
func (s *Server) issue(typ string, op *authOp, ttl time.Duration) (string, time.Time) {
	now := s.now()
	exp := now.Add(ttl)
	c := claims{
		Typ: typ, Arn: op.ref, Cit: string(op.context.Type), Civ: op.context.Value,
		Jti: randHex(8), Iss: "ksef-sim", Iat: now.Unix(), Exp: exp.Unix(),
	}
	payload, _ := json.Marshal(c)
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + s.jwtSignature(signing), exp
}

func (s *Server) jwtSignature(signing string) string {
	m := hmac.New(sha256.New, s.jwtKey)
	m.Write([]byte(signing))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var (
	errTokenMalformed = errors.New("malformed token")
	errTokenSignature = errors.New("token signature is invalid")
	errTokenExpired   = errors.New("token has expired")
)

// verify checks signature and expiry of one of our tokens.
func (s *Server) verify(token string) (claims, error) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errTokenMalformed
	}
	if !hmac.Equal([]byte(s.jwtSignature(parts[0]+"."+parts[1])), []byte(parts[2])) {
		return c, errTokenSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, errTokenMalformed
	}
	if !s.now().Before(time.Unix(c.Exp, 0)) {
		return c, errTokenExpired
	}
	return c, nil
}
