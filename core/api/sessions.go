package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"

	"github.com/ksefkit/ksefkit/core/errs"
)

// FormCode is the formCode triple of a session ("FA (3)", "1-0E", "FA").
type FormCode struct {
	SystemCode    string `json:"systemCode"`
	SchemaVersion string `json:"schemaVersion"`
	Value         string `json:"value"`
}

// EncryptionInfo carries the session key wrapped for KSeF and the IV.
type EncryptionInfo struct {
	EncryptedSymmetricKey string `json:"encryptedSymmetricKey"`
	InitializationVector  string `json:"initializationVector"`
	PublicKeyID           string `json:"publicKeyId,omitempty"`
}

// OpenOnlineSessionRequest is the body of POST /sessions/online.
type OpenOnlineSessionRequest struct {
	FormCode   FormCode       `json:"formCode"`
	Encryption EncryptionInfo `json:"encryption"`
}

// OpenOnlineSessionResponse answers POST /sessions/online.
type OpenOnlineSessionResponse struct {
	ReferenceNumber string `json:"referenceNumber"`
	ValidUntil      Time   `json:"validUntil"`
}

func (r *OpenOnlineSessionResponse) validate() error {
	if r.ReferenceNumber == "" || r.ValidUntil.IsZero() {
		return fmt.Errorf("referenceNumber or validUntil missing")
	}
	return nil
}

// SendInvoiceRequest is the body of POST /sessions/online/{ref}/invoices.
// The ciphertext stays raw bytes here; the request body is written by hand
// (appendSendInvoice) so a 1 MB invoice is Base64-encoded once, straight
// into the body, instead of through reflection and an intermediate copy.
type SendInvoiceRequest struct {
	InvoiceHash            string
	InvoiceSize            int64
	EncryptedInvoiceHash   string
	EncryptedInvoiceSize   int64
	EncryptedInvoice       []byte
	OfflineMode            bool
	HashOfCorrectedInvoice string
}

func appendJSONField(b []byte, name, value string, quote bool) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	if quote {
		b = append(b, '"')
		b = append(b, value...) // only Base64 text and digits: nothing to escape
		return append(b, '"')
	}
	return append(b, value...)
}

// body encodes the request as the OpenAPI's SendInvoiceRequest.
func (r *SendInvoiceRequest) body() []byte {
	enc := base64.StdEncoding
	b := make([]byte, 0, enc.EncodedLen(len(r.EncryptedInvoice))+320)
	b = append(b, '{')
	b = appendJSONField(b, "invoiceHash", r.InvoiceHash, true)
	b = append(b, ',')
	b = appendJSONField(b, "invoiceSize", strconv.FormatInt(r.InvoiceSize, 10), false)
	b = append(b, ',')
	b = appendJSONField(b, "encryptedInvoiceHash", r.EncryptedInvoiceHash, true)
	b = append(b, ',')
	b = appendJSONField(b, "encryptedInvoiceSize", strconv.FormatInt(r.EncryptedInvoiceSize, 10), false)
	b = append(b, `,"encryptedInvoiceContent":"`...)
	n := len(b)
	b = b[:n+enc.EncodedLen(len(r.EncryptedInvoice))]
	enc.Encode(b[n:], r.EncryptedInvoice)
	b = append(b, '"', ',')
	b = appendJSONField(b, "offlineMode", strconv.FormatBool(r.OfflineMode), false)
	if r.HashOfCorrectedInvoice != "" {
		b = append(b, ',')
		b = appendJSONField(b, "hashOfCorrectedInvoice", r.HashOfCorrectedInvoice, true)
	}
	return append(b, '}')
}

// SendInvoiceResponse answers POST /sessions/online/{ref}/invoices.
type SendInvoiceResponse struct {
	ReferenceNumber string `json:"referenceNumber"`
}

func (r *SendInvoiceResponse) validate() error {
	if r.ReferenceNumber == "" {
		return fmt.Errorf("referenceNumber missing")
	}
	return nil
}

// UPOPage is one page of a session UPO.
type UPOPage struct {
	ReferenceNumber           string `json:"referenceNumber"`
	DownloadURL               string `json:"downloadUrl"`
	DownloadURLExpirationDate Time   `json:"downloadUrlExpirationDate"`
}

// UPOInfo lists the pages of a session UPO.
type UPOInfo struct {
	Pages []UPOPage `json:"pages"`
}

// SessionStatus answers GET /sessions/{ref}.
type SessionStatus struct {
	Status                 StatusInfo `json:"status"`
	DateCreated            Time       `json:"dateCreated"`
	DateUpdated            Time       `json:"dateUpdated"`
	ValidUntil             *Time      `json:"validUntil,omitempty"`
	UPO                    *UPOInfo   `json:"upo,omitempty"`
	InvoiceCount           *int       `json:"invoiceCount,omitempty"`
	SuccessfulInvoiceCount *int       `json:"successfulInvoiceCount,omitempty"`
	FailedInvoiceCount     *int       `json:"failedInvoiceCount,omitempty"`
}

func (r *SessionStatus) validate() error {
	if r.Status.Code == 0 {
		return fmt.Errorf("status.code missing")
	}
	return nil
}

// SessionInvoice is one invoice's status within a session.
type SessionInvoice struct {
	OrdinalNumber                int        `json:"ordinalNumber"`
	InvoiceNumber                string     `json:"invoiceNumber,omitempty"`
	KSeFNumber                   string     `json:"ksefNumber,omitempty"`
	ReferenceNumber              string     `json:"referenceNumber"`
	InvoiceHash                  string     `json:"invoiceHash"`
	InvoiceFileName              string     `json:"invoiceFileName,omitempty"`
	AcquisitionDate              *Time      `json:"acquisitionDate,omitempty"`
	InvoicingDate                Time       `json:"invoicingDate"`
	PermanentStorageDate         *Time      `json:"permanentStorageDate,omitempty"`
	UPODownloadURL               string     `json:"upoDownloadUrl,omitempty"`
	UPODownloadURLExpirationDate *Time      `json:"upoDownloadUrlExpirationDate,omitempty"`
	InvoicingMode                string     `json:"invoicingMode,omitempty"`
	Status                       StatusInfo `json:"status"`
}

func (r *SessionInvoice) validate() error {
	if r.ReferenceNumber == "" || r.Status.Code == 0 {
		return fmt.Errorf("referenceNumber or status.code missing")
	}
	return nil
}

// SessionInvoicesPage answers GET /sessions/{ref}/invoices and …/failed.
type SessionInvoicesPage struct {
	ContinuationToken string           `json:"continuationToken,omitempty"`
	Invoices          []SessionInvoice `json:"invoices"`
}

func (r *SessionInvoicesPage) validate() error {
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

// SessionSummary is one item of GET /sessions.
type SessionSummary struct {
	ReferenceNumber        string     `json:"referenceNumber"`
	Status                 StatusInfo `json:"status"`
	DateCreated            Time       `json:"dateCreated"`
	DateUpdated            Time       `json:"dateUpdated"`
	ValidUntil             *Time      `json:"validUntil,omitempty"`
	TotalInvoiceCount      int        `json:"totalInvoiceCount"`
	SuccessfulInvoiceCount int        `json:"successfulInvoiceCount"`
	FailedInvoiceCount     int        `json:"failedInvoiceCount"`
}

// SessionsPage answers GET /sessions.
type SessionsPage struct {
	ContinuationToken string           `json:"continuationToken,omitempty"`
	Sessions          []SessionSummary `json:"sessions"`
}

func (r *SessionsPage) validate() error {
	if r.Sessions == nil {
		return fmt.Errorf("sessions missing")
	}
	return nil
}

// SessionsQuery are the filters of GET /sessions. SessionType (Online or
// Batch) is required by KSeF; dates are RFC 3339.
type SessionsQuery struct {
	SessionType       string
	ReferenceNumber   string
	DateCreatedFrom   string
	DateCreatedTo     string
	DateClosedFrom    string
	DateClosedTo      string
	DateModifiedFrom  string
	DateModifiedTo    string
	Statuses          []string
	PageSize          int
	ContinuationToken string
}

func continuation(token string) map[string][]string {
	if token == "" {
		return nil
	}
	return map[string][]string{"X-Continuation-Token": {token}}
}

// OpenOnlineSession calls POST /sessions/online. Not idempotent: a repeated
// request opens a second session.
func (c *Client) OpenOnlineSession(ctx context.Context, accessToken string, req *OpenOnlineSessionRequest) (*OpenOnlineSessionResponse, error) {
	var out OpenOnlineSessionResponse
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/sessions/online", Route: "POST /sessions/online", Bearer: accessToken, JSON: req}, &out)
	return &out, err
}

// SendInvoice calls POST /sessions/online/{ref}/invoices. Not idempotent:
// whether a lost answer means the invoice arrived is decided by the
// caller, from the session's invoice list.
func (c *Client) SendInvoice(ctx context.Context, accessToken, sessionRef string, req *SendInvoiceRequest) (*SendInvoiceResponse, error) {
	var out SendInvoiceResponse
	_, err := c.Do(ctx, Call{
		Method: "POST", Path: "/sessions/online/" + PathEscape(sessionRef) + "/invoices",
		Route: "POST /sessions/online/{referenceNumber}/invoices", Bearer: accessToken,
		Raw: req.body(), ContentType: "application/json",
	}, &out)
	return &out, err
}

// CloseOnlineSession calls POST /sessions/online/{ref}/close.
func (c *Client) CloseOnlineSession(ctx context.Context, accessToken, sessionRef string) error {
	_, err := c.Do(ctx, Call{
		Method: "POST", Path: "/sessions/online/" + PathEscape(sessionRef) + "/close",
		Route: "POST /sessions/online/{referenceNumber}/close", Bearer: accessToken,
	}, nil)
	return err
}

// SessionStatus calls GET /sessions/{ref}.
func (c *Client) SessionStatus(ctx context.Context, accessToken, sessionRef string) (*SessionStatus, error) {
	var out SessionStatus
	_, err := c.Do(ctx, Call{
		Method: "GET", Path: "/sessions/" + PathEscape(sessionRef), Route: "GET /sessions/{referenceNumber}",
		Bearer: accessToken, Idempotent: true,
	}, &out)
	return &out, err
}

// SessionInvoices calls GET /sessions/{ref}/invoices, or …/invoices/failed
// when failed is set (pageSize 10–1000, 0 for the server default).
func (c *Client) SessionInvoices(ctx context.Context, accessToken, sessionRef string, failed bool, pageSize int, continuationToken string) (*SessionInvoicesPage, error) {
	path, route := "/sessions/"+PathEscape(sessionRef)+"/invoices", "GET /sessions/{referenceNumber}/invoices"
	if failed {
		path, route = path+"/failed", route+"/failed"
	}
	var q url.Values
	if pageSize > 0 {
		q = url.Values{"pageSize": {strconv.Itoa(pageSize)}}
	}
	var out SessionInvoicesPage
	_, err := c.Do(ctx, Call{
		Method: "GET", Path: path, Route: route, Query: q, Bearer: accessToken, Idempotent: true,
		Header: continuation(continuationToken),
	}, &out)
	return &out, err
}

// SessionInvoice calls GET /sessions/{ref}/invoices/{invoiceRef}.
func (c *Client) SessionInvoice(ctx context.Context, accessToken, sessionRef, invoiceRef string) (*SessionInvoice, error) {
	var out SessionInvoice
	_, err := c.Do(ctx, Call{
		Method: "GET", Path: "/sessions/" + PathEscape(sessionRef) + "/invoices/" + PathEscape(invoiceRef),
		Route: "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}", Bearer: accessToken, Idempotent: true,
	}, &out)
	return &out, err
}

// Sessions calls GET /sessions.
func (c *Client) Sessions(ctx context.Context, accessToken string, q SessionsQuery) (*SessionsPage, error) {
	v := url.Values{"sessionType": {q.SessionType}}
	for name, val := range map[string]string{
		"referenceNumber": q.ReferenceNumber, "dateCreatedFrom": q.DateCreatedFrom, "dateCreatedTo": q.DateCreatedTo,
		"dateClosedFrom": q.DateClosedFrom, "dateClosedTo": q.DateClosedTo,
		"dateModifiedFrom": q.DateModifiedFrom, "dateModifiedTo": q.DateModifiedTo,
	} {
		if val != "" {
			v.Set(name, val)
		}
	}
	for _, s := range q.Statuses {
		v.Add("statuses", s)
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	var out SessionsPage
	_, err := c.Do(ctx, Call{
		Method: "GET", Path: "/sessions", Route: "GET /sessions", Query: v, Bearer: accessToken, Idempotent: true,
		Header: continuation(q.ContinuationToken),
	}, &out)
	return &out, err
}

// UPO downloads a UPO from the API: per invoice (invoiceRef, or ksefNumber
// when invoiceRef is empty) or a session UPO page (upoRef). Exactly one of
// the three must be given. The x-ms-meta-hash header is checked.
func (c *Client) UPO(ctx context.Context, accessToken, sessionRef string, which UPOSelector) (*Download, error) {
	base := "/sessions/" + PathEscape(sessionRef)
	var path, route string
	switch {
	case which.InvoiceReferenceNumber != "":
		path, route = base+"/invoices/"+PathEscape(which.InvoiceReferenceNumber)+"/upo", "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo"
	case which.KSeFNumber != "":
		path, route = base+"/invoices/ksef/"+PathEscape(which.KSeFNumber)+"/upo", "GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"
	case which.UPOReferenceNumber != "":
		path, route = base+"/upo/"+PathEscape(which.UPOReferenceNumber), "GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}"
	default:
		return nil, errs.New(errs.InputInvalid, "api.UPO: no invoice, KSeF number or UPO page given")
	}
	res, err := c.Do(ctx, Call{Method: "GET", Path: path, Route: route, Bearer: accessToken, Idempotent: true, Accept: "application/xml"}, nil)
	if err != nil {
		return nil, err
	}
	return checkedDownload(route, res.Header, res.Body)
}

// UPOSelector names one UPO document.
type UPOSelector struct {
	InvoiceReferenceNumber string
	KSeFNumber             string
	UPOReferenceNumber     string
}

// BatchFilePart declares one encrypted part of a batch archive.
type BatchFilePart struct {
	OrdinalNumber int    `json:"ordinalNumber"`
	FileSize      int64  `json:"fileSize"`
	FileHash      string `json:"fileHash"`
}

// BatchFile declares a batch archive: the plaintext archive's size and
// hash, its format, and its encrypted parts.
type BatchFile struct {
	FileSize        int64           `json:"fileSize"`
	FileHash        string          `json:"fileHash"`
	CompressionType string          `json:"compressionType,omitempty"`
	FileParts       []BatchFilePart `json:"fileParts"`
}

// OpenBatchSessionRequest is the body of POST /sessions/batch.
type OpenBatchSessionRequest struct {
	FormCode    FormCode       `json:"formCode"`
	BatchFile   BatchFile      `json:"batchFile"`
	Encryption  EncryptionInfo `json:"encryption"`
	OfflineMode bool           `json:"offlineMode"`
}

// PartUploadRequest tells how to upload one part: exactly this method, URL
// and headers (and no Authorization header: the URL is the credential).
type PartUploadRequest struct {
	OrdinalNumber int               `json:"ordinalNumber"`
	Method        string            `json:"method"`
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers"`
}

// OpenBatchSessionResponse answers POST /sessions/batch.
type OpenBatchSessionResponse struct {
	ReferenceNumber    string              `json:"referenceNumber"`
	PartUploadRequests []PartUploadRequest `json:"partUploadRequests"`
}

func (r *OpenBatchSessionResponse) validate() error {
	if r.ReferenceNumber == "" || len(r.PartUploadRequests) == 0 {
		return fmt.Errorf("referenceNumber or partUploadRequests missing")
	}
	for i, p := range r.PartUploadRequests {
		if p.OrdinalNumber < 1 || p.Method == "" || p.URL == "" {
			return fmt.Errorf("partUploadRequests[%d]: ordinalNumber, method or url missing", i)
		}
	}
	return nil
}

// OpenBatchSession calls POST /sessions/batch. Marked safe to repeat: a
// second session opened because an answer was lost processes nothing —
// its parts are never uploaded nor is it closed — and KSeF cancels it
// when its upload time runs out.
func (c *Client) OpenBatchSession(ctx context.Context, accessToken string, req *OpenBatchSessionRequest) (*OpenBatchSessionResponse, error) {
	var out OpenBatchSessionResponse
	_, err := c.Do(ctx, Call{Method: "POST", Path: "/sessions/batch", Route: "POST /sessions/batch", Bearer: accessToken, JSON: req, Idempotent: true}, &out)
	return &out, err
}

// CloseBatchSession calls POST /sessions/batch/{ref}/close, which starts
// the processing of the uploaded parts.
func (c *Client) CloseBatchSession(ctx context.Context, accessToken, sessionRef string) error {
	_, err := c.Do(ctx, Call{
		Method: "POST", Path: "/sessions/batch/" + PathEscape(sessionRef) + "/close",
		Route: "POST /sessions/batch/{referenceNumber}/close", Bearer: accessToken,
	}, nil)
	return err
}
