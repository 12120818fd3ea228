package ksef

import (
	"context"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/tokens"
)

// KSeFTokens manages the KSeF tokens of the authenticated context (generate,
// wait until active, get, list, revoke). Its waits use the client's clock
// and the polling policy of Config.Poll, with token defaults for unset
// fields.
func (c *Client) KSeFTokens() *tokens.Service {
	return &tokens.Service{API: c.api, Access: c.AccessToken, Clock: c.flow.Clock, Poll: c.flow.Poll}
}

// ContextLimits returns the limits in force for the context (GET /limits/context).
func (c *Client) ContextLimits(ctx context.Context) (*api.ContextLimits, error) {
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	return c.api.ContextLimits(ctx, tok)
}

// SubjectLimits returns the certificate limits of the authenticated subject
// (GET /limits/subject).
func (c *Client) SubjectLimits(ctx context.Context) (*api.SubjectLimits, error) {
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	return c.api.SubjectLimits(ctx, tok)
}

// RateLimits returns the request rate limits in force (GET /rate-limits).
func (c *Client) RateLimits(ctx context.Context) (*api.RateLimits, error) {
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	return c.api.RateLimits(ctx, tok)
}
