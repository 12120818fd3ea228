package api

import (
	"context"
	"net/url"
	"strconv"
)

// Challenge calls POST /auth/challenge. Safe to repeat: a challenge nobody
// uses simply expires.
func (c *Client) Challenge(ctx context.Context) (*ChallengeResponse, error) {
	var out ChallengeResponse
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/auth/challenge", Route: "POST /auth/challenge", Idempotent: true}, &out)
	return &out, err
}

// KsefToken calls POST /auth/ksef-token. Not idempotent: the challenge is
// consumed by the first request that reaches KSeF.
func (c *Client) KsefToken(ctx context.Context, req *KsefTokenRequest) (*AuthInitResponse, error) {
	var out AuthInitResponse
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/auth/ksef-token", Route: "POST /auth/ksef-token", JSON: req}, &out)
	return &out, err
}

// XadesSignature calls POST /auth/xades-signature with a signed
// AuthTokenRequest, posted byte for byte as application/xml.
func (c *Client) XadesSignature(ctx context.Context, signedXML []byte, verifyCertificateChain bool) (*AuthInitResponse, error) {
	var out AuthInitResponse
	q := url.Values{}
	q.Set("verifyCertificateChain", strconv.FormatBool(verifyCertificateChain))
	_, err := c.Do(ctx, Call{
		Method: "POST", Path: "/auth/xades-signature", Route: "POST /auth/xades-signature",
		Query: q, Raw: signedXML, ContentType: "application/xml",
	}, &out)
	return &out, err
}

// AuthStatus calls GET /auth/{referenceNumber} with the authentication token.
func (c *Client) AuthStatus(ctx context.Context, referenceNumber, authenticationToken string) (*AuthStatusResponse, error) {
	var out AuthStatusResponse
	_, err := c.Do(ctx, Call{
		Method: "GET", Path: "/auth/" + PathEscape(referenceNumber), Route: "GET /auth/{referenceNumber}",
		Bearer: authenticationToken, Idempotent: true,
	}, &out)
	return &out, err
}

// Redeem calls POST /auth/token/redeem. It is one-shot on the server, so it
// is never retried blindly: a lost answer means a new authentication.
func (c *Client) Redeem(ctx context.Context, authenticationToken string) (*TokensResponse, error) {
	var out TokensResponse
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/auth/token/redeem", Route: "POST /auth/token/redeem", Bearer: authenticationToken}, &out)
	return &out, err
}

// Refresh calls POST /auth/token/refresh with the refresh token. Repeating
// it is harmless (the refresh token is not rotated).
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*RefreshResponse, error) {
	var out RefreshResponse
	_, err := c.Do(ctx, Call{
		Method: "POST", Path: "/auth/token/refresh", Route: "POST /auth/token/refresh",
		Bearer: refreshToken, Idempotent: true,
	}, &out)
	return &out, err
}

// AuthSessions calls GET /auth/sessions for one page.
func (c *Client) AuthSessions(ctx context.Context, accessToken string, pageSize int, continuationToken string) (*AuthSessionsPage, error) {
	var out AuthSessionsPage
	call := Call{Method: "GET", Path: "/auth/sessions", Route: "GET /auth/sessions", Bearer: accessToken, Idempotent: true}
	if pageSize > 0 {
		call.Query = url.Values{"pageSize": {strconv.Itoa(pageSize)}}
	}
	if continuationToken != "" {
		call.Header = map[string][]string{"X-Continuation-Token": {continuationToken}}
	}
	_, err := c.Do(ctx, call, &out)
	return &out, err
}

// RevokeCurrentSession calls DELETE /auth/sessions/current with an access
// or refresh token.
func (c *Client) RevokeCurrentSession(ctx context.Context, token string) error {
	_, err := c.Do(ctx, Call{
		Method: "DELETE", Path: "/auth/sessions/current", Route: "DELETE /auth/sessions/current",
		Bearer: token, Idempotent: true,
	}, nil)
	return err
}

// RevokeSession calls DELETE /auth/sessions/{referenceNumber}.
func (c *Client) RevokeSession(ctx context.Context, accessToken, referenceNumber string) error {
	_, err := c.Do(ctx, Call{
		Method: "DELETE", Path: "/auth/sessions/" + PathEscape(referenceNumber), Route: "DELETE /auth/sessions/{referenceNumber}",
		Bearer: accessToken, Idempotent: true,
	}, nil)
	return err
}
