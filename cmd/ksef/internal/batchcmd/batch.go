// Package batchcmd is `ksef batch`: send a directory (or files) of invoices
// in one batch session, resume one that was interrupted, and read a batch
// session's status and UPO.
package batchcmd

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/progress"
)

// NewCmd is the batch group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "batch", Short: "Batch sessions: thousands of invoices in one package"}
	cmd.AddCommand(newCmdSend(f), newCmdResume(f), newCmdStatus(f), newCmdUPO(f))
	return cmd
}

// source reads the positional arguments: one directory, or files.
func source(args []string) (ops.BatchSource, error) {
	if len(args) == 1 {
		if fi, err := os.Stat(args[0]); err == nil && fi.IsDir() {
			return ops.BatchSource{Dir: args[0]}, nil
		}
	}
	for _, a := range args {
		if fi, err := os.Stat(a); err == nil && fi.IsDir() {
			return ops.BatchSource{}, errs.Invalid("documents", "%s is a directory: give one directory, or files", a)
		}
	}
	return ops.BatchSource{Paths: args}, nil
}

// runFlags are the flags of send and resume alike.
func runFlags(cmd *cobra.Command, r *ops.BatchRun, upoDir *string) {
	cmd.Flags().StringVar(&r.StatePath, "state", "", "keep the batch's state (SECRET, mode 0600) in this `file` after every step: `ksef batch resume --state FILE` finishes a batch a crash interrupted")
	cmd.Flags().IntVar(&r.UploadConcurrency, "concurrency", 0, "parallel part uploads (default 4)")
	cmd.Flags().BoolVar(&r.NoWait, "no-wait", false, "return once the session is closed (check later: ksef batch status)")
	cmd.Flags().BoolVar(&r.NoUPO, "no-upo", false, "do not download the session UPO")
	cmd.Flags().StringVar(upoDir, "upo-dir", "", "write the session UPO's pages into this `directory`")
}

func newCmdSend(f *cmdutil.Factory) *cobra.Command {
	in := &ops.BatchSendInput{}
	var upoDir string
	var tarGz bool
	cmd := &cobra.Command{
		Use:   "send DIR | FILE…",
		Short: "Send invoices in one batch session and wait for every KSeF number",
		Long: `Sends every *.xml file of a directory (or the files named) in one batch session: each is checked
locally first (one invalid document stops the batch before anything is sent, unless --skip-invalid),
packed into a ZIP (or tar.gz) cut into encrypted parts of at most 100 MB, uploaded, and the session
closed and waited for. The report gives each file its KSeF number or the reason KSeF refused it.`,
		Example: `  ksef batch send ./invoices/2026-11 --state batch.json
  ksef batch send --tar-gz --skip-invalid FV-*.xml --json > report.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			src, err := source(args)
			if err != nil {
				return err
			}
			in.BatchSource = src
			if tarGz {
				in.Compression = string(batch.TarGz)
			}
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			show := newProgress(f)
			r, err := ops.Invoke[ops.BatchSendInput, batch.Report](progress.With(f.Ctx, show.report), f.Ops, c, "batch.send", in)
			show.done()
			return finish(f, r, err, upoDir)
		},
	}
	cmd.Flags().BoolVar(&tarGz, "tar-gz", false, "pack a tar.gz instead of a ZIP (smaller for many similar invoices)")
	cmd.Flags().StringVar(&in.FormCode, "form-code", "", "FA (3) (default), FA (2) or FA_RR (1)")
	cmd.Flags().IntVar(&in.Level, "level", 0, "Deflate level 1–9 (default 1 for ZIP, 6 for tar.gz)")
	cmd.Flags().BoolVar(&in.Store, "store", false, "pack the invoices uncompressed")
	cmd.Flags().Int64Var(&in.PartSize, "part-size", 0, "plaintext bytes per part, at most 100000000 (the default)")
	cmd.Flags().BoolVar(&in.SkipInvalid, "skip-invalid", false, "leave out invoices failing the local checks and send the others")
	cmd.Flags().BoolVar(&in.OfflineMode, "offline", false, "the invoices were issued offline")
	runFlags(cmd, &in.BatchRun, &upoDir)
	return cmd
}

func newCmdResume(f *cmdutil.Factory) *cobra.Command {
	in := &ops.BatchResumeInput{}
	var upoDir string
	cmd := &cobra.Command{
		Use:     "resume --state FILE DIR | FILE…",
		Short:   "Finish a batch that was interrupted: upload only the missing parts, close, wait",
		Example: `  ksef batch resume --state batch.json ./invoices/2026-11`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if in.StatePath == "" {
				return errs.Invalid("state", "--state names the batch's state file (from ksef batch send --state)")
			}
			src, err := source(args)
			if err != nil {
				return err
			}
			in.BatchSource = src
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			show := newProgress(f)
			r, err := ops.Invoke[ops.BatchResumeInput, batch.Report](progress.With(f.Ctx, show.report), f.Ops, c, "batch.resume", in)
			show.done()
			return finish(f, r, err, upoDir)
		},
	}
	runFlags(cmd, &in.BatchRun, &upoDir)
	return cmd
}

// finish writes the UPO pages asked for and renders the report (also when
// the batch failed after the session opened: it says how far it got).
func finish(f *cmdutil.Factory, r *batch.Report, err error, upoDir string) error {
	if r != nil && upoDir != "" {
		if werr := cmdutil.WriteUPOPages(upoDir, r.ReferenceNumber, r.UPOs); werr != nil && err == nil {
			err = werr
		}
	}
	if r == nil {
		return err
	}
	outcomes := make([]online.Outcome, len(r.Documents))
	for i, d := range r.Documents {
		outcomes[i] = d.Outcome
	}
	return cmdutil.RenderSent(f, r, human, err, r.ReferenceNumber, outcomes)
}

// human is the report for people: the session, the counts per outcome, the
// documents not in KSeF and why, the UPO.
func human(w io.Writer, r *batch.Report) {
	fmt.Fprintf(w, "batch %s: %d %s\n", r.ReferenceNumber, r.Status.Code, r.Status.Description)
	uploaded := 0
	for _, p := range r.Parts {
		if p.Uploaded {
			uploaded++
		}
	}
	fmt.Fprintf(w, "archive: %s, %d bytes in %d parts (%d uploaded)\n", r.Packing.Compression, r.Archive.Size, len(r.Parts), uploaded)
	counts := map[string]int{}
	for _, d := range r.Documents {
		counts[string(d.Outcome)]++
	}
	var outcomes []string
	for o, n := range counts {
		outcomes = append(outcomes, fmt.Sprintf("%d %s", n, o))
	}
	sort.Strings(outcomes)
	fmt.Fprintf(w, "documents: %s\n", strings.Join(outcomes, ", "))
	t := cmdutil.NewTable(w, "FILE", "OUTCOME", "KSEF NUMBER / REASON")
	for _, d := range r.Documents {
		if d.OK && d.Outcome == "accepted" {
			continue
		}
		why := cmdutil.Reason(d.KSeFNumber, d.OK, d.Result, d.Error)
		t.Row(d.Name, string(d.Outcome), why)
	}
	t.Flush()
	cmdutil.UPOLines(w, r.UPOs)
	if r.UPOError != nil {
		fmt.Fprintf(w, "UPO not downloaded: %s (ksef batch upo %s)\n", r.UPOError.Message, r.ReferenceNumber)
	}
}

func newCmdStatus(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use: "status REFERENCE", Short: "A batch session's status and invoice counts", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.SessionRefInput, api.SessionStatus](f.Ctx, f.Ops, c, "sessions.status", &ops.SessionRefInput{ReferenceNumber: args[0]})
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *api.SessionStatus) {
				fmt.Fprintf(w, "%d %s\n", r.Status.Code, r.Status.Description)
				for _, d := range r.Status.Details {
					fmt.Fprintf(w, "  %s\n", d)
				}
				if r.InvoiceCount != nil {
					fmt.Fprintf(w, "invoices: %d, successful %d, failed %d\n", *r.InvoiceCount, deref(r.SuccessfulInvoiceCount), deref(r.FailedInvoiceCount))
				}
				if r.UPO != nil {
					fmt.Fprintf(w, "UPO: %d pages (ksef batch upo %s)\n", len(r.UPO.Pages), args[0])
				}
			})
		},
	}
}

func newCmdUPO(f *cmdutil.Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use: "upo REFERENCE", Short: "Download and verify a processed batch session's UPO", Args: cobra.ExactArgs(1),
		Example: `  ksef batch upo 20261201-SB-… --out upo/`,
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.SessionUPOInput, ops.SessionUPOResult](f.Ctx, f.Ops, c, "sessions.upo", &ops.SessionUPOInput{ReferenceNumber: args[0]})
			if err != nil {
				return err
			}
			if dir != "" {
				if err := cmdutil.WriteUPOPages(dir, args[0], r.Pages); err != nil {
					return err
				}
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.SessionUPOResult) {
				if dir == "" && len(r.Pages) == 1 {
					w.Write(r.Pages[0].XML)
					return
				}
				cmdutil.UPOLines(w, r.Pages)
			})
		},
	}
	cmd.Flags().StringVar(&dir, "out", "", "write the pages into this `directory` (UPO-REFERENCE-N.xml)")
	return cmd
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
