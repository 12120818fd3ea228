package batch

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
)

// A state file keeps a batch's SavedState (SECRET: mode 0600) for a
// process that may crash: written again after every step, it always holds
// the last state whole — on a local filesystem it is written beside itself
// and renamed over the old one, so a crash mid-write leaves the previous
// state, never half of one. Through a host (the step driver) it is
// written in place.

// WriteStateFile stores st at path.
func WriteStateFile(ctx context.Context, path string, st State) error {
	b, err := json.Marshal(st.Export())
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encoding the batch state")
	}
	if hostfs.IsLocal(ctx) {
		tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
		if err == nil {
			_, err = tmp.Write(b)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(tmp.Name(), path) // CreateTemp made it 0600
			}
			if err != nil {
				os.Remove(tmp.Name())
			}
		}
		if err != nil {
			return errs.Invalid("statePath", "cannot write the batch state: %s", fileErr(err))
		}
		return nil
	}
	w, err := hostfs.Create(ctx, path)
	if err == nil {
		_, err = w.Write(b)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return errs.Invalid("statePath", "cannot write the batch state: %s", fileErr(err))
	}
	return nil
}

// ReadStateFile reads a state WriteStateFile stored.
func ReadStateFile(ctx context.Context, path string) (State, error) {
	rc, _, err := hostfs.Open(ctx, path)
	if err != nil {
		return State{}, errs.Invalid("statePath", "cannot read the batch state: %s", fileErr(err))
	}
	defer rc.Close()
	var saved SavedState
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&saved); err != nil {
		return State{}, errs.Invalid("statePath", "the file holds no batch state: %v", err)
	}
	return saved.State(), nil
}
