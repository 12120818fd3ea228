package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
)

// Receiving invoices (/invoices/*, protocol.md §9): one invoice by KSeF
// number, the metadata query, and the asynchronous encrypted export.

// InvoiceQueryFilters is the OpenAPI schema of that name: the body of POST
// /invoices/query/metadata and the filters of an export. SubjectType and
// DateRange are required; the rest narrows (exact matches). Package
// receive checks every field before anything is sent.
type InvoiceQueryFilters struct {
	// SubjectType is who the caller is on the invoice: Subject1 (seller),
	// Subject2 (buyer), Subject3 (third party), SubjectAuthorized.
	SubjectType     string                `json:"subjectType"`
	DateRange       InvoiceQueryDateRange `json:"dateRange"`
	KSeFNumber      string                `json:"ksefNumber,omitempty"`
	InvoiceNumber   string                `json:"invoiceNumber,omitempty"`
	Amount          *InvoiceQueryAmount   `json:"amount,omitempty"`
	SellerNIP       string                `json:"sellerNip,omitempty"`
	BuyerIdentifier *InvoiceQueryBuyerID  `json:"buyerIdentifier,omitempty"`
	CurrencyCodes   []string              `json:"currencyCodes,omitempty"`
	InvoicingMode   string                `json:"invoicingMode,omitempty"`
	IsSelfInvoicing *bool                 `json:"isSelfInvoicing,omitempty"`
	FormType        string                `json:"formType,omitempty"`
	InvoiceTypes    []string              `json:"invoiceTypes,omitempty"`
	HasAttachment   *bool                 `json:"hasAttachment,omitempty"`
}

// InvoiceQueryDateRange is the date filter: dateType Issue, Invoicing or
// PermanentStorage, from (inclusive) and optionally to (inclusive; KSeF's
// default is now). Instants are sent with their offset. Read from JSON, a
// date-time without an offset is Polish wall-clock time, as KSeF reads it.
type InvoiceQueryDateRange struct {
	DateType string     `json:"dateType"`
	From     time.Time  `json:"from"`
	To       *time.Time `json:"to,omitempty"`
	// RestrictToPermanentStorageHwmDate caps to at KSeF's high-water mark
	// (dateType PermanentStorage only): what lies below it never changes.
	RestrictToPermanentStorageHwmDate bool `json:"restrictToPermanentStorageHwmDate,omitempty"`
}

// UnmarshalJSON reads from/to with or without an offset (without: Polish
// time) and refuses unknown fields, as every input of ksefkit does.
func (d *InvoiceQueryDateRange) UnmarshalJSON(b []byte) error {
	var raw struct {
		DateType                          string  `json:"dateType"`
		From                              string  `json:"from"`
		To                                *string `json:"to"`
		RestrictToPermanentStorageHwmDate *bool   `json:"restrictToPermanentStorageHwmDate"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("dateRange: %w", err)
	}
	out := InvoiceQueryDateRange{DateType: raw.DateType}
	if raw.RestrictToPermanentStorageHwmDate != nil {
		out.RestrictToPermanentStorageHwmDate = *raw.RestrictToPermanentStorageHwmDate
	}
	if raw.From != "" {
		t, err := ParseQueryTime(raw.From)
		if err != nil {
			return fmt.Errorf("dateRange.from: %w", err)
		}
		out.From = t
	}
	if raw.To != nil && *raw.To != "" {
		t, err := ParseQueryTime(*raw.To)
		if err != nil {
			return fmt.Errorf("dateRange.to: %w", err)
		}
		out.To = &t
	}
	*d = out
	return nil
}

// MarshalJSON writes from/to with their offset and at most seven
// fractional digits, KSeF's own precision (100 ns): a narrowed range that
// starts at a returned record's date starts exactly there.
func (d InvoiceQueryDateRange) MarshalJSON() ([]byte, error) {
	var raw struct {
		DateType                          string  `json:"dateType"`
		From                              string  `json:"from"`
		To                                *string `json:"to,omitempty"`
		RestrictToPermanentStorageHwmDate bool    `json:"restrictToPermanentStorageHwmDate,omitempty"`
	}
	raw.DateType, raw.From = d.DateType, FormatQueryTime(d.From)
	if d.To != nil {
		to := FormatQueryTime(*d.To)
		raw.To = &to
	}
	raw.RestrictToPermanentStorageHwmDate = d.RestrictToPermanentStorageHwmDate
	return json.Marshal(raw)
}

// FormatQueryTime writes an instant as the query filters send it.
func FormatQueryTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.9999999Z07:00") }

// ParseQueryTime reads a query date-time as KSeF does: RFC 3339 with an
// offset ("Z", "+01:00"), or without one as Polish wall-clock time.
func ParseQueryTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return invoice.FromPolishWallClock(t), nil
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 date-time (yyyy-MM-ddTHH:mm:ss, with Z, an offset, or none for Polish time); got %s", errs.Shape(s))
}

// InvoiceQueryAmount filters on an amount: type Brutto, Netto or Vat.
type InvoiceQueryAmount struct {
	Type string   `json:"type"`
	From *float64 `json:"from,omitempty"`
	To   *float64 `json:"to,omitempty"`
}

// InvoiceQueryBuyerID filters on the buyer: type Nip, VatUe, Other or
// None (then no value).
type InvoiceQueryBuyerID struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// InvoiceMetadata is the OpenAPI schema of that name: what the metadata
// query returns per invoice and an export's _metadata.json lists. The
// document's own facts are invoice.Meta (the fields core/invoice computes
// from the XML); the rest only KSeF knows.
type InvoiceMetadata struct {
	KSeFNumber             string `json:"ksefNumber"`
	InvoicingDate          Time   `json:"invoicingDate"`
	AcquisitionDate        Time   `json:"acquisitionDate"`
	PermanentStorageDate   Time   `json:"permanentStorageDate"`
	InvoicingMode          string `json:"invoicingMode"`
	HashOfCorrectedInvoice string `json:"hashOfCorrectedInvoice,omitempty"`
	invoice.Meta
}

func (m *InvoiceMetadata) validate() error {
	if m.KSeFNumber == "" || m.InvoiceHash == "" {
		return fmt.Errorf("ksefNumber or invoiceHash missing")
	}
	return nil
}

// InvoiceMetadataPage answers POST /invoices/query/metadata
// (QueryInvoicesMetadataResponse).
type InvoiceMetadataPage struct {
	HasMore     bool `json:"hasMore"`
	IsTruncated bool `json:"isTruncated"`
	// PermanentStorageHwmDate (dateType PermanentStorage only): below it the
	// data is complete and final.
	PermanentStorageHwmDate *Time             `json:"permanentStorageHwmDate,omitempty"`
	Invoices                []InvoiceMetadata `json:"invoices"`
}

func (r *InvoiceMetadataPage) validate() error {
	if r.Invoices == nil {
		return fmt.Errorf("invoices missing")
	}
	for i := range r.Invoices {
		if err := r.Invoices[i].validate(); err != nil {
			return fmt.Errorf("invoices[%d]: %w", i, err)
		}
	}
	return nil
}

// MetadataQuery is one request of the metadata query: the filters and one
// page (sortOrder Asc or Desc, pageOffset a page index from 0, pageSize
// 10–250; zero values are KSeF's defaults).
type MetadataQuery struct {
	Filters    *InvoiceQueryFilters
	SortOrder  string
	PageOffset int
	PageSize   int
}

// InvoiceExportRequest is the body of POST /invoices/exports.
type InvoiceExportRequest struct {
	Encryption   EncryptionInfo      `json:"encryption"`
	OnlyMetadata bool                `json:"onlyMetadata,omitempty"`
	Filters      InvoiceQueryFilters `json:"filters"`
	// CompressionType is Zip (KSeF's default) or TarGz.
	CompressionType string `json:"compressionType,omitempty"`
}

// ExportInvoicesResponse answers POST /invoices/exports.
type ExportInvoicesResponse struct {
	ReferenceNumber string `json:"referenceNumber"`
}

func (r *ExportInvoicesResponse) validate() error {
	if r.ReferenceNumber == "" {
		return fmt.Errorf("referenceNumber missing")
	}
	return nil
}

// InvoiceExportStatus answers GET /invoices/exports/{referenceNumber}.
// Status 100 in progress, 200 ready (Package), 210 expired, 415 the key
// could not be unwrapped, 420 the range lies beyond the high-water mark,
// 500, 550 cancelled by the system.
type InvoiceExportStatus struct {
	Status                StatusInfo      `json:"status"`
	CompletedDate         *Time           `json:"completedDate,omitempty"`
	PackageExpirationDate *Time           `json:"packageExpirationDate,omitempty"`
	Package               *InvoicePackage `json:"package,omitempty"`
}

func (r *InvoiceExportStatus) validate() error {
	if r.Status.Code == 0 {
		return fmt.Errorf("status.code missing")
	}
	if r.Status.Code == 200 && r.Package == nil {
		return fmt.Errorf("status 200 without a package")
	}
	return nil
}

// InvoicePackage describes a finished export: its parts, and where the
// next export of an incremental sync starts.
type InvoicePackage struct {
	InvoiceCount int                  `json:"invoiceCount"`
	Size         int64                `json:"size"`
	Parts        []InvoicePackagePart `json:"parts"`
	// IsTruncated: the 10 000-invoice or 1 GB limit cut the package; the
	// Last…Date of the filter's date type says where it stopped.
	IsTruncated              bool   `json:"isTruncated"`
	LastIssueDate            string `json:"lastIssueDate,omitempty"`
	LastInvoicingDate        *Time  `json:"lastInvoicingDate,omitempty"`
	LastPermanentStorageDate *Time  `json:"lastPermanentStorageDate,omitempty"`
	PermanentStorageHwmDate  *Time  `json:"permanentStorageHwmDate,omitempty"`
}

// InvoicePackagePart is one encrypted part: a pre-signed GET URL (no
// bearer token, not rate-limited, fresh on every status call), and the
// sizes and SHA-256 hashes of the part before and after encryption.
type InvoicePackagePart struct {
	OrdinalNumber     int    `json:"ordinalNumber"`
	PartName          string `json:"partName"`
	Method            string `json:"method"`
	URL               string `json:"url"`
	PartSize          int64  `json:"partSize"`
	PartHash          string `json:"partHash"`
	EncryptedPartSize int64  `json:"encryptedPartSize"`
	EncryptedPartHash string `json:"encryptedPartHash"`
	ExpirationDate    Time   `json:"expirationDate"`
}

// Invoice calls GET /invoices/ksef/{ksefNumber}: the invoice XML exactly as
// KSeF stores it, with x-ms-meta-hash checked. 21164: no such invoice (for
// this context); 21165: processed but not downloadable yet (retry later).
func (c *Client) Invoice(ctx context.Context, accessToken, ksefNumber string) (*Download, error) {
	const route = "GET /invoices/ksef/{ksefNumber}"
	res, err := c.Do(ctx, Call{
		Method: "GET", Path: "/invoices/ksef/" + PathEscape(ksefNumber), Route: route,
		Bearer: accessToken, Idempotent: true, Accept: "application/xml",
	}, nil)
	if err != nil {
		return nil, err
	}
	return checkedDownload(route, res.Header, res.Body)
}

// QueryInvoiceMetadata calls POST /invoices/query/metadata for one page.
// It only reads, so it is safe to repeat.
func (c *Client) QueryInvoiceMetadata(ctx context.Context, accessToken string, q MetadataQuery) (*InvoiceMetadataPage, error) {
	v := url.Values{}
	if q.SortOrder != "" {
		v.Set("sortOrder", q.SortOrder)
	}
	if q.PageOffset > 0 {
		v.Set("pageOffset", strconv.Itoa(q.PageOffset))
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	var out InvoiceMetadataPage
	_, err := c.Do(ctx, Call{
		Method: "POST", Path: "/invoices/query/metadata", Route: "POST /invoices/query/metadata", Query: v,
		Bearer: accessToken, JSON: q.Filters, Idempotent: true,
	}, &out)
	return &out, err
}

// ExportInvoices calls POST /invoices/exports. Not idempotent: a repeated
// request starts a second export (and spends one of the hour's 20).
func (c *Client) ExportInvoices(ctx context.Context, accessToken string, req *InvoiceExportRequest) (*ExportInvoicesResponse, error) {
	var out ExportInvoicesResponse
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/invoices/exports", Route: "POST /invoices/exports", Bearer: accessToken, JSON: req}, &out)
	return &out, err
}

// InvoiceExportStatus calls GET /invoices/exports/{referenceNumber}.
func (c *Client) InvoiceExportStatus(ctx context.Context, accessToken, ref string) (*InvoiceExportStatus, error) {
	var out InvoiceExportStatus
	_, err := c.Do(ctx, Call{
		Method: "GET", Path: "/invoices/exports/" + PathEscape(ref), Route: "GET /invoices/exports/{referenceNumber}",
		Bearer: accessToken, Idempotent: true,
	}, &out)
	return &out, err
}
