package batch

import (
	"archive/tar"
	"bytes"
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

// docRec is one document of the archive: which document of the source it
// is and what was recorded when it was packed. It is kept small (48 bytes)
// because it is the one thing that grows with a batch.
type docRec struct {
	src    int32 // index in layout.src
	size   int32 // documents are at most maxDocument bytes
	packed int32 // ZIP: compressed size
	crc    uint32
	sha    [32]byte
}

// member is one gzip member of a tar.gz archive: a run of documents.
type member struct {
	docs int
	size int64 // compressed
}

// layout places the segments — ZIP entries (local header and data) or
// tar.gz members, each made in one go — and the trailer (ZIP central
// directory and end records, or the tar end-of-archive member).
type layout struct {
	p        Packing
	src      []Document // the source, by index
	docs     []docRec   // in archive order
	offsets  []int64    // of each segment, and of the trailer last
	firsts   []int32    // tar.gz: the first document of each member, and len(docs) last
	total    int64
	tarTrail []byte // tar.gz: the end-of-archive member
}

func newLayout(p Packing, src []Document, docs []docRec, members []member) *layout {
	l := &layout{p: p, src: src, docs: docs}
	var off int64
	switch p.Compression {
	case Zip:
		l.offsets = make([]int64, len(docs)+1)
		for i := range docs {
			l.offsets[i] = off
			off += zipLocalHeaderLen(l.name(i)) + int64(docs[i].packed)
		}
		l.offsets[len(docs)] = off
		l.total = off + zipTrailerSize(l, off)
	default:
		l.offsets = make([]int64, len(members)+1)
		l.firsts = make([]int32, len(members)+1)
		first := 0
		for i, m := range members {
			l.offsets[i], l.firsts[i] = off, int32(first)
			first += m.docs
			off += m.size
		}
		l.offsets[len(members)], l.firsts[len(members)] = off, int32(first)
		l.tarTrail = tarTrailer(p.Level)
		l.total = off + int64(len(l.tarTrail))
	}
	return l
}

// name is the file name of the k-th document of the archive.
func (l *layout) name(k int) string { return l.src[l.docs[k].src].Name }

// segments is how many segments precede the trailer.
func (l *layout) segments() int { return len(l.offsets) - 1 }

// trailer is the trailer's offset.
func (l *layout) trailer() int64 { return l.offsets[len(l.offsets)-1] }

// segment j: its documents (first, count in archive order) and place.
func (l *layout) segment(j int) (first, count int, offset, size int64) {
	offset, size = l.offsets[j], l.offsets[j+1]-l.offsets[j]
	if l.p.Compression == Zip {
		return j, 1, offset, size
	}
	return int(l.firsts[j]), int(l.firsts[j+1] - l.firsts[j]), offset, size
}

// zipEntries yields the ZIP entries of the documents, placed from 0.
func (l *layout) zipEntries() func(yield func(*zipEntry) bool) {
	return func(yield func(*zipEntry) bool) {
		var off int64
		var e zipEntry
		for i := range l.docs {
			d := &l.docs[i]
			name := l.name(i)
			e = zipEntry{name: name, crc: d.crc, size: int64(d.size), packed: int64(d.packed), method: zipMethod(l.p.Level), offset: off}
			if !yield(&e) {
				return
			}
			off += zipLocalHeaderLen(name) + int64(d.packed)
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
func zipTrailerSize(l *layout, start int64) int64 {
	var n countingWriter
	_ = writeZipTrailer(&n, l.zipEntries(), len(l.docs), start)
	return int64(n)
}

// writeTrailer writes the trailer.
func (l *layout) writeTrailer(w io.Writer) error {
	if l.p.Compression == Zip {
		return writeZipTrailer(w, l.zipEntries(), len(l.docs), l.trailer())
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
	p Packing
}

func newEncoder(p Packing) *encoder { return &encoder{p: p} }

// zipData compresses one document as ZIP entry data into out (stored
// entries are the document itself, not copied).
func (e *encoder) zipData(out *bytes.Buffer, doc []byte) (data []byte, crc uint32) {
	crc = crc32.ChecksumIEEE(doc)
	if e.p.Level == 0 {
		return doc, crc
	}
	fw := getFlate(e.p.Level, out)
	fw.Write(doc)
	fw.Close()
	putFlate(e.p.Level, fw)
	return out.Bytes(), crc
}

// tarMember writes docs as tar entries into one gzip member in out.
func (e *encoder) tarMember(out *bytes.Buffer, names []string, docs [][]byte) {
	raw := buffers.Get().(*bytes.Buffer)
	defer putBuffer(raw)
	tw := tar.NewWriter(raw)
	for i, doc := range docs {
		tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: names[i], Size: int64(len(doc)), Mode: 0o644, ModTime: tarModTime,
		})
		tw.Write(doc)
	}
	tw.Flush() // pads the last entry; the end-of-archive blocks come in the trailer
	gz := getGzip(e.p.Level, out)
	gz.Write(raw.Bytes())
	gz.Close()
	putGzip(e.p.Level, gz)
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
