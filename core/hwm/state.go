package hwm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
)

// State is where a sync stands: per subject type the start of its next
// window and the invoices delivered at exactly that instant. It is small
// (a few hundred bytes), holds no secret, and is the caller's to store.
type State struct {
	Version int `json:"version"`
	// Context is the context the positions belong to ("Nip:5265877635");
	// a state is refused in another one.
	Context  string               `json:"context,omitempty"`
	Subjects map[string]*Position `json:"subjects"`
}

// Position is one subject type's place in KSeF's permanent storage.
type Position struct {
	// From is where the next window starts (inclusive): the previous
	// window's permanentStorageHwmDate, or its lastPermanentStorageDate when
	// KSeF truncated the package.
	From time.Time `json:"from"`
	// Seen are the invoices already delivered whose permanentStorageDate is
	// exactly From — the only ones the next window can return again.
	Seen []string `json:"seen,omitempty"`
	// LastTo and LastTruncated describe the last window: a sync run is
	// done with this subject type once a window reached the run's end
	// untruncated.
	LastTo        time.Time `json:"lastTo,omitzero"`
	LastTruncated bool      `json:"lastTruncated,omitempty"`
	// PermanentStorageHwmDate is the high-water mark KSeF last reported:
	// everything before it has been delivered.
	PermanentStorageHwmDate *time.Time `json:"permanentStorageHwmDate,omitempty"`
	Windows                 int        `json:"windows"`
	Delivered               int64      `json:"delivered"`
	UpdatedAt               time.Time  `json:"updatedAt,omitzero"`
}

const stateVersion = 1

// clone is a deep copy.
func (s *State) clone() *State {
	out := &State{Version: s.Version, Context: s.Context, Subjects: make(map[string]*Position, len(s.Subjects))}
	for k, p := range s.Subjects {
		c := *p
		c.Seen = slices.Clone(p.Seen)
		if h := p.PermanentStorageHwmDate; h != nil {
			h := *h
			c.PermanentStorageHwmDate = &h
		}
		out.Subjects[k] = &c
	}
	return out
}

// ParseState reads a state as Store implementations and the operation
// layer receive it (strictly: unknown fields are errors).
func ParseState(b []byte) (*State, error) {
	var s State
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "sync state")
	}
	if s.Version != stateVersion {
		return nil, errs.Invalid("state", "sync state version %d; this ksefkit reads version %d", s.Version, stateVersion)
	}
	if s.Subjects == nil {
		s.Subjects = map[string]*Position{}
	}
	for k, p := range s.Subjects {
		if p == nil || p.From.IsZero() {
			return nil, errs.Invalid("state", "sync state: subject type %s has no position", k)
		}
	}
	return &s, nil
}

// Store keeps the state between runs. Load returns nil, nil when nothing
// was stored yet. Save must replace the state atomically: a crash leaves
// the old state or the new one, never a mix.
type Store interface {
	Load(ctx context.Context) (*State, error)
	Save(ctx context.Context, s *State) error
}

// FileStore keeps the state in a JSON file, replaced atomically: written
// to a temporary file beside it, flushed to disk (fsync), renamed over it,
// and the directory flushed, so that after a crash the file holds the old
// state or the new one.
type FileStore struct{ Path string }

// Load reads the file (through the host where it holds the files); a
// missing file is no state yet.
func (f FileStore) Load(ctx context.Context) (*State, error) {
	b, err := hostfs.ReadFile(ctx, f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Invalid("statePath", "cannot read the sync state: %v", err)
	}
	return ParseState(b)
}

// Save replaces the file. Through a host (the step driver) the new state
// is written beside the file and renamed over it by the host.
func (f FileStore) Save(ctx context.Context, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encoding the sync state")
	}
	if !hostfs.IsLocal(ctx) {
		return f.saveThroughHost(ctx, append(b, '\n'))
	}
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return errs.Invalid("statePath", "cannot write the sync state: %v", err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return errs.Invalid("statePath", "cannot write the sync state: %v", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		os.Remove(tmp.Name())
		return errs.Invalid("statePath", "cannot write the sync state: %v", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename itself reaches the disk
		d.Close()
	}
	return nil
}

func (f FileStore) saveThroughHost(ctx context.Context, b []byte) error {
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := f.Path + ".tmp-" + hex.EncodeToString(suffix[:])
	w, err := hostfs.Create(ctx, tmp)
	if err == nil {
		_, err = w.Write(b)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = hostfs.Rename(ctx, tmp, f.Path)
		}
		if err != nil {
			hostfs.Remove(ctx, tmp)
		}
	}
	if err != nil {
		return errs.Invalid("statePath", "cannot write the sync state: %v", err)
	}
	return nil
}

// MemoryStore keeps the state in memory: for callers that store the JSON
// themselves (State, after the run) and for tests.
type MemoryStore struct{ State *State }

// Load returns a copy of the state.
func (m *MemoryStore) Load(context.Context) (*State, error) {
	if m.State == nil {
		return nil, nil
	}
	return m.State.clone(), nil
}

// Save keeps a copy.
func (m *MemoryStore) Save(_ context.Context, s *State) error {
	m.State = s.clone()
	return nil
}
