package ops

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
)

// DocumentInput carries a document as bytes: base64, like the certificate
// inputs, because what is checked, hashed and sent must be exactly the
// caller's bytes. A JSON string cannot carry bytes that are not UTF-8 —
// which the check must be able to see and report — and invites
// re-encoding on the way. Native callers may name a file instead.
type DocumentInput struct {
	XML  string `json:"xml,omitempty" doc:"base64 of the document's bytes, exactly as they are (or will be) sent"`
	Path string `json:"path,omitempty" doc:"a file to read instead of xml (libksef.so only: ksef.wasm has no filesystem)"`
}

// Bytes returns the document, from xml or path.
func (d DocumentInput) Bytes(ctx context.Context) ([]byte, error) { return d.load(ctx, "") }

// load reads the document; prefix places the field names in the input
// ("invoices[2]." for one document of a list). A path is read by the host
// (hostfs: the filesystem natively, a file event under ksef.wasm).
func (d DocumentInput) load(ctx context.Context, prefix string) ([]byte, error) {
	switch {
	case d.Path != "" && d.XML != "":
		return nil, errs.Invalid(prefix+"xml", "give either xml or path, not both")
	case d.Path != "":
		return readDocument(ctx, prefix+"path", d.Path)
	case d.XML != "":
		b, err := base64.StdEncoding.DecodeString(d.XML)
		if err != nil {
			return nil, errs.Invalid(prefix+"xml", "xml is not valid base64: %v", err)
		}
		return b, nil
	}
	return nil, errs.Invalid(prefix+"xml", "xml is required (base64 of the document's bytes), or path")
}

// readDocument reads a file (at most hostfs.MaxSize: KSeF's largest
// invoice is 3 MB). Messages name the field, not the path (the caller knows
// it; error texts travel into logs).
func readDocument(ctx context.Context, field, path string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(path), "<") {
		return nil, errs.Invalid(field, "path holds XML, not a file name: pass the document's bytes as xml (base64), exactly as they must be issued")
	}
	b, err := hostfs.ReadFile(ctx, path)
	if err != nil {
		return nil, errs.Invalid(field, "cannot read the file: %s", pathErr(err))
	}
	return b, nil
}

// pathErr describes a file error without repeating the path.
func pathErr(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// InvoiceCheckInput is the input of "invoices.check".
type InvoiceCheckInput struct {
	DocumentInput
	FormCode string `json:"formCode,omitempty" doc:"the session's form code: FA (3) (default), FA (2), FA_RR (1), PEF (3), PEF_KOR (3); spellings like fa3 are accepted"`
	Now      string `json:"now,omitempty" doc:"RFC 3339; P_1 must not be after this day in Poland (default now)"`
	MaxSize  int    `json:"maxSize,omitempty" doc:"size limit in bytes (default 1 000 000, or 3 000 000 with attachments)"`
}

// InvoiceFacts answers "invoices.check": what KSeF reads from the invoice.
type InvoiceFacts struct {
	invoice.Facts
	InvoiceHash string `json:"invoiceHash" doc:"Base64 SHA-256 of the bytes: KSeF's invoiceHash"`
}

// Kod1Input is the input of "invoices.kod1".
type Kod1Input struct {
	DocumentInput
	Environment string `json:"environment,omitempty" doc:"test, demo or prod (and their aliases); the QR base of that environment"`
	QRBase      string `json:"qrBase,omitempty" doc:"the QR verification base URL itself, instead of an environment"`
}

// Kod1Result answers "invoices.kod1".
type Kod1Result struct {
	URL       string `json:"url" doc:"KOD I: {qrBase}/invoice/{sellerNip}/{DD-MM-YYYY}/{Base64URL SHA-256}"`
	SellerNIP string `json:"sellerNip"`
	IssueDate string `json:"issueDate"`
	// InvoiceHash is the same digest as in the link, in the standard Base64
	// KSeF uses elsewhere.
	InvoiceHash string `json:"invoiceHash"`
}

func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, errs.Invalid("now", "now %q is not RFC 3339", s)
	}
	return t, nil
}

func qrBase(envName, base string) (string, error) {
	switch {
	case base != "" && envName != "":
		return "", errs.Invalid("qrBase", "give environment or qrBase, not both")
	case base != "":
		return base, nil
	case envName == "":
		return "", errs.Invalid("environment", "environment (test, demo, prod) or qrBase is required")
	}
	e, err := env.Lookup(envName)
	if err != nil {
		return "", err
	}
	return e.QRBase, nil
}

func init() {
	register("invoices.check", "Pre-flight check of an invoice: every rule KSeF would reject it on (XML 1.0 well-formed, UTF-8 without BOM, no other prolog encoding, no processing instructions or DOCTYPE, no W3C-discouraged code points, form code = namespace and KodFormularza, P_1 not in the future in Poland, NIP checksums, size), all reported at once as input.invalid findings \"field: message\"; or the facts KSeF reads.", false, false,
		func(ctx context.Context, _ *ksef.Client, in *InvoiceCheckInput) (*InvoiceFacts, error) {
			doc, err := in.Bytes(ctx)
			if err != nil {
				return nil, err
			}
			o := invoice.CheckOptions{MaxSize: in.MaxSize}
			if in.FormCode != "" {
				if o.FormCode, err = invoice.LookupFormCode(in.FormCode); err != nil {
					return nil, err
				}
			}
			if o.Now, err = parseNow(in.Now); err != nil {
				return nil, err
			}
			f, err := invoice.Check(doc, o)
			if err != nil {
				return nil, err
			}
			return &InvoiceFacts{Facts: *f, InvoiceHash: invoice.Hash(doc)}, nil
		}).HostFiles = true
	register("invoices.kod1", "KOD I, the verification link every invoice printout carries as a QR code: the seller NIP and P_1 read from the invoice, the SHA-256 of its exact bytes, under the environment's QR base. No rule is applied: the link is computed for any well-formed invoice.", false, false,
		func(ctx context.Context, _ *ksef.Client, in *Kod1Input) (*Kod1Result, error) {
			doc, err := in.Bytes(ctx)
			if err != nil {
				return nil, err
			}
			base, err := qrBase(in.Environment, in.QRBase)
			if err != nil {
				return nil, err
			}
			f, err := invoice.ReadFacts(doc)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(doc)
			url, err := invoice.VerificationLink(base, f.SellerNIP, f.IssueDate, sum)
			if err != nil {
				return nil, err
			}
			return &Kod1Result{URL: url, SellerNIP: f.SellerNIP, IssueDate: f.IssueDate, InvoiceHash: base64.StdEncoding.EncodeToString(sum[:])}, nil
		}).HostFiles = true
}
