package batch

import (
	"encoding/binary"
	"io"
)

// The ZIP layout of a batch (PKWARE APPNOTE 6.3): for every document a
// local file header with its CRC-32 and sizes already filled in (the entry
// is compressed before it is written, so no data descriptor follows), then
// the data; at the end the central directory, ZIP64 end records when the
// archive needs them, and the end of central directory record.
//
// archive/zip writes the same format, but only front to back: it cannot
// produce the bytes of part 17 of an archive without writing parts 1–16
// first, and the upload of a part must cost about one part. So the
// encoding is written here, from the recorded table of entries, and every
// byte of it is a pure function of that table — the same archive at every
// pass, in every process (archive/zip reads it back in the tests and in
// the simulator).
//
// Every field that could vary is fixed: the modification time is
// 1980-01-01 00:00 (DOS time 0, date 0x21 — the first DOS date), the
// entries are regular files with mode 0644 made on "Unix", no extra
// fields except ZIP64 offsets, no comments.

const (
	zipLocalSig   = 0x04034b50
	zipCentralSig = 0x02014b50
	zipEnd64Sig   = 0x06064b50
	zipLocator64  = 0x07064b50
	zipEndSig     = 0x06054b50

	zipLocalLen   = 30
	zipCentralLen = 46
	zipEnd64Len   = 56
	zipLocatorLen = 20
	zipEndLen     = 22

	zipDOSDate     = 0x21 // 1980-01-01
	zipMadeByUnix  = 3 << 8
	zipVersion     = 20 // deflate
	zipVersion64   = 45 // ZIP64
	zipFlagUTF8    = 1 << 11
	zipModeRegular = 0o100644 << 16

	zipStore   = 0
	zipDeflate = 8
)

// zip64Above is the largest value the 32-bit fields may hold; beyond it
// (and at it) the ZIP64 form is used. A variable so that tests can
// exercise the ZIP64 records without writing 4 GB.
var zip64Above uint64 = 0xFFFFFFFF

// zip64Entries is the same for the 16-bit entry counts.
var zip64Entries uint64 = 0xFFFF

// zipEntry is what the archive records of one document.
type zipEntry struct {
	name   string
	crc    uint32
	size   int64 // uncompressed
	packed int64 // compressed
	method uint16
	offset int64 // of the local header
}

func zipFlags(name string) uint16 {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return zipFlagUTF8
		}
	}
	return 0
}

// zipLocalHeaderLen is the length of an entry's local header.
func zipLocalHeaderLen(name string) int64 { return zipLocalLen + int64(len(name)) }

// appendZipLocal appends the local file header of e.
func appendZipLocal(b []byte, e *zipEntry) []byte {
	b = binary.LittleEndian.AppendUint32(b, zipLocalSig)
	b = binary.LittleEndian.AppendUint16(b, zipVersion)
	b = binary.LittleEndian.AppendUint16(b, zipFlags(e.name))
	b = binary.LittleEndian.AppendUint16(b, e.method)
	b = binary.LittleEndian.AppendUint16(b, 0) // time 00:00:00
	b = binary.LittleEndian.AppendUint16(b, zipDOSDate)
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	b = binary.LittleEndian.AppendUint32(b, uint32(e.packed))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.size))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.name)))
	b = binary.LittleEndian.AppendUint16(b, 0) // no extra field
	return append(b, e.name...)
}

// appendZipCentral appends the central directory header of e.
func appendZipCentral(b []byte, e *zipEntry) []byte {
	offset := uint32(e.offset)
	version := uint16(zipVersion)
	var extra []byte
	if uint64(e.offset) >= zip64Above {
		offset, version = 0xFFFFFFFF, zipVersion64
		extra = binary.LittleEndian.AppendUint16(extra, 0x0001) // ZIP64 extended information
		extra = binary.LittleEndian.AppendUint16(extra, 8)
		extra = binary.LittleEndian.AppendUint64(extra, uint64(e.offset))
	}
	b = binary.LittleEndian.AppendUint32(b, zipCentralSig)
	b = binary.LittleEndian.AppendUint16(b, zipMadeByUnix|version)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint16(b, zipFlags(e.name))
	b = binary.LittleEndian.AppendUint16(b, e.method)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, zipDOSDate)
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	b = binary.LittleEndian.AppendUint32(b, uint32(e.packed))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.size))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.name)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(extra)))
	b = binary.LittleEndian.AppendUint16(b, 0) // comment
	b = binary.LittleEndian.AppendUint16(b, 0) // disk number start
	b = binary.LittleEndian.AppendUint16(b, 0) // internal attributes
	b = binary.LittleEndian.AppendUint32(b, zipModeRegular)
	b = binary.LittleEndian.AppendUint32(b, offset)
	b = append(b, e.name...)
	return append(b, extra...)
}

// writeZipTrailer writes the central directory of entries, which starts
// at offset start, and the end records, in chunks of about 64 KiB (a
// directory of 10 000 entries is about 1 MB and is never held whole).
func writeZipTrailer(w io.Writer, entries func(yield func(*zipEntry) bool), count int, start int64) error {
	buf := make([]byte, 0, 64<<10)
	var size int64
	for e := range entries {
		buf = appendZipCentral(buf, e)
		if len(buf) >= 60<<10 {
			size += int64(len(buf))
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	size += int64(len(buf))
	n, cdSize, cdStart := uint64(count), uint64(size), uint64(start)
	if n >= zip64Entries || cdSize >= zip64Above || cdStart >= zip64Above {
		end64 := cdStart + cdSize
		buf = binary.LittleEndian.AppendUint32(buf, zipEnd64Sig)
		buf = binary.LittleEndian.AppendUint64(buf, zipEnd64Len-12) // size of the rest of the record
		buf = binary.LittleEndian.AppendUint16(buf, zipMadeByUnix|zipVersion64)
		buf = binary.LittleEndian.AppendUint16(buf, zipVersion64)
		buf = binary.LittleEndian.AppendUint32(buf, 0) // this disk
		buf = binary.LittleEndian.AppendUint32(buf, 0) // disk of the directory
		buf = binary.LittleEndian.AppendUint64(buf, n)
		buf = binary.LittleEndian.AppendUint64(buf, n)
		buf = binary.LittleEndian.AppendUint64(buf, cdSize)
		buf = binary.LittleEndian.AppendUint64(buf, cdStart)
		buf = binary.LittleEndian.AppendUint32(buf, zipLocator64)
		buf = binary.LittleEndian.AppendUint32(buf, 0)
		buf = binary.LittleEndian.AppendUint64(buf, end64)
		buf = binary.LittleEndian.AppendUint32(buf, 1) // total disks
		if n >= zip64Entries {
			n = 0xFFFF
		}
		if cdSize >= zip64Above {
			cdSize = 0xFFFFFFFF
		}
		if cdStart >= zip64Above {
			cdStart = 0xFFFFFFFF
		}
	}
	buf = binary.LittleEndian.AppendUint32(buf, zipEndSig)
	buf = binary.LittleEndian.AppendUint16(buf, 0)
	buf = binary.LittleEndian.AppendUint16(buf, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(n))
	buf = binary.LittleEndian.AppendUint16(buf, uint16(n))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(cdSize))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(cdStart))
	buf = binary.LittleEndian.AppendUint16(buf, 0) // comment
	_, err := w.Write(buf)
	return err
}
