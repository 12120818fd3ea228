package cmdutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/online"
)

// WriteUPOPages writes a session UPO's pages into dir as
// UPO-<session>-<page>.xml, the XML exactly as KSeF served it.
func WriteUPOPages(dir, session string, pages []online.UPODocument) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.Invalid("upo-dir", "cannot make the UPO directory: %v", err)
	}
	for i, p := range pages {
		name := filepath.Join(dir, fmt.Sprintf("UPO-%s-%d.xml", session, i+1))
		if err := os.WriteFile(name, p.XML, 0o644); err != nil {
			return errs.Invalid("upo-dir", "cannot write a UPO page: %v", err)
		}
	}
	return nil
}

// UPOLines says of each UPO page how many documents it lists and whether
// its signature holds — a UPO whose signature fails is no receipt.
func UPOLines(w io.Writer, pages []online.UPODocument) {
	for _, u := range pages {
		n := 0
		if u.Verification != nil && u.Verification.UPO != nil {
			n = len(u.Verification.UPO.Documents)
		}
		switch {
		case u.Verified:
			fmt.Fprintf(w, "UPO %s: %d documents, signature valid, signed by %s\n", u.ReferenceNumber, n, u.Verification.Signer.Subject)
		case u.VerificationError != nil:
			fmt.Fprintf(w, "UPO %s: signature NOT valid: %s\n", u.ReferenceNumber, u.VerificationError.Message)
		default:
			fmt.Fprintf(w, "UPO %s: signature NOT valid\n", u.ReferenceNumber)
		}
	}
}

// Reason is what a report line says of a document: its KSeF number when
// it is in KSeF, else why not — KSeF's status or the local error.
func Reason(ksefNumber string, ok bool, res *online.InvoiceResult, e *errs.Error) string {
	switch {
	case ok:
		return ksefNumber
	case e != nil:
		return e.Message
	case res != nil:
		return strings.TrimSpace(fmt.Sprintf("%d %s %s", res.Status.Code, res.Status.Description, strings.Join(res.Status.Details, "; ")))
	}
	return ""
}

// Missing counts the documents of a report that should be in KSeF and are
// not. Invalid ones do not count: a report only holds them when the caller
// asked to skip them (else nothing is sent), and it lists them. Nor do
// those still processing: only a --no-wait report has them.
func Missing(outcomes ...online.Outcome) int {
	n := 0
	for _, o := range outcomes {
		switch o {
		case online.Accepted, online.Duplicate, online.Invalid, online.Processing:
		default:
			n++
		}
	}
	return n
}

// RenderSent renders the report of a send (also of one that failed after
// the session opened: it says how far it got) and gives the command's
// error: the send's own, else — when the report names documents that are
// not in KSeF — an API error, so a script never takes exit 0 for "all
// issued".
func RenderSent[T any](f *Factory, r *T, human func(io.Writer, *T), err error, session string, outcomes []online.Outcome) error {
	if rerr := Render(f, r, human); rerr != nil {
		return rerr
	}
	if err != nil {
		return err
	}
	if n := Missing(outcomes...); n > 0 {
		return errs.New(errs.API, "%d of %d invoices are not in KSeF (session %s): see the report", n, len(outcomes), session)
	}
	return nil
}
