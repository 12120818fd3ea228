package ops_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/transport"
)

// sandbox is the only filesystem fuzzed operations see: a few files in
// memory. Paths in fuzzed input must never reach the real filesystem (a
// device would hang, a write would clobber a file), and with a Reader in
// the context hostfs streams nothing either.
type sandbox map[string][]byte

func (s sandbox) ReadFile(_ context.Context, path string) ([]byte, error) {
	if b, ok := s[path]; ok {
		return b, nil
	}
	return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
}

// FuzzOperations feeds arbitrary input to every operation of the table
// (walked at run time, so operations added later are fuzzed too). The input
// is "NAME\x00JSON": NAME picks the operation (an unknown name picks one by
// its hash). Network operations get a fresh client whose requests go to a
// closed loopback port and give up fast; files come from a sandbox in
// memory (/fuzz/invoice.xml, /fuzz/config.toml). Every call ends with a
// result that marshals, or a typed *errs.Error that is not "internal" (a
// bug). Seeds: the parity vectors, and testdata/fuzz/FuzzOperations.
func FuzzOperations(f *testing.F) {
	table := ops.Default()
	all := table.All()
	files := sandbox{"/fuzz/config.toml": []byte("active_profile = \"t\"\n[profiles.t]\nenvironment = \"test\"\nnip = \"5265877635\"\n")}
	if b, err := os.ReadFile("../invoice/testdata/fa3.xml"); err == nil {
		files["/fuzz/invoice.xml"] = b
	}
	if raw, err := os.ReadFile("testdata/parity/cases.json"); err == nil {
		var cases []struct {
			Op    string          `json:"op"`
			Input json.RawMessage `json:"input"`
		}
		if err := json.Unmarshal(raw, &cases); err != nil {
			f.Fatal(err)
		}
		for _, c := range cases {
			f.Add(append([]byte(c.Op+"\x00"), c.Input...))
		}
	}
	for _, op := range all {
		f.Add([]byte(op.Name + "\x00{}"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name, input, _ := bytes.Cut(data, []byte{0})
		op, ok := table.Lookup(string(name))
		if !ok {
			h := fnv.New32a()
			h.Write(name)
			op = all[h.Sum32()%uint32(len(all))]
		}
		var c *ksef.Client
		if op.NeedsClient {
			var err error
			c, err = ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2",
				Retry: transport.RetryPolicy{MaxAttempts: 1, AttemptTimeout: 200 * time.Millisecond, TotalTimeout: 300 * time.Millisecond},
				Poll:  auth.PollPolicy{Initial: time.Millisecond, Max: time.Millisecond, Timeout: 50 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ctx = hostfs.With(ctx, files)
		res, _, err := table.Run(ctx, c, op.Name, input)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code == "" || e.Code == errs.Internal {
				t.Fatalf("%s(%q): %v (%T)", op.Name, input, err, err)
			}
			return
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("%s(%q): result does not marshal: %v", op.Name, input, err)
		}
	})
}
