package export

import (
	"context"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/ratelimit"
	"github.com/ksefkit/ksefkit/core/receive"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Config is what exports need from the client that owns them.
type Config struct {
	API  *api.Client
	Keys *pubkeys.Store
	// AccessToken returns a valid access token, refreshing as needed.
	AccessToken func(ctx context.Context) (string, error)
	Clock       transport.Clock
	// Limiter keeps the requests inside KSeF's limits (20 exports an hour).
	Limiter *ratelimit.Limiter
	// Poll shapes the wait for the package; zero fields take DefaultPoll.
	Poll poll.Policy
	// TempDir holds the spool of an opened package ("" : os.TempDir()).
	TempDir string
	Logger  *slog.Logger
}

// DefaultPoll waits up to 15 minutes: KSeF builds a package of 10 000
// invoices in minutes; a timeout is resumable (Restore, then Wait).
var DefaultPoll = poll.Policy{Initial: time.Second, Max: 15 * time.Second, Timeout: 15 * time.Minute}

// Exports starts and resumes exports. Safe for concurrent use.
type Exports struct{ cfg Config }

// New returns exports over cfg.
func New(cfg Config) *Exports {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Exports{cfg: cfg}
}

func (x *Exports) clock(ctx context.Context) transport.Clock {
	if c := transport.ClockFrom(ctx, x.cfg.Clock); c != nil {
		return c
	}
	return transport.SystemClock{}
}

// Request is what to export: the filters (as for the metadata query;
// KSeF adds invoices in ascending order of the filters' date type), and
// whether to leave the invoices out (only _metadata.json).
type Request struct {
	Filters      api.InvoiceQueryFilters `json:"filters"`
	OnlyMetadata bool                    `json:"onlyMetadata,omitempty"`
}

// Export is one export KSeF is preparing or has prepared, with the key
// only this client knows.
type Export struct {
	x            *Exports
	ref          string
	key          *symkey.Key
	requestedAt  time.Time
	onlyMetadata bool
}

// ReferenceNumber is KSeF's reference of the export.
func (e *Export) ReferenceNumber() string { return e.ref }

// Start requests an export (POST /invoices/exports) with a fresh key and
// IV, the key wrapped for KSeF (RSA-OAEP-SHA256). The filters are checked
// first (receive.CheckFilters); a withdrawn public key (21470) reloads the
// keys and retries once. Each start spends one of the hour's 20 exports.
func (x *Exports) Start(ctx context.Context, req Request) (*Export, error) {
	clock := x.clock(ctx)
	now := clock.Now()
	if err := receive.CheckFilters(&req.Filters, now); err != nil {
		return nil, err
	}
	key, err := symkey.New()
	if err != nil {
		return nil, err
	}
	var resp *api.ExportInvoicesResponse
	err = key.Announce(ctx, x.cfg.Keys, x.cfg.Logger, "start export", func(enc *api.EncryptionInfo) error {
		return x.cfg.Limiter.Do(ctx, clock, ratelimit.InvoiceExport, func() error {
			tok, err := x.cfg.AccessToken(ctx)
			if err != nil {
				return err
			}
			resp, err = x.cfg.API.ExportInvoices(ctx, tok, &api.InvoiceExportRequest{
				Encryption: *enc, Filters: req.Filters, OnlyMetadata: req.OnlyMetadata, CompressionType: "Zip",
			})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	x.cfg.Logger.Info("ksef export started", "reference", resp.ReferenceNumber, "subjectType", req.Filters.SubjectType)
	return &Export{x: x, ref: resp.ReferenceNumber, key: key, requestedAt: now, onlyMetadata: req.OnlyMetadata}, nil
}

// State is an export as a service persists it to pick it up after a
// restart (Restore): the key is a secret — State prints and marshals it
// redacted; whoever stores it reveals it on purpose.
type State struct {
	ReferenceNumber string       `json:"referenceNumber"`
	Key             secret.Bytes `json:"key"`
	IV              []byte       `json:"iv"`
	RequestedAt     time.Time    `json:"requestedAt"`
	OnlyMetadata    bool         `json:"onlyMetadata,omitempty"`
}

// State exports the export.
func (e *Export) State() State {
	return State{ReferenceNumber: e.ref, Key: e.key.Secret(), IV: e.key.IV(), RequestedAt: e.requestedAt, OnlyMetadata: e.onlyMetadata}
}

// Restore makes an export started earlier (State) usable again.
func (x *Exports) Restore(st State) (*Export, error) {
	if st.ReferenceNumber == "" {
		return nil, errs.Invalid("referenceNumber", "referenceNumber is required")
	}
	key, err := symkey.FromBytes(st.Key.Reveal(), st.IV)
	if err != nil {
		return nil, err
	}
	return &Export{x: x, ref: st.ReferenceNumber, key: key, requestedAt: st.RequestedAt, onlyMetadata: st.OnlyMetadata}, nil
}

// Status asks KSeF once (GET /invoices/exports/{ref}).
func (e *Export) Status(ctx context.Context) (*api.InvoiceExportStatus, error) {
	var st *api.InvoiceExportStatus
	err := e.x.cfg.Limiter.Do(ctx, e.x.clock(ctx), ratelimit.InvoiceExportStatus, func() error {
		tok, err := e.x.cfg.AccessToken(ctx)
		if err != nil {
			return err
		}
		st, err = e.x.cfg.API.InvoiceExportStatus(ctx, tok, e.ref)
		return err
	})
	if err != nil {
		return nil, withRef(err, e.ref)
	}
	return st, nil
}

// Wait polls until the package is ready and returns it. A terminal status
// is an error of code ksef.api carrying the status (210 expired, 415 the
// key could not be unwrapped, 420 the range lies beyond the high-water
// mark, 500, 550 cancelled by the system — start again); a deadline that
// passes while KSeF still works is a resumable timeout.
func (e *Export) Wait(ctx context.Context) (*Package, error) {
	pol := e.x.cfg.Poll.WithDefaults(DefaultPoll)
	st, err := poll.Until(ctx, e.x.clock(ctx), pol, poll.Pending{What: "export " + e.ref, ReferenceNumber: e.ref},
		func(ctx context.Context) (*api.InvoiceExportStatus, bool, error) {
			st, err := e.Status(ctx)
			if err != nil {
				return nil, false, err
			}
			return st, st.Status.Code != 100, nil
		},
		func(st *api.InvoiceExportStatus) (int, string) {
			if st == nil {
				return 0, ""
			}
			return st.Status.Code, st.Status.Description
		})
	if err != nil {
		return nil, withRef(err, e.ref)
	}
	if st.Status.Code != 200 {
		x := errs.New(errs.API, "export %s ended with status %d %s", e.ref, st.Status.Code, st.Status.Description)
		x.ReferenceNumber, x.Status, x.StatusDescription, x.StatusDetails = e.ref, st.Status.Code, st.Status.Description, st.Status.Details
		return nil, x
	}
	return &Package{e: e, Info: *st.Package, ExpiresAt: timeOf(st.PackageExpirationDate)}, nil
}

func timeOf(t *api.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func withRef(err error, ref string) error {
	e := errs.As(err)
	if e.ReferenceNumber == "" {
		e.ReferenceNumber = ref
	}
	return e
}
