package online

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/poll"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Config is what sessions need from the client that owns them.
type Config struct {
	API  *api.Client
	Keys *pubkeys.Store
	// AccessToken returns a valid access token, refreshing as needed.
	AccessToken func(ctx context.Context) (string, error)
	// Context returns the authenticated context (recorded in states).
	Context func() ids.ContextIdentifier
	Clock   transport.Clock
	// Poll shapes every wait (session processing, invoice processing);
	// zero fields take DefaultPoll.
	Poll poll.Policy
	// QRBase is the environment's KOD I base, e.g. https://qr-test.ksef.mf.gov.pl.
	QRBase string
	Logger *slog.Logger
}

// DefaultPoll waits up to 10 minutes: KSeF processes an online invoice in
// seconds, a closed session's UPO can take minutes under load.
var DefaultPoll = poll.Policy{Initial: 500 * time.Millisecond, Max: 5 * time.Second, Timeout: 10 * time.Minute}

// Sessions is a client's set of open online sessions; several may be open
// at once. Safe for concurrent use.
type Sessions struct {
	cfg Config

	mu   sync.Mutex
	open map[string]*Session
	// closed keeps the last sessions closed here, so that waiting for one
	// still knows what this process sent (KOD I links, attempts).
	closed      map[string]*Session
	closedOrder []string
}

// keepClosed bounds Sessions.closed.
const keepClosed = 64

// New returns an empty set over cfg.
func New(cfg Config) *Sessions {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sessions{cfg: cfg, open: map[string]*Session{}, closed: map[string]*Session{}}
}

func (m *Sessions) clock(ctx context.Context) transport.Clock {
	if c := transport.ClockFrom(ctx, m.cfg.Clock); c != nil {
		return c
	}
	return transport.SystemClock{}
}

func (m *Sessions) policy() poll.Policy { return m.cfg.Poll.WithDefaults(DefaultPoll) }

// OpenOptions configure a new session.
type OpenOptions struct {
	// FormCode of every invoice in the session; zero means FA (3).
	FormCode invoice.FormCode
}

// Open opens an online session (POST /sessions/online) with a fresh key.
// A withdrawn public key (21470) makes it reload the keys and retry once.
func (m *Sessions) Open(ctx context.Context, o OpenOptions) (*Session, error) {
	fc := o.FormCode
	if fc.IsZero() {
		fc = invoice.FA3
	}
	if _, err := invoice.LookupFormCode(fc.SystemCode); err != nil {
		return nil, err
	}
	key, err := symkey.New()
	if err != nil {
		return nil, err
	}
	var resp *api.OpenOnlineSessionResponse
	err = key.Announce(ctx, m.cfg.Keys, m.cfg.Logger, "open online session", func(enc *api.EncryptionInfo) error {
		tok, err := m.cfg.AccessToken(ctx)
		if err != nil {
			return err
		}
		resp, err = m.cfg.API.OpenOnlineSession(ctx, tok, &api.OpenOnlineSessionRequest{FormCode: api.FormCode(fc), Encryption: *enc})
		return err
	})
	if err != nil {
		return nil, err
	}
	s := &Session{
		m: m, ref: resp.ReferenceNumber, formCode: fc, validUntil: resp.ValidUntil.Time,
		openedAt: m.clock(ctx).Now(), key: key, sent: map[string]*Sent{},
	}
	if m.cfg.Context != nil {
		s.context = m.cfg.Context()
	}
	m.add(s)
	m.cfg.Logger.Info("ksef online session opened", "reference", s.ref, "formCode", fc.SystemCode, "validUntil", s.validUntil)
	return s, nil
}

func (m *Sessions) add(s *Session) {
	m.mu.Lock()
	m.open[s.ref] = s
	m.mu.Unlock()
}

// Get returns an open session of this client by reference number.
func (m *Sessions) Get(ref string) (*Session, error) {
	// Only a value that passed the check is named in the error below.
	if err := checkRef("referenceNumber", ref); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.open[ref]; s != nil {
		return s, nil
	}
	e := errs.Invalid("referenceNumber", "no online session %s is open on this client (a session opened by another process is resumed with sessions.online.restore and its exported state)", ref)
	return nil, e
}

// List returns the sessions open on this client.
func (m *Sessions) List() []*Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Session, 0, len(m.open))
	for _, s := range m.open {
		out = append(out, s)
	}
	return out
}

// retire moves a session from the open set to the recently closed ones.
func (m *Sessions) retire(s *Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.open, s.ref)
	if _, dup := m.closed[s.ref]; !dup {
		m.closedOrder = append(m.closedOrder, s.ref)
	}
	m.closed[s.ref] = s
	if len(m.closedOrder) > keepClosed {
		delete(m.closed, m.closedOrder[0])
		m.closedOrder = m.closedOrder[1:]
	}
}

// known returns the session of that reference this client opened or
// restored (open or recently closed), or a bare one that knows nothing
// beyond its reference.
func (m *Sessions) known(ref string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.open[ref]; s != nil {
		return s
	}
	if s := m.closed[ref]; s != nil {
		return s
	}
	return &Session{m: m, ref: ref, sent: map[string]*Sent{}}
}

// Result describes one invoice record of a session, with what this client
// knows of it (KOD I link, attempts) when it sent it.
func (m *Sessions) Result(ref string, inv *api.SessionInvoice) InvoiceResult {
	return m.known(ref).resultOf(inv)
}

func (m *Sessions) token(ctx context.Context) (string, error) { return m.cfg.AccessToken(ctx) }

// Status calls GET /sessions/{ref} for any session of the context (online
// or batch, open here or not).
func (m *Sessions) Status(ctx context.Context, ref string) (*api.SessionStatus, error) {
	if err := checkRef("referenceNumber", ref); err != nil {
		return nil, err
	}
	tok, err := m.token(ctx)
	if err != nil {
		return nil, err
	}
	st, err := m.cfg.API.SessionStatus(ctx, tok, ref)
	return st, withRef(err, ref)
}

// WithReference is withRef for the other workflows (batch sessions).
func WithReference(err error, ref string) error { return withRef(err, ref) }

// withRef adds the session reference to a KSeF error that lacks one.
func withRef(err error, ref string) error {
	if err == nil {
		return nil
	}
	e := errs.As(err)
	if e.ReferenceNumber == "" {
		e.ReferenceNumber = ref
	}
	return e
}

// CheckReference is checkRef for the other workflows (batch sessions):
// one rule for what may go into a URL as a reference number.
func CheckReference(field, ref string) error { return checkRef(field, ref) }

// checkRef rejects what cannot be a KSeF reference number before it goes
// into a URL. KSeF's docs ask clients to treat references as opaque, so
// only the alphabet and the length are checked, not today's layout
// (YYYYMMDD-XX-…-XX, 36 characters). The value is not echoed: a field
// mix-up could put anything there.
func checkRef(field, ref string) error {
	if ref == "" {
		return errs.Invalid(field, "%s is required", field)
	}
	if len(ref) > 64 {
		return errs.Invalid(field, "%s is %d characters long; KSeF reference numbers have 36", field, len(ref))
	}
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '-') {
			return errs.Invalid(field, "%s contains a character other than letters, digits and '-'", field)
		}
	}
	return nil
}
