package api

import (
	"context"
	"fmt"

	"github.com/ksefkit/ksefkit/core/errs"
)

// PublicKeyCertificates calls GET /security/public-key-certificates.
func (c *Client) PublicKeyCertificates(ctx context.Context) ([]PublicKeyCertificate, error) {
	var out []PublicKeyCertificate
	if _, err := c.Do(ctx, Call{
		Method: "GET", Path: "/security/public-key-certificates", Route: "GET /security/public-key-certificates", Idempotent: true,
	}, &out); err != nil {
		return nil, err
	}
	for i, p := range out {
		if p.Certificate == "" || p.PublicKeyID == "" || len(p.Usage) == 0 {
			return nil, errs.Wrap(errs.Protocol, fmt.Errorf("item %d lacks certificate, publicKeyId or usage", i), "GET /security/public-key-certificates")
		}
	}
	return out, nil
}
