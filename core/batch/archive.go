package batch

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"hash/crc32"
	"io"
	"time"
)

// Compression is the archive format of a batch (KSeF's compressionType).
type Compression string

// The formats KSeF takes.
const (
	Zip   Compression = "Zip"
	TarGz Compression = "TarGz"
)

// Packing is how an archive is made. With the table of documents (and,
// for tar.gz, of gzip members) it determines every byte of the archive,
// which is what lets a part be made again, alone, for its upload.
type Packing struct {
	Compression Compression `json:"compression"`
	// Level is the Deflate level: 1 (fastest) to 9 (smallest), or 0 for
	// stored (uncompressed) entries.
	Level int `json:"level"`
	// PartSize is the plaintext size of every part but the last.
	PartSize int64 `json:"partSize"`
}

// tarMemberTarget is how many tar bytes go into one gzip member: enough
// that Deflate finds the repetition between similar invoices, few enough
// that a part is made again at the cost of about one part.
const tarMemberTarget = 1 << 20

// tarModTime is the fixed modification time of every tar entry (the ZIP
// entries carry its DOS equivalent).
var tarModTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// docRec is one document of the archive: where it comes from and what was
// recorded when it was packed.
type docRec struct {
	Document
	index  int // in the source
	size   int64
	sha    [32]byte
	crc    uint32 // ZIP
	packed int64  // ZIP: compressed size
}

// member is one gzip member of a tar.gz archive: a run of documents.
type member struct {
	docs int
	size int64 // compressed
}

// segment is a piece of the archive made in one go: a ZIP entry (local
// header and data) or a tar.gz member.
type segment struct {
	first, count int // documents
	offset, size int64
}

// layout places the segments and the trailer (ZIP central directory and
// end records, or the tar end-of-archive member) in the archive.
type layout struct {
	p        Packing
	docs     []docRec
	segs     []segment
	trailer  int64 // offset of the trailer
	total    int64
	tarTrail []byte // tar.gz: the end-of-archive member
}

func newLayout(p Packing, docs []docRec, members []member) *layout {
	l := &layout{p: p, docs: docs}
	var off int64
	switch p.Compression {
	case Zip:
		l.segs = make([]segment, len(docs))
		for i := range docs {
			size := zipLocalHeaderLen(docs[i].Name) + docs[i].packed
			l.segs[i] = segment{first: i, count: 1, offset: off, size: size}
			off += size
		}
		l.trailer = off
		l.total = off + zipTrailerSize(docs, p, off)
	default:
		first := 0
		l.segs = make([]segment, len(members))
		for i, m := range members {
			l.segs[i] = segment{first: first, count: m.docs, offset: off, size: m.size}
			first += m.docs
			off += m.size
		}
		l.trailer = off
		l.tarTrail = tarTrailer(p.Level)
		l.total = off + int64(len(l.tarTrail))
	}
	return l
}

// zipEntries yields the ZIP entries of the documents, placed from 0.
func zipEntries(docs []docRec, p Packing) func(yield func(*zipEntry) bool) {
	return func(yield func(*zipEntry) bool) {
		var off int64
		var e zipEntry
		for i := range docs {
			d := &docs[i]
			e = zipEntry{name: d.Name, crc: d.crc, size: d.size, packed: d.packed, method: zipMethod(p.Level), offset: off}
			if !yield(&e) {
				return
			}
			off += zipLocalHeaderLen(d.Name) + d.packed
		}
	}
}

func zipMethod(level int) uint16 {
	if level == 0 {
		return zipStore
	}
	return zipDeflate
}

// zipTrailerSize is the length of the central directory and end records.
func zipTrailerSize(docs []docRec, p Packing, start int64) int64 {
	var n countingWriter
	_ = writeZipTrailer(&n, zipEntries(docs, p), len(docs), start)
	return int64(n)
}

// writeTrailer writes the trailer.
func (l *layout) writeTrailer(w io.Writer) error {
	if l.p.Compression == Zip {
		return writeZipTrailer(w, zipEntries(l.docs, l.p), len(l.docs), l.trailer)
	}
	_, err := w.Write(l.tarTrail)
	return err
}

// tarTrailer is the end of a tar archive (two zero blocks) as a gzip
// member of its own.
func tarTrailer(level int) []byte {
	var b bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&b, level)
	gz.Write(make([]byte, 1024))
	gz.Close()
	return b.Bytes()
}

// encoder makes segments; one per goroutine (its compressor state is
// reused from segment to segment).
type encoder struct {
	p   Packing
	fw  *flate.Writer
	gz  *gzip.Writer
	tar bytes.Buffer
}

func newEncoder(p Packing) *encoder { return &encoder{p: p} }

// zipData compresses one document as ZIP entry data into out (stored
// entries are the document itself, not copied).
func (e *encoder) zipData(out *bytes.Buffer, doc []byte) (data []byte, crc uint32) {
	crc = crc32.ChecksumIEEE(doc)
	if e.p.Level == 0 {
		return doc, crc
	}
	if e.fw == nil {
		e.fw, _ = flate.NewWriter(out, e.p.Level)
	} else {
		e.fw.Reset(out)
	}
	e.fw.Write(doc)
	e.fw.Close()
	return out.Bytes(), crc
}

// tarMember writes docs as tar entries into one gzip member in out.
func (e *encoder) tarMember(out *bytes.Buffer, names []string, docs [][]byte) {
	e.tar.Reset()
	tw := tar.NewWriter(&e.tar)
	for i, doc := range docs {
		tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: names[i], Size: int64(len(doc)), Mode: 0o644, ModTime: tarModTime,
		})
		tw.Write(doc)
	}
	tw.Flush() // pads the last entry; the end-of-archive blocks come in the trailer
	if e.gz == nil {
		e.gz, _ = gzip.NewWriterLevel(out, e.p.Level)
	} else {
		e.gz.Reset(out)
	}
	e.gz.Write(e.tar.Bytes())
	e.gz.Close()
}

// tarSize is how many tar bytes a document takes (header and padded data;
// a long or non-ASCII name adds PAX records, which the estimate ignores —
// it only groups documents into members).
func tarSize(n int) int64 { return 512 + (int64(n)+511)/512*512 }

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
