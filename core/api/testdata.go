package api

import (
	"context"

	"github.com/ksefkit/ksefkit/core/ids"
)

// The TEST-environment helpers (/testdata/*). DEMO and PRODUCTION do not
// have them; the simulator does.

// SubjectCreateRequest is the body of POST /testdata/subject.
type SubjectCreateRequest struct {
	SubjectNip  string    `json:"subjectNip"`
	SubjectType string    `json:"subjectType"` // EnforcementAuthority | VatGroup | JST
	Description string    `json:"description"`
	Subunits    []Subunit `json:"subunits,omitempty"`
	CreatedDate *Time     `json:"createdDate,omitempty"`
}

// Subunit of a test subject.
type Subunit struct {
	SubjectNip  string `json:"subjectNip"`
	Description string `json:"description"`
}

// PersonCreateRequest is the body of POST /testdata/person (a NIP–PESEL link).
type PersonCreateRequest struct {
	Nip         string `json:"nip"`
	Pesel       string `json:"pesel"`
	IsBailiff   bool   `json:"isBailiff"`
	Description string `json:"description"`
	IsDeceased  bool   `json:"isDeceased,omitempty"`
	CreatedDate *Time  `json:"createdDate,omitempty"`
}

// TestPermission is one permission of a test grant.
type TestPermission struct {
	PermissionType string `json:"permissionType"`
	Description    string `json:"description"`
}

// Identifier is a typed identifier (authorizedIdentifier: Nip | Pesel | Fingerprint).
type Identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// TestPermissionsRequest is the body of POST /testdata/permissions.
type TestPermissionsRequest struct {
	ContextIdentifier    Identifier       `json:"contextIdentifier"`
	AuthorizedIdentifier Identifier       `json:"authorizedIdentifier"`
	Permissions          []TestPermission `json:"permissions"`
}

// CreateTestSubject calls POST /testdata/subject.
func (c *Client) CreateTestSubject(ctx context.Context, req *SubjectCreateRequest) error {
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/testdata/subject", Route: "POST /testdata/subject", JSON: req}, nil)
	return err
}

// CreateTestPerson calls POST /testdata/person.
func (c *Client) CreateTestPerson(ctx context.Context, req *PersonCreateRequest) error {
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/testdata/person", Route: "POST /testdata/person", JSON: req}, nil)
	return err
}

// GrantTestPermissions calls POST /testdata/permissions.
func (c *Client) GrantTestPermissions(ctx context.Context, req *TestPermissionsRequest) error {
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/testdata/permissions", Route: "POST /testdata/permissions", JSON: req}, nil)
	return err
}

// BlockTestContext calls POST /testdata/context/block: authentication in
// that context then ends with status 480.
func (c *Client) BlockTestContext(ctx context.Context, context ids.ContextIdentifier) error {
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/testdata/context/block", Route: "POST /testdata/context/block",
		JSON: map[string]any{"contextIdentifier": context}}, nil)
	return err
}

// UnblockTestContext calls POST /testdata/context/unblock.
func (c *Client) UnblockTestContext(ctx context.Context, context ids.ContextIdentifier) error {
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/testdata/context/unblock", Route: "POST /testdata/context/unblock",
		JSON: map[string]any{"contextIdentifier": context}}, nil)
	return err
}

// EnableTestAttachments calls POST /testdata/attachment: invoices of nip
// may then carry attachments (what a taxpayer enables in e-Urząd Skarbowy).
func (c *Client) EnableTestAttachments(ctx context.Context, nip string) error {
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/testdata/attachment", Route: "POST /testdata/attachment",
		JSON: map[string]string{"nip": nip}, Idempotent: true}, nil)
	return err
}
