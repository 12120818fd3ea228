package export

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"strings"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
)

// MetadataFile is the name of the package's metadata file.
const MetadataFile = "_metadata.json"

// Bounds on what one entry may hold: KSeF's largest invoice is 3 MB (with
// attachments); _metadata.json lists at most 10 000 records.
const (
	maxInvoiceEntry  = 4 << 20
	maxMetadataEntry = 256 << 20
)

// Archive is an opened package: the decrypted ZIP spooled to a temporary
// file that no other process can see (it is unlinked at once; through a
// host, the host's scratch file), read by offset. Close it to free the disk
// space.
type Archive struct {
	ref    string
	f      hostfs.Spool
	zr     *zip.Reader
	byName map[string]*zip.File
	// metadataOnly: an export of metadata only, without invoice files.
	metadataOnly bool
	// Size is the package's size in bytes.
	Size int64
}

// Document is one invoice of a package: its metadata and its XML exactly
// as KSeF stores it (nil in an export of metadata only).
type Document struct {
	Metadata api.InvoiceMetadata `json:"metadata"`
	XML      []byte              `json:"xml,omitempty"`
}

// Open downloads the package into a spool and opens it. Natively the
// spool is an unlinked temporary file in Config.TempDir; where the core has
// no filesystem (ksef.wasm) it is the host's scratch file (a spool event).
func (p *Package) Open(ctx context.Context) (*Archive, error) {
	f, err := hostfs.NewSpool(ctx, p.e.x.cfg.TempDir)
	if err != nil {
		return nil, errs.Invalid("tempDir", "cannot create the spool for the package: %s (the export needs as much temporary disk space as the package: %d bytes)", pathError(err), p.Info.Size)
	}
	n, err := p.download(ctx, f, func(size int64) error { return f.Truncate(size) })
	if err != nil {
		f.Close()
		if e := errs.As(err); e.Code == errs.InputInvalid {
			e.Field = "tempDir"
		}
		return nil, err
	}
	return openSpool(p.e.ref, f, n, p.e.onlyMetadata)
}

func openSpool(ref string, f hostfs.Spool, size int64, metadataOnly bool) (*Archive, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		f.Close()
		return nil, errs.Wrap(errs.Protocol, err, "export %s: the decrypted package is not a ZIP", ref)
	}
	a := &Archive{ref: ref, f: f, zr: zr, byName: make(map[string]*zip.File, len(zr.File)), metadataOnly: metadataOnly, Size: size}
	for _, e := range zr.File {
		a.byName[e.Name] = e
	}
	return a, nil
}

// Close releases the spool.
func (a *Archive) Close() error {
	if a == nil || a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}

// Names lists the package's files in the ZIP's order.
func (a *Archive) Names() []string {
	out := make([]string, len(a.zr.File))
	for i, e := range a.zr.File {
		out[i] = e.Name
	}
	return out
}

// Open opens one file of the package by name, for streaming.
func (a *Archive) Open(name string) (io.ReadCloser, int64, error) {
	e := a.byName[name]
	if e == nil {
		return nil, 0, errs.New(errs.Protocol, "export %s: the package has no file %s", a.ref, name)
	}
	rc, err := e.Open()
	if err != nil {
		return nil, 0, errs.Wrap(errs.Protocol, err, "export %s: %s", a.ref, name)
	}
	return rc, int64(e.UncompressedSize64), nil
}

// Invoice returns {ksefNumber}.xml.
func (a *Archive) Invoice(ksefNumber string) ([]byte, error) {
	name := ksefNumber + ".xml"
	rc, size, err := a.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxInvoiceEntry {
		return nil, errs.New(errs.Protocol, "export %s: %s is %d bytes; KSeF's invoices are at most 3 MB", a.ref, name, size)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxInvoiceEntry+1))
	if err != nil {
		return nil, errs.Wrap(errs.Protocol, err, "export %s: reading %s", a.ref, name)
	}
	return b, nil
}

// Metadata yields the records of _metadata.json one at a time: the file is
// decoded as a stream, never held whole.
func (a *Archive) Metadata() iter.Seq2[api.InvoiceMetadata, error] {
	return func(yield func(api.InvoiceMetadata, error) bool) {
		fail := func(err error) { yield(api.InvoiceMetadata{}, err) }
		rc, _, err := a.Open(MetadataFile)
		if err != nil {
			fail(err)
			return
		}
		defer rc.Close()
		bad := func(err error) error {
			return errs.Wrap(errs.Protocol, err, "export %s: %s is not {\"invoices\": [InvoiceMetadata…]}", a.ref, MetadataFile)
		}
		dec := json.NewDecoder(io.LimitReader(rc, maxMetadataEntry))
		if err := delim(dec, '{'); err != nil {
			fail(bad(err))
			return
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				fail(bad(err))
				return
			}
			key, _ := t.(string)
			if key != "invoices" {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					fail(bad(err))
					return
				}
				continue
			}
			if err := delim(dec, '['); err != nil {
				fail(bad(err))
				return
			}
			for dec.More() {
				var m api.InvoiceMetadata
				if err := dec.Decode(&m); err != nil {
					fail(bad(err))
					return
				}
				if m.KSeFNumber == "" || strings.ContainsAny(m.KSeFNumber, "/\\") {
					fail(bad(errors.New("a record without a usable ksefNumber")))
					return
				}
				if !yield(m, nil) {
					return
				}
			}
			if err := delim(dec, ']'); err != nil {
				fail(bad(err))
				return
			}
		}
	}
}

func delim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return errors.New("expected " + string(want))
	}
	return nil
}

// Documents yields every invoice of the package in the order of
// _metadata.json (ascending by the export's date type), each with its XML
// checked against the record's invoiceHash. With metadata only
// (onlyMetadata exports) XML is nil.
func (a *Archive) Documents() iter.Seq2[Document, error] {
	return func(yield func(Document, error) bool) {
		for m, err := range a.Metadata() {
			if err != nil {
				yield(Document{}, err)
				return
			}
			d := Document{Metadata: m}
			if _, ok := a.byName[m.KSeFNumber+".xml"]; ok {
				xml, err := a.Invoice(m.KSeFNumber)
				if err == nil {
					if sum := sha256.Sum256(xml); base64.StdEncoding.EncodeToString(sum[:]) != m.InvoiceHash {
						err = errs.New(errs.Protocol, "export %s: %s.xml does not hash to the invoiceHash %s its metadata gives — damaged or not that invoice", a.ref, m.KSeFNumber, m.InvoiceHash)
					}
				}
				if err != nil {
					yield(Document{}, err)
					return
				}
				d.XML = xml
			} else if !a.metadataOnly {
				yield(Document{}, errs.New(errs.Protocol, "export %s: %s lists %s, the package has no %s.xml", a.ref, MetadataFile, m.KSeFNumber, m.KSeFNumber))
				return
			}
			if !yield(d, nil) {
				return
			}
		}
	}
}
