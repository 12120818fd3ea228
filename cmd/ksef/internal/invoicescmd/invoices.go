// Package invoicescmd is `ksef invoices send|get|query|export|sync`:
// invoices into KSeF through one online session, and out of KSeF — one by
// KSeF number, the metadata query, the encrypted export, and the
// incremental sync into a directory.
package invoicescmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/receive"
)

// NewCmd is the invoices group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "invoices", Short: "Invoices into and out of KSeF: send, download, query, export, sync"}
	cmd.AddCommand(newCmdSend(f), newCmdGet(f), newCmdQuery(f), newCmdExport(f), newCmdSync(f))
	return cmd
}

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	in := &ops.InvoiceGetInput{}
	cmd := &cobra.Command{
		Use:   "get KSEF_NUMBER",
		Short: "Download an invoice exactly as KSeF stores it (to stdout, or --out FILE)",
		Example: `  ksef invoices get 5265877635-20260115-0A1B2C3D4E5F-7A > invoice.xml
  ksef invoices get 5265877635-20260115-0A1B2C3D4E5F-7A --out invoice.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in.KSeFNumber = args[0]
			r, err := ops.Invoke[ops.InvoiceGetInput, ops.InvoiceGetResult](f.Ctx, f.Ops, c, "invoices.get", in)
			if err != nil {
				return err
			}
			if r.Path != "" {
				f.Note("%s: %d bytes written to %s (SHA-256 %s)", r.KSeFNumber, r.Size, r.Path, r.SHA256)
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.InvoiceGetResult) { w.Write(r.XML) })
		},
	}
	cmd.Flags().StringVarP(&in.Path, "out", "o", "", "write the XML to this file")
	return cmd
}

// filterFlags are the InvoiceQueryFilters as flags.
type filterFlags struct {
	f                          api.InvoiceQueryFilters
	from, to                   string
	amountType                 string
	amountFrom, amountTo       float64
	buyerType, buyerID         string
	selfInvoicing, attachments bool
}

func (ff *filterFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&ff.f.SubjectType, "subject", "Subject2", "who you are on the invoices: "+strings.Join(receive.SubjectTypes, ", "))
	fs.StringVar(&ff.f.DateRange.DateType, "date-type", "PermanentStorage", "the date the range applies to: "+strings.Join(receive.DateTypes, ", "))
	fs.StringVar(&ff.from, "from", "", "start of the range: RFC 3339, a date-time without offset (Polish time) or YYYY-MM-DD (required)")
	fs.StringVar(&ff.to, "to", "", "end of the range (default now; at most 3 months after --from)")
	fs.BoolVar(&ff.f.DateRange.RestrictToPermanentStorageHwmDate, "restrict-hwm", false, "cap the range at KSeF's high-water mark (date type PermanentStorage)")
	fs.StringVar(&ff.f.KSeFNumber, "ksef-number", "", "this KSeF number only")
	fs.StringVar(&ff.f.InvoiceNumber, "invoice-number", "", "this invoice number (P_2) only")
	fs.StringVar(&ff.f.SellerNIP, "seller-nip", "", "this seller only")
	fs.StringVar(&ff.buyerType, "buyer-type", "", "buyer identifier type: "+strings.Join(receive.BuyerIDTypes, ", "))
	fs.StringVar(&ff.buyerID, "buyer-id", "", "buyer identifier value (with --buyer-type)")
	fs.StringSliceVar(&ff.f.CurrencyCodes, "currency", nil, "currency codes (repeatable)")
	fs.StringVar(&ff.f.InvoicingMode, "invoicing-mode", "", "Online or Offline")
	fs.BoolVar(&ff.selfInvoicing, "self-invoicing", false, "self-invoiced only (--self-invoicing=false: none of them)")
	fs.StringVar(&ff.f.FormType, "form-type", "", "FA, PEF or FA_RR")
	fs.StringSliceVar(&ff.f.InvoiceTypes, "invoice-type", nil, "invoice types (repeatable): "+strings.Join(receive.InvoiceTypes, ", "))
	fs.BoolVar(&ff.attachments, "has-attachment", false, "with an attachment only (--has-attachment=false: without)")
	fs.StringVar(&ff.amountType, "amount-type", "", "Brutto, Netto or Vat, for --amount-from/--amount-to")
	fs.Float64Var(&ff.amountFrom, "amount-from", 0, "lowest amount")
	fs.Float64Var(&ff.amountTo, "amount-to", 0, "highest amount")
}

// parseWhen reads a flag's instant: RFC 3339, without offset (Polish
// time), or a date (its midnight in Poland).
func parseWhen(flag, v string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		v = d.Format("2006-01-02T15:04:05")
	}
	t, err := api.ParseQueryTime(v)
	if err != nil {
		return t, errs.Invalid(flag, "--%s: %v", flag, err)
	}
	return t, nil
}

func (ff *filterFlags) filters(fs *pflag.FlagSet) (api.InvoiceQueryFilters, error) {
	f := ff.f
	if ff.from == "" {
		return f, errs.Invalid("from", "--from is required")
	}
	var err error
	if f.DateRange.From, err = parseWhen("from", ff.from); err != nil {
		return f, err
	}
	if ff.to != "" {
		to, err := parseWhen("to", ff.to)
		if err != nil {
			return f, err
		}
		f.DateRange.To = &to
	}
	if ff.buyerType != "" || ff.buyerID != "" {
		f.BuyerIdentifier = &api.InvoiceQueryBuyerID{Type: ff.buyerType, Value: ff.buyerID}
	}
	if fs.Changed("self-invoicing") {
		f.IsSelfInvoicing = &ff.selfInvoicing
	}
	if fs.Changed("has-attachment") {
		f.HasAttachment = &ff.attachments
	}
	if ff.amountType != "" || fs.Changed("amount-from") || fs.Changed("amount-to") {
		f.Amount = &api.InvoiceQueryAmount{Type: ff.amountType}
		if fs.Changed("amount-from") {
			f.Amount.From = &ff.amountFrom
		}
		if fs.Changed("amount-to") {
			f.Amount.To = &ff.amountTo
		}
	}
	return f, nil
}

func writeMetadata(w io.Writer, list []receive.Metadata) {
	t := cmdutil.NewTable(w, "KSEF NUMBER", "INVOICE NUMBER", "ISSUED", "SELLER", "BUYER", "GROSS", "CURRENCY", "TYPE", "STORED")
	for _, m := range list {
		t.Row(m.KSeFNumber, m.InvoiceNumber, m.IssueDate, m.Seller.NIP, m.Buyer.Identifier.Value, fmt.Sprintf("%.2f", m.GrossAmount), m.Currency, m.InvoiceType, m.PermanentStorageDate.Format(time.RFC3339))
	}
	t.Flush()
}

func newCmdQuery(f *cmdutil.Factory) *cobra.Command {
	ff := &filterFlags{}
	in := &ops.InvoicesQueryInput{}
	var all bool
	cmd := &cobra.Command{
		Use:   "query --from DATE [filters]",
		Short: "Query invoice metadata: one page, or --all of it",
		Long: `Queries the metadata of the invoices the filters select (POST /invoices/query/metadata).
One page is printed with the cursor of the next (pass it back with --cursor and the same
filters); --all follows the cursors to the end. Past KSeF's 10 000 records per filter set the
cursor narrows the range itself; no record comes twice. Mind KSeF's 20 queries an hour.`,
		Example: `  ksef invoices query --from 2026-01-01 --to 2026-01-31
  ksef invoices query --subject Subject1 --from 2026-01-01 --invoice-type Vat --all --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filters, err := ff.filters(cmd.Flags())
			if err != nil {
				return err
			}
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in.Filters = filters
			page := &receive.Page{Invoices: []receive.Metadata{}}
			for {
				p, err := ops.Invoke[ops.InvoicesQueryInput, receive.Page](f.Ctx, f.Ops, c, "invoices.query", in)
				if err != nil {
					return err
				}
				page.Invoices, page.Cursor, page.PermanentStorageHwmDate = append(page.Invoices, p.Invoices...), p.Cursor, p.PermanentStorageHwmDate
				if !all || p.Cursor == "" {
					break
				}
				in.Cursor = p.Cursor
			}
			return cmdutil.Render(f, page, func(w io.Writer, p *receive.Page) {
				writeMetadata(w, p.Invoices)
				if p.Cursor != "" {
					fmt.Fprintf(w, "\nmore: --cursor %s\n", p.Cursor)
				}
			})
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().StringVar(&in.SortOrder, "sort", "", "Asc (default) or Desc")
	cmd.Flags().IntVar(&in.PageSize, "page-size", 0, "records per request, 10–250 (default 250)")
	cmd.Flags().StringVar(&in.Cursor, "cursor", "", "continue after the page that printed it")
	cmd.Flags().BoolVar(&all, "all", false, "follow the cursors to the last page")
	return cmd
}

func newCmdExport(f *cmdutil.Factory) *cobra.Command {
	ff := &filterFlags{}
	in := &ops.InvoicesExportInput{}
	cmd := &cobra.Command{
		Use:   "export --from DATE (--out FILE | --dir DIR) [filters]",
		Short: "Export invoices: one encrypted package, decrypted into a ZIP or a directory",
		Long: `Starts an export (POST /invoices/exports) with a fresh key, waits for KSeF's package,
downloads and decrypts every part (each checked against its hashes) and writes the ZIP to
--out, or extracts it into --dir ({ksefNumber}.xml per invoice and _metadata.json). KSeF
puts at most 10 000 invoices (1 GB) in a package; a truncated one says where to go on.`,
		Example: `  ksef invoices export --from 2026-01-01 --to 2026-01-31 --out january.zip
  ksef invoices export --from 2026-01-01 --restrict-hwm --dir inbox/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filters, err := ff.filters(cmd.Flags())
			if err != nil {
				return err
			}
			if in.Path == "" && in.Dir == "" {
				return errs.Invalid("out", "name --out FILE or --dir DIR")
			}
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			in.Filters = filters
			bar := newProgress(f, "download")
			defer bar.done()
			r, err := ops.Invoke[ops.InvoicesExportInput, ops.InvoicesExportResult](progress.With(f.Ctx, bar.report), f.Ops, c, "invoices.export", in)
			bar.done()
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.InvoicesExportResult) {
				where := r.Path
				if where == "" {
					where = r.Dir
				}
				fmt.Fprintf(w, "export %s: %d invoices, %d bytes in %d parts → %s\n", r.ReferenceNumber, r.Package.InvoiceCount, r.Package.Size, len(r.Package.Parts), where)
				if r.Package.IsTruncated && r.Package.LastPermanentStorageDate != nil {
					fmt.Fprintf(w, "truncated: export again --from %s\n", r.Package.LastPermanentStorageDate.Format(time.RFC3339Nano))
				} else if r.Package.IsTruncated {
					fmt.Fprintln(w, "truncated by KSeF's limits: export again from the last invoice's date")
				}
			})
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().StringVarP(&in.Path, "out", "o", "", "write the decrypted package (ZIP) here")
	cmd.Flags().StringVar(&in.Dir, "dir", "", "extract the package into this directory")
	cmd.Flags().BoolVar(&in.OnlyMetadata, "only-metadata", false, "only _metadata.json, no invoices")
	cmd.Flags().Var(msValue{&in.TimeoutMs}, "timeout", "give up waiting for the package after (resumable)")
	return cmd
}

func newCmdSync(f *cmdutil.Factory) *cobra.Command {
	in := &ops.SyncInput{}
	var since string
	cmd := &cobra.Command{
		Use:   "sync --state FILE --dir DIR",
		Short: "Bring new invoices into a directory, incrementally (KSeF's high-water mark)",
		Long: `Exports, window by window, every invoice KSeF has stored for the context since the last run
(--since on the first), writes each as {ksefNumber}.xml with its metadata as {ksefNumber}.json
into --dir, and moves the state in --state on (atomically) only once a window's files are on
disk: a run that is interrupted brings that window again next time, never loses one. KSeF
allows 20 exports an hour; the sync waits for them rather than fail.`,
		Example: `  ksef invoices sync --state sync.json --dir inbox/ --since 2026-01-01
  ksef invoices sync --state sync.json --dir inbox/ --subject Subject1 --subject Subject2`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if in.StatePath == "" {
				return errs.Invalid("state", "--state FILE is required: the sync keeps its place there")
			}
			if since != "" {
				t, err := parseWhen("since", since)
				if err != nil {
					return err
				}
				in.Since = t
			}
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			bar := newProgress(f, "sync")
			defer bar.done()
			r, err := ops.Invoke[ops.SyncInput, ops.SyncResult](progress.With(f.Ctx, bar.report), f.Ops, c, "invoices.sync", in)
			bar.done()
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, func(w io.Writer, r *ops.SyncResult) {
				fmt.Fprintf(w, "%d new invoice%s in %d window%s → %s\n", r.Delivered, plural(r.Delivered), len(r.Windows), plural(int64(len(r.Windows))), in.Dir)
				if !r.CaughtUp {
					fmt.Fprintln(w, "not caught up yet: run again")
				}
			})
		},
	}
	cmd.Flags().StringVar(&in.StatePath, "state", "", "the sync state's file")
	cmd.Flags().StringVar(&in.Dir, "dir", "", "where the invoices go")
	cmd.Flags().StringSliceVar(&in.SubjectTypes, "subject", nil, "subject types to sync (repeatable; default Subject2)")
	cmd.Flags().StringVar(&since, "since", "", "where a first sync starts (default 30 days ago)")
	cmd.Flags().BoolVar(&in.OnlyMetadata, "only-metadata", false, "metadata only, no XML")
	cmd.Flags().IntVar(&in.MaxWindows, "max-windows", 0, "stop after this many windows")
	cmd.Flags().Var(msValue{&in.TimeoutMs}, "timeout", "stop after (the state keeps the last completed window)")
	cmd.MarkFlagRequired("dir")
	return cmd
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// msValue is a duration flag ("90s", "15m") kept as the operations'
// milliseconds.
type msValue struct{ ms *int64 }

func (v msValue) String() string { return (time.Duration(*v.ms) * time.Millisecond).String() }
func (v msValue) Type() string   { return "duration" }
func (v msValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 90s or 15m", s)
	}
	*v.ms = d.Milliseconds()
	return nil
}

// progressView shows a workflow's progress on stderr: a bar on a terminal
// (schollz/progressbar), a plain line every few seconds otherwise, nothing
// with --json.
type progressView struct {
	f     *cmdutil.Factory
	stage string
	bar   *progressbar.ProgressBar
	plain progress.Func
	shown bool
}

func newProgress(f *cmdutil.Factory, stage string) *progressView {
	v := &progressView{f: f, stage: stage}
	if f.Flags.JSON {
		return v
	}
	if file, ok := f.IO.ErrOut.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		v.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(f.IO.ErrOut), progressbar.OptionSetDescription(stage),
			progressbar.OptionShowBytes(stage == "download"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionShowCount())
		return v
	}
	v.plain = progress.Throttle(func(e progress.Event) {
		if e.Stage == "download" {
			fmt.Fprintf(f.IO.ErrOut, "download: %d of %d bytes, %d of %d parts complete\n", e.Bytes, e.BytesTotal, e.Done, e.Total)
		} else {
			fmt.Fprintf(f.IO.ErrOut, "%s: %d invoices (%s)\n", e.Stage, e.Done, e.Detail)
		}
	}, 2*time.Second)
	return v
}

func (v *progressView) report(e progress.Event) {
	switch {
	case v.bar != nil && e.Stage == "download" && v.stage == "download":
		if e.BytesTotal > 0 {
			v.bar.ChangeMax64(e.BytesTotal)
		}
		v.bar.Set64(e.Bytes)
		v.shown = true
	case v.bar != nil && e.Stage == v.stage:
		v.bar.Describe(e.Stage + " " + e.Detail)
		v.bar.Set64(e.Done)
		v.shown = true
	case v.plain != nil:
		v.plain(e)
	}
}

func (v *progressView) done() {
	if v.bar != nil && v.shown {
		v.bar.Finish()
		v.shown = false
	}
}
