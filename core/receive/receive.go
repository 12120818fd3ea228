// Package receive reads invoices out of KSeF one request at a time: an
// invoice by its KSeF number, exactly as stored, and the metadata query
// with every filter of InvoiceQueryFilters — as one page with an opaque
// cursor, or as a lazy iterator over everything that matches. (The
// encrypted export and the incremental sync built on it are packages
// export and hwm; they use this package's filters.)
//
// # The metadata query: no record twice, none skipped
//
// KSeF serves at most 10 000 records per filter set. Past that, a page
// answers hasMore and isTruncated, and the documented way on is to narrow
// the date range to start at the last returned record's date and page
// from offset 0 again. The cursor does exactly that, with the order the
// query sorts by (dateType's date, Asc or Desc):
//
//   - Every record before the last one's date D was returned: the set is
//     sorted by date and the first 10 000 were paged through. Every record
//     from D on lies in the narrowed range [D, to]. So nothing is skipped.
//   - Records exactly at D may come again in the narrowed range. The
//     cursor remembers the KSeF numbers of the records it delivered at the
//     latest date it saw (the "run": all of them, across pages, reset when
//     a later date comes) and skips those. Records after D were never
//     delivered. So nothing comes twice — including a record a page
//     boundary happens to repeat (ksef-api#184).
//
// Memory is the run: the records sharing one date, a handful for
// timestamps (KSeF stores them to 100 ns). If more records than KSeF's
// limit share one date the range cannot be narrowed any further: that is
// an input.invalid error asking for more filters, never a silent loss.
//
// The argument assumes the set does not change below `to` while it is
// read. The iterator pins `to` (now, when the caller left it open) so new
// invoices cannot join at the end. For dateType PermanentStorage with
// restrictToPermanentStorageHwmDate KSeF guarantees it; invoices that
// arrive late with an old issue date can still join a range of dateType
// Issue — sync (package hwm) therefore works on PermanentStorage dates.
package receive

import (
	"context"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/ratelimit"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Metadata is one invoice's InvoiceMetadata as KSeF returns it.
type Metadata = api.InvoiceMetadata

// Config is what the receiver needs from the client that owns it.
type Config struct {
	API *api.Client
	// AccessToken returns a valid access token, refreshing as needed.
	AccessToken func(ctx context.Context) (string, error)
	Clock       transport.Clock
	// Limiter keeps requests inside KSeF's limits (nil: not limited here).
	Limiter *ratelimit.Limiter
	// Poll shapes the wait for an invoice KSeF has not made downloadable
	// yet (21165); zero fields take DefaultPoll.
	Poll   poll.Policy
	Logger *slog.Logger
}

// DefaultPoll retries a 21165 for up to two minutes: KSeF makes an
// accepted invoice downloadable within seconds, and each attempt spends
// one of the hour's 64 downloads.
var DefaultPoll = poll.Policy{Initial: 2 * time.Second, Max: 20 * time.Second, Timeout: 2 * time.Minute}

// Receiver downloads invoices and queries their metadata. Safe for
// concurrent use.
type Receiver struct{ cfg Config }

// New returns a receiver over cfg.
func New(cfg Config) *Receiver {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Receiver{cfg: cfg}
}

func (r *Receiver) clock(ctx context.Context) transport.Clock {
	if c := transport.ClockFrom(ctx, r.cfg.Clock); c != nil {
		return c
	}
	return transport.SystemClock{}
}

// Invoice is one downloaded invoice.
type Invoice struct {
	KSeFNumber string `json:"ksefNumber"`
	// XML is the document exactly as KSeF stores it (what the seller sent).
	XML []byte `json:"xml"`
	// SHA256 is Base64 SHA-256 of XML (KSeF's invoiceHash); HashChecked
	// reports that KSeF's x-ms-meta-hash was present and matched (a
	// mismatch is an error).
	SHA256      string `json:"sha256"`
	HashChecked bool   `json:"hashChecked"`
}

// Exception codes of GET /invoices/ksef/{ksefNumber}.
const (
	// CodeNotFound: no invoice of that number is visible in this context.
	CodeNotFound = 21164
	// CodeNotYetAvailable: processed, but not downloadable yet.
	CodeNotYetAvailable = 21165
)

// Get downloads an invoice by KSeF number (GET /invoices/ksef/{ksefNumber}).
// A freshly accepted invoice KSeF answers with 21165 "not yet available"
// is asked for again, with growing waits, until the policy's timeout or the
// context's deadline — a resumable timeout error then. 21164 (no such
// invoice for this context) is an error of code ksef.api carrying that
// exception (errs.Error.HasException(CodeNotFound)).
func (r *Receiver) Get(ctx context.Context, ksefNumber string) (*Invoice, error) {
	if err := ids.ValidateKSeFNumber(ksefNumber); err != nil {
		e := errs.Wrap(errs.InputInvalid, err, "ksefNumber")
		e.Field = "ksefNumber"
		return nil, e
	}
	clock := r.clock(ctx)
	pol := r.cfg.Poll.WithDefaults(DefaultPoll)
	d, err := poll.Until(ctx, clock, pol, poll.Pending{What: "invoice " + ksefNumber + " becoming downloadable", ReferenceNumber: ksefNumber},
		func(ctx context.Context) (*api.Download, bool, error) {
			var d *api.Download
			err := r.cfg.Limiter.Do(ctx, clock, ratelimit.InvoiceDownload, func() error {
				tok, err := r.cfg.AccessToken(ctx)
				if err != nil {
					return err
				}
				d, err = r.cfg.API.Invoice(ctx, tok, ksefNumber)
				return err
			})
			if err != nil && errs.As(err).HasException(CodeNotYetAvailable) {
				r.cfg.Logger.Info("ksef invoice not downloadable yet (21165); asking again", "ksefNumber", ksefNumber)
				return nil, false, nil
			}
			return d, err == nil, err
		}, nil)
	if err != nil {
		return nil, err
	}
	return &Invoice{KSeFNumber: ksefNumber, XML: d.Body, SHA256: d.SHA256, HashChecked: d.HashChecked}, nil
}
