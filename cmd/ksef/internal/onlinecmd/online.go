// Package onlinecmd is `ksef online`: an online session step by step —
// open it, send invoices into it (from as many commands as needed), read
// its status, close it and wait, download UPOs. Each command is its own
// process, so an open session's state (with its AES key: a secret) is kept
// between commands in $XDG_STATE_HOME/ksefkit/online/REF.json, mode 0600;
// closing removes it. For the whole job in one command: `ksef invoices send`.
package onlinecmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/ops"
)

// NewCmd is the online group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "online", Short: "Online sessions step by step: open, send, status, close, UPO"}
	cmd.AddCommand(newCmdOpen(f), newCmdSend(f), newCmdStatus(f), newCmdClose(f), newCmdUPO(f), newCmdList(f))
	return cmd
}

// statePath is where an open session's state waits for the next command.
func statePath(f *cmdutil.Factory, ref string) (string, error) {
	if strings.ContainsAny(ref, `/\`) || ref == "" || strings.HasPrefix(ref, ".") {
		return "", errs.Invalid("referenceNumber", "not a session reference number")
	}
	dir, err := f.StateDir("online")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, ref+".json"), nil
}

func keep(f *cmdutil.Factory, c *ksef.Client, ref string) error {
	st, err := ops.Invoke[ops.SessionRefInput, ops.SavedOnlineSession](f.Ctx, f.Ops, c, "sessions.online.export", &ops.SessionRefInput{ReferenceNumber: ref})
	if err != nil {
		return err
	}
	data, err := json.Marshal(st)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encoding the session state")
	}
	path, err := statePath(f, ref)
	if err != nil {
		return err
	}
	return cmdutil.WriteSecretFile(path, data)
}

// resume makes a session opened by an earlier command usable again.
func resume(f *cmdutil.Factory, c *ksef.Client, ref string) error {
	path, err := statePath(f, ref)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errs.Invalid("referenceNumber", "no open session %s is kept here: open one with `ksef online open` (a session closed or opened elsewhere cannot be sent into)", ref)
	}
	if err != nil {
		return errs.Wrap(errs.InputInvalid, err, "cannot read the kept session")
	}
	var st ops.SavedOnlineSession
	if err := json.Unmarshal(data, &st); err != nil {
		return errs.New(errs.InputInvalid, "the kept state of session %s is damaged: remove %s", ref, path)
	}
	_, err = ops.Invoke[ops.SavedOnlineSession, ops.OnlineSessionInfo](f.Ctx, f.Ops, c, "sessions.online.restore", &st)
	st.Key.Wipe()
	return err
}

func forget(f *cmdutil.Factory, ref string) {
	if path, err := statePath(f, ref); err == nil {
		os.Remove(path)
	}
}

func newCmdOpen(f *cmdutil.Factory) *cobra.Command {
	in := &ops.OnlineOpenInput{}
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Open an online session and keep it for the next commands",
		Example: `  REF=$(ksef online open --json | jq -r .referenceNumber)
  ksef online send "$REF" FV-1.xml FV-2.xml
  ksef online close "$REF" --wait`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			info, err := ops.Invoke[ops.OnlineOpenInput, ops.OnlineSessionInfo](f.Ctx, f.Ops, c, "sessions.online.open", in)
			if err != nil {
				return err
			}
			if err := keep(f, c, info.ReferenceNumber); err != nil {
				return err
			}
			return cmdutil.Render(f, info, func(w io.Writer, i *ops.OnlineSessionInfo) {
				fmt.Fprintf(w, "%s\n", i.ReferenceNumber)
				f.Note("online session %s (%s) open until %s", i.ReferenceNumber, i.FormCode.SystemCode, i.ValidUntil.Format("2006-01-02 15:04 MST"))
			})
		},
	}
	cmd.Flags().StringVar(&in.FormCode, "form-code", "", "FA (3) (default), FA (2), FA_RR (1), PEF (3) or PEF_KOR (3)")
	return cmd
}

// SendResult is what `online send` prints: one entry per file.
type SendResult struct {
	ReferenceNumber string         `json:"referenceNumber"`
	Sent            []*online.Sent `json:"sent"`
}

func newCmdSend(f *cmdutil.Factory) *cobra.Command {
	var offline bool
	cmd := &cobra.Command{
		Use:   "send REF FILE…",
		Short: "Check, encrypt and send invoice files into an open session",
		Long: `Each file is checked locally first (nothing goes out when one fails), then encrypted with the
session's key and sent. What is printed is each invoice's reference and KOD I link; the KSeF
numbers come with ` + "`ksef online close REF --wait`" + `. Sending is retry-safe: a lost answer is
resolved from the session's invoice list before anything is sent again.`,
		Example: `  ksef online send 20261201-SO-… FV-1.xml FV-2.xml`,
		Args:    cobra.MinimumNArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			ref := args[0]
			if err := resume(f, c, ref); err != nil {
				return err
			}
			out := &SendResult{ReferenceNumber: ref}
			for _, path := range args[1:] {
				sent, err := ops.Invoke[ops.OnlineSendInput, online.Sent](f.Ctx, f.Ops, c, "sessions.online.send",
					&ops.OnlineSendInput{ReferenceNumber: ref, DocumentInput: ops.DocumentInput{Path: path}, OfflineMode: offline})
				if err != nil {
					if len(out.Sent) > 0 {
						_ = cmdutil.Render(f, out, humanSent)
					}
					return err
				}
				out.Sent = append(out.Sent, sent)
			}
			return cmdutil.Render(f, out, humanSent)
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "the invoices were issued offline (offline24, outage, emergency)")
	return cmd
}

func humanSent(w io.Writer, r *SendResult) {
	t := cmdutil.NewTable(w, "INVOICE", "REFERENCE", "KOD I")
	for _, s := range r.Sent {
		t.Row(s.InvoiceNumber, s.InvoiceReferenceNumber, s.VerificationLink)
	}
	t.Flush()
}

func newCmdStatus(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "status REF",
		Short: "A session's status (online or batch) and its invoices' results so far",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			st, err := c.Online().Status(f.Ctx, args[0])
			if err != nil {
				return err
			}
			res, err := ops.Invoke[ops.InvoicesListInput, ops.InvoicesListResult](f.Ctx, f.Ops, c, "sessions.invoices.list", &ops.InvoicesListInput{ReferenceNumber: args[0], PageSize: 1000})
			if err != nil {
				return err
			}
			out := &StatusResult{Status: st, Invoices: res.Invoices}
			return cmdutil.Render(f, out, func(w io.Writer, r *StatusResult) {
				fmt.Fprintf(w, "session %s: %d %s\n", args[0], r.Status.Status.Code, r.Status.Status.Description)
				writeResults(w, r.Invoices)
			})
		},
	}
}

// StatusResult is what `online status` prints.
type StatusResult struct {
	Status   *api.SessionStatus     `json:"status"`
	Invoices []online.InvoiceResult `json:"invoices"`
}

func writeResults(w io.Writer, list []online.InvoiceResult) {
	t := cmdutil.NewTable(w, "#", "INVOICE", "OUTCOME", "KSEF NUMBER", "STATUS")
	for _, r := range list {
		st := fmt.Sprintf("%d %s", r.Status.Code, r.Status.Description)
		if len(r.Status.Details) > 0 {
			st += ": " + strings.Join(r.Status.Details, "; ")
		}
		t.Row(fmt.Sprint(r.OrdinalNumber), r.InvoiceNumber, string(r.Outcome), r.KSeFNumber, st)
	}
	t.Flush()
}

func newCmdClose(f *cmdutil.Factory) *cobra.Command {
	in := &ops.CloseInput{}
	var upoDir string
	cmd := &cobra.Command{
		Use:     "close REF",
		Short:   "Close a session (KSeF then makes its UPO); --wait for every invoice's KSeF number",
		Example: `  ksef online close 20261201-SO-… --wait --upo-dir ./upo`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in.ReferenceNumber = args[0]
			if err := resume(f, c, in.ReferenceNumber); err != nil {
				return err
			}
			r, err := ops.Invoke[ops.CloseInput, ops.CloseResult](f.Ctx, f.Ops, c, "sessions.online.close", in)
			if err != nil {
				return err
			}
			forget(f, in.ReferenceNumber)
			if r.Processed != nil && upoDir != "" {
				if err := cmdutil.WriteUPOPages(upoDir, r.ReferenceNumber, r.Processed.UPO); err != nil {
					return err
				}
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.CloseResult) {
				fmt.Fprintf(w, "session %s closed\n", r.ReferenceNumber)
				if p := r.Processed; p != nil {
					fmt.Fprintf(w, "%d %s: %d of %d invoices accepted\n", p.Status.Code, p.Status.Description, p.SuccessfulInvoiceCount, p.InvoiceCount)
					writeResults(w, p.Invoices)
					cmdutil.UPOLines(w, p.UPO)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&in.Wait, "wait", false, "wait until KSeF has processed the session; print every invoice's result and check the UPO")
	cmd.Flags().StringVar(&upoDir, "upo-dir", "", "with --wait: write the session UPO's pages into this `directory`")
	return cmd
}

func newCmdUPO(f *cmdutil.Factory) *cobra.Command {
	var invoiceRef, ksefNumber, page, out string
	cmd := &cobra.Command{
		Use:   "upo REF [--invoice REF | --ksef-number N | --page UPOREF] [--out FILE]",
		Short: "Download a UPO (KSeF's official receipt) and check its signature",
		Long: `Without a selector, every page of the session's UPO; with --invoice or --ksef-number, that invoice's
UPO. The XML is written to --out (or to stdout as it is, unless --json), and its XAdES signature
and x-ms-meta-hash are checked: a UPO that fails is reported, and the exit code is 1.`,
		Example: `  ksef online upo 20261201-SO-… --ksef-number 5265877635-20261201-0A1B2C3D4E5F-6A --out upo.xml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			var docs []online.UPODocument
			if invoiceRef != "" || ksefNumber != "" {
				d, err := ops.Invoke[ops.InvoiceRefInput, online.UPODocument](f.Ctx, f.Ops, c, "sessions.invoices.upo",
					&ops.InvoiceRefInput{ReferenceNumber: args[0], InvoiceReferenceNumber: invoiceRef, KSeFNumber: ksefNumber})
				if err != nil {
					return err
				}
				docs = []online.UPODocument{*d}
			} else {
				r, err := ops.Invoke[ops.SessionUPOInput, ops.SessionUPOResult](f.Ctx, f.Ops, c, "sessions.upo",
					&ops.SessionUPOInput{ReferenceNumber: args[0], UPOReferenceNumber: page})
				if err != nil {
					return err
				}
				docs = r.Pages
			}
			if out != "" {
				var all []byte
				for _, d := range docs {
					all = append(all, d.XML...)
				}
				if err := os.WriteFile(out, all, 0o644); err != nil {
					return errs.Invalid("out", "cannot write the UPO: %v", err)
				}
			}
			res := &UPOResult{Documents: docs}
			err = cmdutil.Render(f, res, func(w io.Writer, r *UPOResult) {
				if out == "" {
					for _, d := range r.Documents {
						w.Write(d.XML)
					}
					return
				}
				cmdutil.UPOLines(w, r.Documents)
			})
			if err != nil {
				return err
			}
			for _, d := range docs {
				if !d.Verified {
					return d.VerificationError
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&invoiceRef, "invoice", "", "the invoice's reference number")
	cmd.Flags().StringVar(&ksefNumber, "ksef-number", "", "the invoice's KSeF number")
	cmd.Flags().StringVar(&page, "page", "", "one page of the session UPO, by its reference")
	cmd.Flags().StringVar(&out, "out", "", "write the XML to this `file`")
	cmd.MarkFlagsMutuallyExclusive("invoice", "ksef-number", "page")
	return cmd
}

// UPOResult is what `online upo` prints with --json.
type UPOResult struct {
	Documents []online.UPODocument `json:"documents"`
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "The online sessions kept open here by `ksef online open`",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			dir, err := f.StateDir("online")
			if err != nil {
				return err
			}
			names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			out := &ListResult{Sessions: []ops.OnlineSessionInfo{}}
			for _, n := range names {
				data, err := os.ReadFile(n)
				if err != nil {
					continue
				}
				var st ops.SavedOnlineSession
				if json.Unmarshal(data, &st) == nil {
					st.Key.Wipe()
					out.Sessions = append(out.Sessions, ops.OnlineSessionInfo{ReferenceNumber: st.ReferenceNumber, FormCode: st.FormCode, ValidUntil: st.ValidUntil})
				}
			}
			return cmdutil.Render(f, out, func(w io.Writer, r *ListResult) {
				t := cmdutil.NewTable(w, "SESSION", "FORM", "OPEN UNTIL")
				for _, s := range r.Sessions {
					t.Row(s.ReferenceNumber, s.FormCode.SystemCode, s.ValidUntil.Format("2006-01-02 15:04 MST"))
				}
				t.Flush()
			})
		},
	}
}

// ListResult is what `online list` prints.
type ListResult struct {
	Sessions []ops.OnlineSessionInfo `json:"sessions"`
}
