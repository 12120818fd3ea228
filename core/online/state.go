package online

import (
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/symkey"
)

// State is an open session as a service persists it across a restart. The
// key is a secret: State prints and marshals it redacted; whoever must
// store it reveals it on purpose (the operation layer's export does).
type State struct {
	ReferenceNumber string
	FormCode        invoice.FormCode
	ValidUntil      time.Time
	OpenedAt        time.Time
	// Context is the authentication context the session was opened in.
	Context ids.ContextIdentifier
	Key     secret.Bytes
	IV      []byte
}

// State exports the session.
func (s *Session) State() State {
	return State{
		ReferenceNumber: s.ref, FormCode: s.formCode, ValidUntil: s.validUntil, OpenedAt: s.openedAt,
		Context: s.context, Key: s.key.Secret(), IV: s.key.IV(),
	}
}

// Restore makes a session exported by another process (or before a
// restart) usable on this client again: send into it, close it, wait.
// KSeF decides whether it is still open; only the state's shape and
// validity are checked here.
func (m *Sessions) Restore(st State, now time.Time) (*Session, error) {
	if err := checkRef("referenceNumber", st.ReferenceNumber); err != nil {
		return nil, err
	}
	fc, err := invoice.LookupFormCode(st.FormCode.SystemCode)
	if err != nil {
		return nil, err
	}
	if fc != st.FormCode {
		return nil, errs.Invalid("formCode", "formCode %s %s %s is not one KSeF knows", st.FormCode.SystemCode, st.FormCode.SchemaVersion, st.FormCode.Value)
	}
	key, err := symkey.FromBytes(st.Key.Reveal(), st.IV)
	if err != nil {
		return nil, err
	}
	if !st.ValidUntil.IsZero() && !now.Before(st.ValidUntil) {
		return nil, errs.Invalid("validUntil", "online session %s expired at %s; KSeF has closed it", st.ReferenceNumber, st.ValidUntil.UTC().Format(time.RFC3339))
	}
	if cur := m.currentContext(); st.Context.Value != "" && cur.Value != "" && cur != st.Context {
		return nil, errs.Invalid("context", "online session %s was opened in context %s, the client is authenticated in %s", st.ReferenceNumber, st.Context, cur)
	}
	s := &Session{
		m: m, ref: st.ReferenceNumber, formCode: fc, validUntil: st.ValidUntil, openedAt: st.OpenedAt,
		context: st.Context, key: key, sent: map[string]*Sent{},
	}
	m.add(s)
	return s, nil
}

func (m *Sessions) currentContext() ids.ContextIdentifier {
	if m.cfg.Context == nil {
		return ids.ContextIdentifier{}
	}
	return m.cfg.Context()
}
