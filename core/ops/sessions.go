package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/secret"
)

// NamedDocument is one invoice of a list: its bytes or file, and a label.
type NamedDocument struct {
	DocumentInput
	Name string `json:"name,omitempty" doc:"a label for reports (default: the file's base name)"`
}

// formCodeOf reads an optional form code name ("FA (3)" by default).
func formCodeOf(name string) (invoice.FormCode, error) {
	if name == "" {
		return invoice.FA3, nil
	}
	fc, err := invoice.LookupFormCode(name)
	if err != nil {
		// Not wrapped: invoice.LookupFormCode quotes the name (the echo rule).
		var names []string
		for _, f := range invoice.FormCodes() {
			names = append(names, f.SystemCode)
		}
		return fc, errs.Invalid("formCode", "unknown form code (%s); expected one of %s", errs.Shape(name), strings.Join(names, ", "))
	}
	return fc, nil
}

// OnlineOpenInput is the input of "sessions.online.open".
type OnlineOpenInput struct {
	FormCode string `json:"formCode,omitempty" doc:"FA (3) (default), FA (2), FA_RR (1), PEF (3) or PEF_KOR (3)"`
}

// OnlineSessionInfo describes an online session open on the client.
type OnlineSessionInfo struct {
	ReferenceNumber string           `json:"referenceNumber"`
	FormCode        invoice.FormCode `json:"formCode"`
	ValidUntil      time.Time        `json:"validUntil" doc:"KSeF closes the session by itself then (12 h after opening)"`
}

func infoOfSession(s *online.Session) *OnlineSessionInfo {
	return &OnlineSessionInfo{ReferenceNumber: s.ReferenceNumber(), FormCode: s.FormCode(), ValidUntil: s.ValidUntil()}
}

// OnlineSendInput is the input of "sessions.online.send".
type OnlineSendInput struct {
	ReferenceNumber string `json:"referenceNumber" doc:"an online session open on this client"`
	DocumentInput
	OfflineMode            bool   `json:"offlineMode,omitempty" doc:"the invoice was issued offline (offline24, outage, emergency)"`
	HashOfCorrectedInvoice string `json:"hashOfCorrectedInvoice,omitempty" doc:"technical correction: Base64 SHA-256 of the rejected original (needs offlineMode)"`
}

// SessionRefInput names a session.
type SessionRefInput struct {
	ReferenceNumber string `json:"referenceNumber"`
}

// WaitInput is the input of "sessions.wait".
type WaitInput struct {
	ReferenceNumber string `json:"referenceNumber"`
	NoUPO           bool   `json:"noUpo,omitempty" doc:"do not download the session UPO"`
	TimeoutMs       int64  `json:"timeoutMs,omitempty" doc:"give up waiting after (default: the client's sessionPollTimeoutMs); a timeout is resumable"`
}

// CloseInput is the input of "sessions.online.close".
type CloseInput struct {
	ReferenceNumber string `json:"referenceNumber"`
	Wait            bool   `json:"wait,omitempty" doc:"also wait until KSeF has processed the session, and return every invoice's result and the UPO"`
	NoUPO           bool   `json:"noUpo,omitempty" doc:"with wait: do not download the session UPO"`
	TimeoutMs       int64  `json:"timeoutMs,omitempty" doc:"with wait: give up waiting after (resumable)"`
}

// ProcessedResult answers "sessions.wait" and "sessions.online.close" with wait.
type ProcessedResult struct {
	online.Processed
	UPO      []online.UPODocument `json:"upo,omitempty" doc:"the session UPO's pages: {referenceNumber, xml (base64), sha256, hashChecked, verified, verification, verificationError}"`
	UPOError *errs.Error          `json:"upoError,omitempty" doc:"why the UPO could not be downloaded (the results stand; try sessions.upo later)"`
}

// CloseResult answers "sessions.online.close".
type CloseResult struct {
	ReferenceNumber string           `json:"referenceNumber"`
	Closed          bool             `json:"closed"`
	Processed       *ProcessedResult `json:"processed,omitempty" doc:"with wait"`
}

// SavedOnlineSession is an online session's exported state. SECRET: it
// holds the session's AES key. Its JSON is its purpose (the export), so it
// marshals the key; every printed form — fmt's verbs, String, GoString,
// slog — shows it redacted, and the key itself is a secret.Bytes.
type SavedOnlineSession struct {
	ReferenceNumber string                `json:"referenceNumber"`
	FormCode        invoice.FormCode      `json:"formCode"`
	ValidUntil      time.Time             `json:"validUntil"`
	OpenedAt        time.Time             `json:"openedAt,omitzero"`
	Context         ids.ContextIdentifier `json:"context"`
	Key             secret.Bytes          `json:"key" secret:"exported" doc:"the AES-256 session key, base64"`
	IV              []byte                `json:"iv" doc:"the initialization vector, base64"`
}

// MarshalJSON writes the key itself: this is the export the caller asked for.
func (s SavedOnlineSession) MarshalJSON() ([]byte, error) {
	type plain SavedOnlineSession
	return json.Marshal(struct {
		plain
		Key []byte `json:"key"`
	}{plain(s), s.Key.Reveal()})
}

func (s SavedOnlineSession) String() string {
	return "SavedOnlineSession{" + s.ReferenceNumber + ", valid until " + s.ValidUntil.Format(time.RFC3339) + ", key " + secret.Redacted + "}"
}
func (s SavedOnlineSession) GoString() string           { return s.String() }
func (s SavedOnlineSession) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
func (s SavedOnlineSession) LogValue() slog.Value       { return slog.StringValue(s.String()) }

// OnlineListResult answers "sessions.online.list".
type OnlineListResult struct {
	Sessions []OnlineSessionInfo `json:"sessions"`
}

// SessionsQueryInput is the input of "sessions.list".
type SessionsQueryInput struct {
	SessionType       string   `json:"sessionType" doc:"Online or Batch"`
	ReferenceNumber   string   `json:"referenceNumber,omitempty"`
	DateCreatedFrom   string   `json:"dateCreatedFrom,omitempty" doc:"RFC 3339"`
	DateCreatedTo     string   `json:"dateCreatedTo,omitempty"`
	DateClosedFrom    string   `json:"dateClosedFrom,omitempty"`
	DateClosedTo      string   `json:"dateClosedTo,omitempty"`
	DateModifiedFrom  string   `json:"dateModifiedFrom,omitempty"`
	DateModifiedTo    string   `json:"dateModifiedTo,omitempty"`
	Statuses          []string `json:"statuses,omitempty" doc:"InProgress, Succeeded, Failed, Cancelled"`
	PageSize          int      `json:"pageSize,omitempty" doc:"10–1000"`
	ContinuationToken string   `json:"continuationToken,omitempty"`
}

// InvoicesListInput is the input of "sessions.invoices.list".
type InvoicesListInput struct {
	ReferenceNumber   string `json:"referenceNumber"`
	Failed            bool   `json:"failed,omitempty" doc:"only the invoices that failed"`
	PageSize          int    `json:"pageSize,omitempty" doc:"10–1000"`
	ContinuationToken string `json:"continuationToken,omitempty"`
}

// InvoicesListResult answers "sessions.invoices.list".
type InvoicesListResult struct {
	Invoices          []online.InvoiceResult `json:"invoices"`
	ContinuationToken string                 `json:"continuationToken,omitempty" doc:"empty on the last page"`
}

// InvoiceRefInput names one invoice of a session.
type InvoiceRefInput struct {
	ReferenceNumber        string `json:"referenceNumber" doc:"the session"`
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber,omitempty"`
	KSeFNumber             string `json:"ksefNumber,omitempty" doc:"instead of invoiceReferenceNumber (UPO only)"`
}

// SessionUPOInput is the input of "sessions.upo".
type SessionUPOInput struct {
	ReferenceNumber    string `json:"referenceNumber"`
	UPOReferenceNumber string `json:"upoReferenceNumber,omitempty" doc:"one page; default every page the session status lists"`
}

// SessionUPOResult answers "sessions.upo".
type SessionUPOResult struct {
	Pages []online.UPODocument `json:"pages"`
}

// InvoicesSendInput is the input of "invoices.send".
type InvoicesSendInput struct {
	Invoices    []NamedDocument `json:"invoices" doc:"the documents, each {xml (base64) | path, name}"`
	FormCode    string          `json:"formCode,omitempty" doc:"FA (3) (default), FA (2), FA_RR (1), PEF (3), PEF_KOR (3)"`
	OfflineMode bool            `json:"offlineMode,omitempty"`
	SkipInvalid bool            `json:"skipInvalid,omitempty" doc:"report documents failing the local checks and send the rest (default: one invalid document stops the call before anything is sent)"`
	Resend550   int             `json:"resend550,omitempty" doc:"times an invoice cancelled by KSeF (550) is sent again (default 2, negative: never)"`
	Concurrency int             `json:"concurrency,omitempty" doc:"parallel sends (native only; default 1)"`
	NoUPO       bool            `json:"noUpo,omitempty" doc:"do not download the session UPO"`
	NoWait      bool            `json:"noWait,omitempty" doc:"send and close, then return at once with each invoice reference; wait later with sessions.wait"`
	TimeoutMs   int64           `json:"timeoutMs,omitempty" doc:"give up waiting for processing after (resumable with sessions.wait)"`
}

func withTimeout(ctx context.Context, ms int64) (context.Context, context.CancelFunc, error) {
	if ms < 0 {
		return ctx, func() {}, errs.Invalid("timeoutMs", "timeoutMs must not be negative")
	}
	if ms == 0 {
		return ctx, func() {}, nil
	}
	c, cancel := context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
	return c, cancel, nil
}

func processed(ctx context.Context, c *ksef.Client, p *online.Processed, noUPO bool) (*ProcessedResult, error) {
	r := &ProcessedResult{Processed: *p}
	if r.Invoices == nil {
		r.Invoices = []online.InvoiceResult{}
	}
	if noUPO || len(p.UPO) == 0 {
		return r, nil
	}
	upos, err := c.Online().SessionUPO(ctx, p.ReferenceNumber, p.UPO)
	r.UPO = upos
	if err != nil {
		r.UPOError = errs.As(err)
	}
	return r, nil
}

func init() {
	register("sessions.online.open", "Open an online session (POST /sessions/online) with a fresh AES-256 key that never leaves the core. Several sessions may be open at once.", true, true,
		func(ctx context.Context, c *ksef.Client, in *OnlineOpenInput) (*OnlineSessionInfo, error) {
			fc, err := formCodeOf(in.FormCode)
			if err != nil {
				return nil, err
			}
			s, err := c.OpenOnlineSession(ctx, online.OpenOptions{FormCode: fc})
			if err != nil {
				return nil, err
			}
			return infoOfSession(s), nil
		})
	register("sessions.online.send", "Check an invoice locally, encrypt it and send it into an open online session; answers its invoice reference and KOD I link. Retry-safe: a lost answer is resolved from the session's invoice list before anything is sent again.", true, true,
		func(ctx context.Context, c *ksef.Client, in *OnlineSendInput) (*online.Sent, error) {
			s, err := c.Online().Get(in.ReferenceNumber)
			if err != nil {
				return nil, err
			}
			doc, err := in.DocumentInput.Bytes(ctx)
			if err != nil {
				return nil, err
			}
			return s.Send(ctx, doc, online.SendOptions{OfflineMode: in.OfflineMode, HashOfCorrectedInvoice: in.HashOfCorrectedInvoice})
		}).HostFiles = true
	register("sessions.online.close", "Close an online session (KSeF then generates its UPO); with wait, also wait for processing and return every invoice's result and the UPO.", true, true,
		func(ctx context.Context, c *ksef.Client, in *CloseInput) (*CloseResult, error) {
			s, err := c.Online().Get(in.ReferenceNumber)
			if err != nil {
				return nil, err
			}
			if err := s.Close(ctx); err != nil {
				return nil, err
			}
			out := &CloseResult{ReferenceNumber: s.ReferenceNumber(), Closed: true}
			if !in.Wait {
				return out, nil
			}
			wctx, cancel, err := withTimeout(ctx, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			p, err := s.Wait(wctx)
			if err != nil {
				return nil, err
			}
			out.Processed, err = processed(ctx, c, p, in.NoUPO)
			return out, err
		})
	register("sessions.online.list", "The online sessions open on this client (no network call).", true, false,
		func(_ context.Context, c *ksef.Client, _ *Empty) (*OnlineListResult, error) {
			out := &OnlineListResult{Sessions: []OnlineSessionInfo{}}
			for _, s := range c.Online().List() {
				out.Sessions = append(out.Sessions, *infoOfSession(s))
			}
			return out, nil
		})
	register("sessions.online.export", "An open online session's state, for a service that must go on sending into or close it after a restart (SECRET: holds the session key; store it like a password).", true, false,
		func(_ context.Context, c *ksef.Client, in *SessionRefInput) (*SavedOnlineSession, error) {
			s, err := c.Online().Get(in.ReferenceNumber)
			if err != nil {
				return nil, err
			}
			st := s.State()
			return &SavedOnlineSession{
				ReferenceNumber: st.ReferenceNumber, FormCode: st.FormCode, ValidUntil: st.ValidUntil, OpenedAt: st.OpenedAt,
				Context: st.Context, Key: secret.NewBytes(st.Key.Reveal()), IV: st.IV,
			}, nil
		})
	register("sessions.online.restore", "Make an online session exported by sessions.online.export usable on this client again (send, close, wait).", true, false,
		func(_ context.Context, c *ksef.Client, in *SavedOnlineSession) (*OnlineSessionInfo, error) {
			s, err := c.Online().Restore(online.State{
				ReferenceNumber: in.ReferenceNumber, FormCode: in.FormCode, ValidUntil: in.ValidUntil, OpenedAt: in.OpenedAt,
				Context: in.Context, Key: secret.NewBytes(in.Key.Reveal()), IV: in.IV,
			}, time.Now())
			in.Key.Wipe()
			if err != nil {
				return nil, err
			}
			return infoOfSession(s), nil
		})
	register("sessions.status", "A session's status (GET /sessions/{referenceNumber}): online or batch, open on this client or not.", true, true,
		func(ctx context.Context, c *ksef.Client, in *SessionRefInput) (*api.SessionStatus, error) {
			return c.Online().Status(ctx, in.ReferenceNumber)
		})
	register("sessions.wait", "Wait until KSeF has processed a closed session, then return every invoice's result (KSeF number or typed failure) and the session UPO. A timeout is resumable: call again.", true, true,
		func(ctx context.Context, c *ksef.Client, in *WaitInput) (*ProcessedResult, error) {
			wctx, cancel, err := withTimeout(ctx, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			p, err := c.Online().WaitProcessed(wctx, in.ReferenceNumber)
			if err != nil {
				return nil, err
			}
			return processed(ctx, c, p, in.NoUPO)
		})
	register("sessions.list", "The context's sessions (GET /sessions) with filters, one page.", true, true,
		func(ctx context.Context, c *ksef.Client, in *SessionsQueryInput) (*api.SessionsPage, error) {
			switch in.SessionType {
			case "Online", "Batch":
			default:
				return nil, errs.Invalid("sessionType", "sessionType must be Online or Batch")
			}
			if in.PageSize != 0 && (in.PageSize < 10 || in.PageSize > 1000) {
				return nil, errs.Invalid("pageSize", "pageSize must be between 10 and 1000, got %d", in.PageSize)
			}
			tok, err := c.AccessToken(ctx)
			if err != nil {
				return nil, err
			}
			return c.API().Sessions(ctx, tok, api.SessionsQuery(*in))
		})
	register("sessions.invoices.list", "One page of a session's invoices with their results (or only the failed ones).", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoicesListInput) (*InvoicesListResult, error) {
			p, err := c.Online().InvoicesPage(ctx, in.ReferenceNumber, in.Failed, in.PageSize, in.ContinuationToken)
			if err != nil {
				return nil, err
			}
			out := &InvoicesListResult{Invoices: make([]online.InvoiceResult, 0, len(p.Invoices)), ContinuationToken: p.ContinuationToken}
			for i := range p.Invoices {
				out.Invoices = append(out.Invoices, c.Online().Result(in.ReferenceNumber, &p.Invoices[i]))
			}
			return out, nil
		})
	register("sessions.invoices.status", "One invoice's status and result within a session.", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoiceRefInput) (*online.InvoiceResult, error) {
			if in.KSeFNumber != "" {
				return nil, errs.Invalid("ksefNumber", "the status is asked by invoiceReferenceNumber")
			}
			inv, err := c.Online().Invoice(ctx, in.ReferenceNumber, in.InvoiceReferenceNumber)
			if err != nil {
				return nil, err
			}
			r := c.Online().Result(in.ReferenceNumber, inv)
			return &r, nil
		})
	register("sessions.invoices.upo", "One invoice's UPO (by invoice reference or KSeF number), with its x-ms-meta-hash checked.", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoiceRefInput) (*online.UPODocument, error) {
			return c.Online().InvoiceUPO(ctx, in.ReferenceNumber, api.UPOSelector{InvoiceReferenceNumber: in.InvoiceReferenceNumber, KSeFNumber: in.KSeFNumber})
		})
	register("sessions.upo", "A processed session's UPO pages (through the pre-signed URLs of its status, no bearer token), or one page.", true, true,
		func(ctx context.Context, c *ksef.Client, in *SessionUPOInput) (*SessionUPOResult, error) {
			if in.UPOReferenceNumber != "" {
				d, err := c.Online().InvoiceUPO(ctx, in.ReferenceNumber, api.UPOSelector{UPOReferenceNumber: in.UPOReferenceNumber})
				if err != nil {
					return nil, err
				}
				return &SessionUPOResult{Pages: []online.UPODocument{*d}}, nil
			}
			st, err := c.Online().Status(ctx, in.ReferenceNumber)
			if err != nil {
				return nil, err
			}
			if st.UPO == nil || len(st.UPO.Pages) == 0 {
				e := errs.New(errs.API, "session %s has no UPO yet (status %d %s): it appears once the session is closed and processed", in.ReferenceNumber, st.Status.Code, st.Status.Description)
				e.ReferenceNumber, e.Status, e.StatusDescription = in.ReferenceNumber, st.Status.Code, st.Status.Description
				return nil, e
			}
			pages, err := c.Online().SessionUPO(ctx, in.ReferenceNumber, st.UPO.Pages)
			return &SessionUPOResult{Pages: pages}, err
		})
	register("invoices.send", "Send invoices through one online session and wait: per invoice its KSeF number (or typed failure with KSeF's code, description and details) and KOD I link, plus the session UPO. Never loses or duplicates an invoice (see the README).", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoicesSendInput) (*online.Report, error) {
			fc, err := formCodeOf(in.FormCode)
			if err != nil {
				return nil, err
			}
			docs := make([]online.Document, len(in.Invoices))
			for i, d := range in.Invoices {
				b, err := d.load(ctx, fieldIndex("invoices", i)+".")
				if err != nil {
					return nil, err
				}
				name := d.Name
				if name == "" && d.Path != "" {
					name = filepath.Base(d.Path)
				}
				docs[i] = online.Document{Name: name, XML: b}
			}
			if in.Concurrency < 0 {
				return nil, errs.Invalid("concurrency", "concurrency must not be negative")
			}
			wctx, cancel, err := withTimeout(ctx, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			return c.SendInvoices(wctx, docs, online.SendAllOptions{
				FormCode: fc, SendOptions: online.SendOptions{OfflineMode: in.OfflineMode},
				SkipInvalid: in.SkipInvalid, Resend550: in.Resend550, Concurrency: in.Concurrency, NoUPO: in.NoUPO, NoWait: in.NoWait,
			})
		}).HostFiles = true
}

func fieldIndex(name string, i int) string { return name + "[" + strconv.Itoa(i) + "]" }
