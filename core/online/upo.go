package online

import (
	"context"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/upo"
)

// UPODocument is one UPO (Urzędowe Poświadczenie Odbioru, KSeF's official
// receipt) as downloaded: the signed XML exactly as KSeF serves it.
type UPODocument struct {
	// ReferenceNumber is the UPO page's reference (session UPO) or the
	// invoice reference / KSeF number it was asked for (invoice UPO).
	ReferenceNumber string `json:"referenceNumber"`
	XML             []byte `json:"xml"`
	// SHA256 is Base64 SHA-256 of XML; HashChecked that KSeF's
	// x-ms-meta-hash was present and matched (a mismatch is an error).
	SHA256      string `json:"sha256"`
	HashChecked bool   `json:"hashChecked"`
	// Verified reports that the UPO's XAdES signature holds (core/upo);
	// Verification then says who signed it and holds the parsed receipt.
	// A UPO whose signature fails is still returned, with Verified false
	// and VerificationError saying why: the invoices are in KSeF either
	// way, but such a receipt proves nothing.
	Verified          bool              `json:"verified"`
	Verification      *upo.Verification `json:"verification,omitempty"`
	VerificationError *errs.Error       `json:"verificationError,omitempty"`
}

// verify checks the signature and parses the receipt.
func (d *UPODocument) verify(now time.Time) {
	v, err := upo.Verify(d.XML, upo.VerifyOptions{Now: now})
	if err != nil {
		d.VerificationError = errs.As(err)
		return
	}
	d.Verified, d.Verification = true, v
}

// SessionUPO downloads the pages of a processed session's UPO through the
// pre-signed URLs of its status (no bearer token goes there). A URL that
// expired meanwhile (403) is replaced by the API's own endpoint.
func (m *Sessions) SessionUPO(ctx context.Context, ref string, pages []api.UPOPage) ([]UPODocument, error) {
	out := make([]UPODocument, 0, len(pages))
	for _, p := range pages {
		d, err := m.cfg.API.PresignedGet(ctx, p.DownloadURL, "GET {upo.pages[].downloadUrl}")
		if err != nil && errs.As(err).HTTPStatus == 403 {
			m.cfg.Logger.Info("ksef UPO download URL expired; using the API endpoint", "session", ref, "upo", p.ReferenceNumber)
			d, err = m.upoFromAPI(ctx, ref, api.UPOSelector{UPOReferenceNumber: p.ReferenceNumber})
		}
		if err != nil {
			return nil, withRef(err, ref)
		}
		u := UPODocument{ReferenceNumber: p.ReferenceNumber, XML: d.Body, SHA256: d.SHA256, HashChecked: d.HashChecked}
		u.verify(m.clock(ctx).Now())
		out = append(out, u)
	}
	return out, nil
}

// InvoiceUPO downloads the UPO of one invoice of a session, by invoice
// reference or by KSeF number.
func (m *Sessions) InvoiceUPO(ctx context.Context, ref string, which api.UPOSelector) (*UPODocument, error) {
	if err := checkRef("referenceNumber", ref); err != nil {
		return nil, err
	}
	id := which.InvoiceReferenceNumber
	switch {
	case which.InvoiceReferenceNumber != "" && which.KSeFNumber != "", which.UPOReferenceNumber != "" && id+which.KSeFNumber != "":
		return nil, errs.Invalid("invoiceReferenceNumber", "name one invoice: invoiceReferenceNumber or ksefNumber, not both")
	case id != "":
		if err := checkRef("invoiceReferenceNumber", id); err != nil {
			return nil, err
		}
	case which.KSeFNumber != "":
		if err := ids.ValidateKSeFNumber(which.KSeFNumber); err != nil {
			return nil, errs.Wrap(errs.InputInvalid, err, "ksefNumber")
		}
		id = which.KSeFNumber
	case which.UPOReferenceNumber != "":
		if err := checkRef("upoReferenceNumber", which.UPOReferenceNumber); err != nil {
			return nil, err
		}
		id = which.UPOReferenceNumber
	default:
		return nil, errs.Invalid("invoiceReferenceNumber", "name the invoice: invoiceReferenceNumber or ksefNumber")
	}
	d, err := m.upoFromAPI(ctx, ref, which)
	if err != nil {
		return nil, withRef(err, ref)
	}
	u := &UPODocument{ReferenceNumber: id, XML: d.Body, SHA256: d.SHA256, HashChecked: d.HashChecked}
	u.verify(m.clock(ctx).Now())
	return u, nil
}

func (m *Sessions) upoFromAPI(ctx context.Context, ref string, which api.UPOSelector) (*api.Download, error) {
	tok, err := m.token(ctx)
	if err != nil {
		return nil, err
	}
	return m.cfg.API.UPO(ctx, tok, ref, which)
}
