package batch

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/symkey"
)

// StateVersion is the version of the exported state's shape.
const StateVersion = 1

// Digest is a SHA-256 (Base64) and the size of what was hashed.
type Digest struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func digestOf(d symkey.Digest) Digest { return Digest{Size: d.Size, SHA256: d.Base64()} }

// Part is one part of the archive: what was declared to KSeF for it, where
// it goes, and whether it is in.
type Part struct {
	OrdinalNumber int `json:"ordinalNumber"`
	// Size and SHA256 are of the encrypted part.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Method and Headers are KSeF's instructions for the upload (the URL,
	// a credential, is kept apart as a secret).
	Method   string            `json:"method"`
	Headers  map[string]string `json:"headers,omitempty"`
	Uploaded bool              `json:"uploaded"`
}

// DocumentRecord is one document of the archive as it was packed.
type DocumentRecord struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// CRC32 and Packed (compressed size) of a ZIP entry.
	CRC32  uint32 `json:"crc32,omitempty"`
	Packed int64  `json:"packed,omitempty"`
}

// Member is one gzip member of a tar.gz archive: how many documents it
// holds and its compressed size.
type Member struct {
	Documents int   `json:"documents"`
	Size      int64 `json:"size"`
}

// Skipped is a document left out of the batch by its pre-flight checks.
type Skipped struct {
	Name  string      `json:"name"`
	Error *errs.Error `json:"error"`
}

// Record is a batch apart from its secrets: the session, the archive as
// packed and declared, and how far the upload got.
type Record struct {
	Version         int                   `json:"version"`
	ReferenceNumber string                `json:"referenceNumber"`
	FormCode        invoice.FormCode      `json:"formCode"`
	OfflineMode     bool                  `json:"offlineMode,omitempty"`
	Context         ids.ContextIdentifier `json:"context"`
	OpenedAt        time.Time             `json:"openedAt"`
	// UploadDeadline is when KSeF stops taking parts: 20 minutes per part
	// from the session's opening.
	UploadDeadline time.Time        `json:"uploadDeadline"`
	IV             []byte           `json:"iv"`
	Packing        Packing          `json:"packing"`
	Archive        Digest           `json:"archive"`
	Parts          []Part           `json:"parts"`
	Documents      []DocumentRecord `json:"documents"`
	Members        []Member         `json:"members,omitempty"`
	Skipped        []Skipped        `json:"skipped,omitempty"`
	Closed         bool             `json:"closed"`
}

// State is a batch as a service keeps it across a crash or restart
// (Batch.State, Batches.Resume). Its secrets — the session's AES key and
// the pre-signed upload URLs, each a credential — print and marshal
// redacted; Export reveals them on purpose.
type State struct {
	Record
	Key  secret.Bytes
	URLs []secret.String
}

// SavedState is a State as it is stored (SECRET: keep it like a password)
// and given back to Resume. Its JSON is its purpose, so it marshals the
// key and the URLs in clear; every printed form — fmt's verbs, String,
// GoString, slog — shows them redacted.
type SavedState struct {
	Record
	Key  secret.Bytes    `json:"key" secret:"exported" doc:"the session's AES-256 key, base64"`
	URLs []secret.String `json:"uploadUrls" secret:"exported" doc:"the pre-signed upload URL of each part, in order (each a credential)"`
}

// MarshalJSON writes the secrets themselves: this is the export asked for.
func (s SavedState) MarshalJSON() ([]byte, error) {
	urls := make([]string, len(s.URLs))
	for i, u := range s.URLs {
		urls[i] = u.Reveal()
	}
	return json.Marshal(struct {
		Record
		Key  []byte   `json:"key"`
		URLs []string `json:"uploadUrls"`
	}{s.Record, s.Key.Reveal(), urls})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *SavedState) UnmarshalJSON(b []byte) error {
	var raw struct {
		Record
		Key  []byte   `json:"key"`
		URLs []string `json:"uploadUrls"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	s.Record, s.Key, s.URLs = raw.Record, secret.NewBytes(raw.Key), make([]secret.String, len(raw.URLs))
	clear(raw.Key)
	for i, u := range raw.URLs {
		s.URLs[i] = secret.NewString(u)
	}
	return nil
}

// Export is the state as it is stored.
func (s State) Export() *SavedState {
	return &SavedState{Record: s.Record, Key: s.Key, URLs: append([]secret.String(nil), s.URLs...)}
}

// State is the stored state as Resume takes it.
func (s *SavedState) State() State {
	return State{Record: s.Record, Key: s.Key, URLs: append([]secret.String(nil), s.URLs...)}
}

func (s SavedState) String() string {
	return "batch.SavedState{" + s.ReferenceNumber + ", key and upload URLs " + secret.Redacted + "}"
}
func (s SavedState) GoString() string           { return s.String() }
func (s SavedState) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
func (s SavedState) LogValue() slog.Value       { return slog.StringValue(s.String()) }

// validate checks a state's shape before anything is done with it, and
// rebuilds its key and layout.
func (s *State) validate() (*symkey.Key, *layout, error) {
	r := &s.Record
	bad := func(field, format string, args ...any) (*symkey.Key, *layout, error) {
		return nil, nil, errs.Invalid("state."+field, "batch state: "+format, args...)
	}
	if r.Version != StateVersion {
		return bad("version", "version %d is not %d (made by another ksefkit?)", r.Version, StateVersion)
	}
	if err := online.CheckReference("state.referenceNumber", r.ReferenceNumber); err != nil {
		return nil, nil, err
	}
	fc, err := batchFormCode(r.FormCode)
	if err != nil || fc != r.FormCode {
		return bad("formCode", "formCode %s is not one a batch session takes", r.FormCode.SystemCode)
	}
	key, err := symkey.FromBytes(s.Key.Reveal(), r.IV)
	if err != nil {
		return bad("key", "%s", errs.As(err).Message)
	}
	if err := r.Packing.check(); err != nil {
		return nil, nil, err
	}
	if len(r.Parts) == 0 || len(r.Parts) > MaxParts || len(s.URLs) != len(r.Parts) {
		return bad("parts", "%d parts and %d upload URLs", len(r.Parts), len(s.URLs))
	}
	for i, p := range r.Parts {
		if p.OrdinalNumber != i+1 || p.Size <= 0 || !isSHA256(p.SHA256) || p.Method == "" {
			return bad(fmt.Sprintf("parts[%d]", i), "part %d is incomplete or out of order", i+1)
		}
	}
	if len(r.Documents) == 0 || len(r.Documents) > MaxInvoices {
		return bad("documents", "%d documents", len(r.Documents))
	}
	docs := make([]docRec, len(r.Documents))
	src := make([]Document, len(r.Documents)) // named only: the source is attached by Resume
	for i, d := range r.Documents {
		sha, ok := decodeSHA256(d.SHA256)
		if checkName(d.Name) != nil || !ok || d.Size <= 0 || d.Size > maxDocument || d.Packed < 0 || d.Packed > 2*maxDocument {
			return bad(fmt.Sprintf("documents[%d]", i), "document %d (%s) is not described in full", i, d.Name)
		}
		src[i] = Document{Name: d.Name}
		docs[i] = docRec{src: int32(i), size: int32(d.Size), sha: sha, crc: d.CRC32, packed: int32(d.Packed)}
	}
	var members []member
	if r.Packing.Compression == TarGz {
		n := 0
		for _, m := range r.Members {
			if m.Documents <= 0 || m.Size <= 0 {
				return bad("members", "a member of %d documents and %d bytes", m.Documents, m.Size)
			}
			n += m.Documents
			members = append(members, member{docs: m.Documents, size: m.Size})
		}
		if n != len(docs) {
			return bad("members", "the members hold %d documents, the archive %d", n, len(docs))
		}
	}
	l := newLayout(r.Packing, src, docs, members)
	if l.total != r.Archive.Size || !isSHA256(r.Archive.SHA256) {
		return bad("archive", "the documents make an archive of %d bytes, %d are declared", l.total, r.Archive.Size)
	}
	if want := int((l.total + r.Packing.PartSize - 1) / r.Packing.PartSize); want != len(r.Parts) {
		return bad("parts", "an archive of %d bytes in parts of %d has %d parts, not %d", l.total, r.Packing.PartSize, want, len(r.Parts))
	}
	return key, l, nil
}

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func decodeSHA256(s string) ([32]byte, bool) {
	var out [32]byte
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out, false
	}
	copy(out[:], b)
	return out, true
}

func isSHA256(s string) bool { _, ok := decodeSHA256(s); return ok }
