package api

import "context"

// The limits in force for the current context and subject (GET /limits/*)
// and the request rate limits (GET /rate-limits) — protocol.md §13.

// SessionLimits bounds one online or batch session.
type SessionLimits struct {
	MaxInvoiceSizeInMB               int `json:"maxInvoiceSizeInMB"`
	MaxInvoiceWithAttachmentSizeInMB int `json:"maxInvoiceWithAttachmentSizeInMB"`
	MaxInvoices                      int `json:"maxInvoices"`
}

// ContextLimits answers GET /limits/context.
type ContextLimits struct {
	OnlineSession SessionLimits `json:"onlineSession"`
	BatchSession  SessionLimits `json:"batchSession"`
}

// SubjectLimits answers GET /limits/subject; either part may be absent.
type SubjectLimits struct {
	Enrollment *struct {
		MaxEnrollments int `json:"maxEnrollments"`
	} `json:"enrollment,omitempty"`
	Certificate *struct {
		MaxCertificates int `json:"maxCertificates"`
	} `json:"certificate,omitempty"`
}

// RateLimit is one group's sliding-window limits.
type RateLimit struct {
	PerSecond int `json:"perSecond"`
	PerMinute int `json:"perMinute"`
	PerHour   int `json:"perHour"`
}

// RateLimits answers GET /rate-limits: the effective limits per group.
type RateLimits struct {
	OnlineSession       RateLimit `json:"onlineSession"`
	BatchSession        RateLimit `json:"batchSession"`
	InvoiceSend         RateLimit `json:"invoiceSend"`
	InvoiceStatus       RateLimit `json:"invoiceStatus"`
	SessionList         RateLimit `json:"sessionList"`
	SessionInvoiceList  RateLimit `json:"sessionInvoiceList"`
	SessionMisc         RateLimit `json:"sessionMisc"`
	InvoiceMetadata     RateLimit `json:"invoiceMetadata"`
	InvoiceExport       RateLimit `json:"invoiceExport"`
	InvoiceExportStatus RateLimit `json:"invoiceExportStatus"`
	InvoiceDownload     RateLimit `json:"invoiceDownload"`
	Other               RateLimit `json:"other"`
}

func (c *Client) getJSON(ctx context.Context, accessToken, path string, out any) error {
	_, err := c.Do(ctx, Call{Method: "GET", Path: path, Route: "GET " + path, Bearer: accessToken, Idempotent: true}, out)
	return err
}

// ContextLimits calls GET /limits/context.
func (c *Client) ContextLimits(ctx context.Context, accessToken string) (*ContextLimits, error) {
	var out ContextLimits
	return &out, c.getJSON(ctx, accessToken, "/limits/context", &out)
}

// SubjectLimits calls GET /limits/subject.
func (c *Client) SubjectLimits(ctx context.Context, accessToken string) (*SubjectLimits, error) {
	var out SubjectLimits
	return &out, c.getJSON(ctx, accessToken, "/limits/subject", &out)
}

// RateLimits calls GET /rate-limits.
func (c *Client) RateLimits(ctx context.Context, accessToken string) (*RateLimits, error) {
	var out RateLimits
	return &out, c.getJSON(ctx, accessToken, "/rate-limits", &out)
}
