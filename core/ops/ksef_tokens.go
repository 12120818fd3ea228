package ops

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/tokens"
)

// TokensGenerateInput is the input of "tokens.generate".
type TokensGenerateInput struct {
	Permissions []string `json:"permissions" doc:"any of InvoiceRead, InvoiceWrite, CredentialsRead, CredentialsManage, SubunitManage, EnforcementOperations, Introspection — only ones the session holds (else KSeF's 26001)"`
	Description string   `json:"description" doc:"5–256 characters"`
	Wait        bool     `json:"wait,omitempty" doc:"also wait until the token is Active; a wait that fails or times out is reported in waitError, with the token still in the result"`
}

// TokensGenerateResult answers "tokens.generate". It carries the secret
// because that is the operation's purpose: KSeF shows it only once.
type TokensGenerateResult struct {
	ReferenceNumber string      `json:"referenceNumber" doc:"the token's EC reference number"`
	Token           string      `json:"token" secret:"exported" doc:"the KSeF token (SECRET: shown by KSeF only this once — store it like a password now)"`
	Status          string      `json:"status" doc:"Pending (just generated), or with wait the status seen last (Active on success)"`
	WaitError       *errs.Error `json:"waitError,omitempty" doc:"why the wait for Active failed (timeout: wait again with tokens.get {wait: true}); never a reason to discard the token above"`
}

// TokensGetInput is the input of "tokens.get".
type TokensGetInput struct {
	ReferenceNumber string `json:"referenceNumber"`
	Wait            bool   `json:"wait,omitempty" doc:"poll until the token leaves Pending; Active is success, Failed/Revoking/Revoked an error"`
}

// TokensListInput is the input of "tokens.list".
type TokensListInput struct {
	Statuses             []string `json:"statuses,omitempty" doc:"any of Pending, Active, Revoking, Revoked, Failed"`
	Description          string   `json:"description,omitempty" doc:"part of the description (≥ 3 characters)"`
	AuthorIdentifier     string   `json:"authorIdentifier,omitempty" doc:"part of the author's NIP, PESEL or fingerprint (≥ 3 characters)"`
	AuthorIdentifierType string   `json:"authorIdentifierType,omitempty" doc:"Nip, Pesel or Fingerprint"`
	PageSize             int      `json:"pageSize,omitempty" doc:"10–100; KSeF's default (10) when 0"`
	Cursor               string   `json:"cursor,omitempty" doc:"from the previous page, with the same filters"`
}

// TokensRevokeInput is the input of "tokens.revoke".
type TokensRevokeInput struct {
	ReferenceNumber string `json:"referenceNumber"`
}

// TokensRevokeResult answers "tokens.revoke".
type TokensRevokeResult struct {
	Revoked string `json:"revoked" doc:"the reference number revoked"`
}

func init() {
	register("tokens.generate", "Generate a KSeF token in the authenticated context (POST /tokens), optionally waiting until it is Active. Answers with the token itself (SECRET, shown once): the answer is complete as soon as KSeF created the token, so a failed wait never loses it.", true, true,
		func(ctx context.Context, c *ksef.Client, in *TokensGenerateInput) (*TokensGenerateResult, error) {
			svc := c.KSeFTokens()
			g, err := svc.Generate(ctx, tokens.GenerateRequest{Permissions: in.Permissions, Description: in.Description})
			if err != nil {
				return nil, err
			}
			// From here on nothing is an error of the operation: the token
			// exists and its secret must reach the caller.
			res := &TokensGenerateResult{ReferenceNumber: g.ReferenceNumber, Token: g.Token.Reveal(), Status: api.TokenPending}
			if in.Wait {
				t, err := svc.WaitActive(ctx, g.ReferenceNumber)
				if t != nil {
					res.Status = t.Status
				}
				if err != nil {
					res.WaitError = errs.As(err)
				}
			}
			return res, nil
		})
	register("tokens.get", "A KSeF token's description and status (GET /tokens/{referenceNumber}), optionally after waiting until it leaves Pending.", true, true,
		func(ctx context.Context, c *ksef.Client, in *TokensGetInput) (*api.KSeFToken, error) {
			if in.Wait {
				return c.KSeFTokens().WaitActive(ctx, in.ReferenceNumber)
			}
			return c.KSeFTokens().Get(ctx, in.ReferenceNumber)
		})
	register("tokens.list", "One page of the context's KSeF tokens (GET /tokens), newest first, with every filter KSeF offers; pass the page's cursor back for the next one.", true, true,
		func(ctx context.Context, c *ksef.Client, in *TokensListInput) (*tokens.Page, error) {
			return c.KSeFTokens().List(ctx, tokens.Query{
				Statuses: in.Statuses, Description: in.Description, AuthorIdentifier: in.AuthorIdentifier,
				AuthorIdentifierType: in.AuthorIdentifierType, PageSize: in.PageSize,
			}, in.Cursor)
		})
	register("tokens.revoke", "Revoke a KSeF token (DELETE /tokens/{referenceNumber}): it no longer authenticates, and sessions opened with it can no longer refresh.", true, true,
		func(ctx context.Context, c *ksef.Client, in *TokensRevokeInput) (*TokensRevokeResult, error) {
			if err := c.KSeFTokens().Revoke(ctx, in.ReferenceNumber); err != nil {
				return nil, err
			}
			return &TokensRevokeResult{Revoked: in.ReferenceNumber}, nil
		})
}

// The printed forms of a generated token hide it: the JSON (the result's
// purpose, the one chance to store it) is the only way it leaves.
func (r TokensGenerateResult) String() string {
	return "TokensGenerateResult{" + r.ReferenceNumber + ", " + r.Status + ", token " + secret.Redacted + "}"
}
func (r TokensGenerateResult) GoString() string           { return r.String() }
func (r TokensGenerateResult) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }
func (r TokensGenerateResult) LogValue() slog.Value       { return slog.StringValue(r.String()) }
