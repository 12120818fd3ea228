package invoicescmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/ops"
)

// newCmdSend is the one-shot online send: the files go through one online
// session and the command waits for their KSeF numbers and the UPO, as
// invoices.send does for the bindings. `ksef online …` is the same step
// by step, `ksef batch send` the same for thousands.
func newCmdSend(f *cmdutil.Factory) *cobra.Command {
	in := &ops.InvoicesSendInput{}
	var upoDir string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "send FILE…",
		Short: "Send invoice files through one online session and wait for their KSeF numbers and the UPO",
		Long: `Each file is checked locally first (one invalid file stops the command before anything is sent,
unless --skip-invalid), then encrypted and sent exactly as it is — the bytes are never re-serialised.
The session is closed and waited for; the report gives each file its KSeF number or KSeF's reason,
and the session UPO (KSeF's official receipt) is downloaded and its signature checked.

Sending is retry-safe: a lost answer is resolved from the session's invoice list before anything is
sent again, and an invoice KSeF cancelled (550) is sent again (--resend-550). The exit code is 0 only
when every file sent is in KSeF (accepted, or a duplicate of one that is); 1 when KSeF rejected any.
A --timeout that passes while KSeF still works leaves the session to ` + "`ksef online close REF --wait`" + `.`,
		Example: `  ksef invoices send FV-2026-12-001.xml FV-2026-12-002.xml --upo-dir ./upo
  ksef invoices send --skip-invalid ./out/*.xml --json > report.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if timeout < 0 {
				return errs.Invalid("timeout", "--timeout must not be negative")
			}
			in.TimeoutMs = timeout.Milliseconds()
			in.Invoices = make([]ops.NamedDocument, len(args))
			for i, p := range args {
				// A missing file is reported before authenticating; what
				// a file holds is checked by the operation, before anything
				// is sent.
				// (Named by position, not quoted: the echo rule, errs.Shape.)
				if fi, err := os.Stat(p); err != nil {
					return errs.Invalid(fmt.Sprintf("invoices[%d].path", i), "file %d of %d: cannot read it: %v", i+1, len(args), errors.Unwrap(err))
				} else if !fi.Mode().IsRegular() {
					return errs.Invalid(fmt.Sprintf("invoices[%d].path", i), "file %d of %d is not a regular file", i+1, len(args))
				}
				in.Invoices[i] = ops.NamedDocument{DocumentInput: ops.DocumentInput{Path: p}, Name: p}
			}
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.InvoicesSendInput, online.Report](f.Ctx, f.Ops, c, "invoices.send", in)
			if r == nil {
				return err
			}
			if upoDir != "" && len(r.UPOs) > 0 {
				if werr := cmdutil.WriteUPOPages(upoDir, r.ReferenceNumber, r.UPOs); werr != nil && err == nil {
					err = werr
				}
			}
			outcomes := make([]online.Outcome, len(r.Documents))
			for i, d := range r.Documents {
				outcomes[i] = d.Outcome
			}
			return cmdutil.RenderSent(f, r, humanReport, err, r.ReferenceNumber, outcomes)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.FormCode, "form-code", "", "FA (3) (default), FA (2), FA_RR (1), PEF (3) or PEF_KOR (3)")
	fl.BoolVar(&in.OfflineMode, "offline", false, "the invoices were issued offline (offline24, outage, emergency)")
	fl.BoolVar(&in.SkipInvalid, "skip-invalid", false, "report files failing the local checks and send the others")
	fl.IntVar(&in.Resend550, "resend-550", 0, "times an invoice KSeF cancelled (550) is sent again (default 2, negative: never)")
	fl.IntVar(&in.Concurrency, "concurrency", 0, "parallel sends (default 1)")
	fl.BoolVar(&in.NoWait, "no-wait", false, "send and close, then return each invoice's reference (wait later: ksef online close REF --wait)")
	fl.BoolVar(&in.NoUPO, "no-upo", false, "do not download the session UPO")
	fl.StringVar(&upoDir, "upo-dir", "", "write the session UPO's pages into this `directory` (UPO-SESSION-N.xml)")
	fl.DurationVar(&timeout, "timeout", 0, "stop waiting for KSeF after this long (the session stays; default: the client's)")
	return cmd
}

// humanReport is the online send report for people: the session, every
// file with its KSeF number or the reason it is not in KSeF, the UPO.
func humanReport(w io.Writer, r *online.Report) {
	// Counted from the documents, not KSeF's successfulInvoiceCount: KSeF
	// counts a duplicate (440) as failed, yet it is in KSeF.
	in := 0
	for _, d := range r.Documents {
		if d.OK {
			in++
		}
	}
	fmt.Fprintf(w, "session %s: %d %s — %d of %d invoices in KSeF\n", r.ReferenceNumber, r.Status.Code, r.Status.Description, in, len(r.Documents))
	t := cmdutil.NewTable(w, "FILE", "OUTCOME", "KSEF NUMBER / REASON")
	for _, d := range r.Documents {
		why := cmdutil.Reason(d.KSeFNumber, d.OK, d.Result, d.Error)
		if why == "" && d.Sent != nil {
			why = "reference " + d.Sent.InvoiceReferenceNumber
		}
		t.Row(d.Name, string(d.Outcome), why)
	}
	t.Flush()
	cmdutil.UPOLines(w, r.UPOs)
	if r.UPOError != nil {
		fmt.Fprintf(w, "UPO not downloaded: %s (ksef online upo %s)\n", r.UPOError.Message, r.ReferenceNumber)
	}
}
