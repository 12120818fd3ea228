package symkey

import (
	"crypto/cipher"
	"crypto/sha256"
	"hash"
	"io"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Writer encrypts a stream into an underlying writer: what is written is
// plaintext, what reaches dst is AES-256-CBC ciphertext, padded on Close.
// It hashes both sides as it goes, so a batch part or a large document is
// encrypted and digested in one pass with memory bounded by the write size.
type Writer struct {
	dst         io.Writer
	enc         cipher.BlockMode
	buf         []byte // pending plaintext: less than one block between writes
	out         []byte // ciphertext scratch, reused
	plainH      hash.Hash
	cipherH     hash.Hash
	plainN, ctN int64
	closed      bool
	err         error
}

// NewWriter starts encrypting into dst.
func (k *Key) NewWriter(dst io.Writer) *Writer {
	return &Writer{dst: dst, enc: cipher.NewCBCEncrypter(k.block, k.iv[:]), plainH: sha256.New(), cipherH: sha256.New()}
}

// Write encrypts every whole block of what has arrived so far.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errs.New(errs.Internal, "symkey: write after Close")
	}
	n := len(p)
	w.plainH.Write(p)
	w.plainN += int64(n)
	if len(w.buf) > 0 {
		fill := min(IVSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:fill]...)
		p = p[fill:]
		if len(w.buf) == IVSize {
			if err := w.emit(w.buf); err != nil {
				return 0, err
			}
			w.buf = w.buf[:0]
		}
	}
	if whole := len(p) - len(p)%IVSize; whole > 0 {
		if err := w.emit(p[:whole]); err != nil {
			return 0, err
		}
		p = p[whole:]
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

// emit encrypts whole blocks and writes them on.
func (w *Writer) emit(blocks []byte) error {
	if cap(w.out) < len(blocks) {
		w.out = make([]byte, len(blocks))
	}
	out := w.out[:len(blocks)]
	w.enc.CryptBlocks(out, blocks)
	w.cipherH.Write(out)
	w.ctN += int64(len(out))
	if _, err := w.dst.Write(out); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Close pads and writes the last block. It does not close dst.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	pad := IVSize - len(w.buf)
	for range pad {
		w.buf = append(w.buf, byte(pad))
	}
	return w.emit(w.buf)
}

// Plain is the digest of everything written (valid after Close).
func (w *Writer) Plain() Digest { return digestOf(w.plainH, w.plainN) }

// Cipher is the digest of everything written to dst (valid after Close).
func (w *Writer) Cipher() Digest { return digestOf(w.cipherH, w.ctN) }

func digestOf(h hash.Hash, n int64) Digest {
	var d Digest
	h.Sum(d.SHA256[:0])
	d.Size = n
	return d
}

// Reader decrypts a ciphertext stream: reads from it yield plaintext, the
// padding is checked and removed at the end. It hashes both sides, so an
// export part's encryptedPartHash and partHash are checked in the same pass.
// Memory is two chunk-sized buffers, reused.
type Reader struct {
	src         io.Reader
	dec         cipher.BlockMode
	inBuf       []byte
	outBuf      []byte
	carry       [IVSize]byte // ciphertext read but not yet a whole block
	carryN      int
	held        [IVSize]byte // the last decrypted block, withheld: it carries the padding
	hasHeld     bool
	plain       []byte // decrypted, not yet returned
	plainH      hash.Hash
	cipherH     hash.Hash
	plainN, ctN int64
	eof         bool
	err         error
}

// chunk bounds the ciphertext read per refill.
const chunk = 64 << 10

// NewReader starts decrypting src.
func (k *Key) NewReader(src io.Reader) *Reader {
	return &Reader{
		src: src, dec: cipher.NewCBCDecrypter(k.block, k.iv[:]),
		inBuf: make([]byte, 0, chunk+IVSize), outBuf: make([]byte, chunk+2*IVSize),
		plainH: sha256.New(), cipherH: sha256.New(),
	}
}

func (r *Reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	r.plainH.Write(p[:n])
	r.plainN += int64(n)
	return n, nil
}

// fill reads more ciphertext and decrypts the whole blocks, holding the
// final block back until EOF proves it is the last one. It runs only when
// every decrypted byte was returned, so the buffers can be reused.
func (r *Reader) fill() {
	if r.eof {
		r.finish()
		return
	}
	buf := append(r.inBuf[:0], r.carry[:r.carryN]...)
	n, err := io.ReadAtLeast(r.src, buf[len(buf):cap(buf)], 1)
	r.cipherH.Write(buf[len(buf) : len(buf)+n])
	r.ctN += int64(n)
	buf = buf[:len(buf)+n]
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		r.eof = true
	case err != nil:
		r.err = err
		return
	}
	whole := len(buf) - len(buf)%IVSize
	r.carryN = copy(r.carry[:], buf[whole:])
	if whole > 0 {
		out := r.outBuf[:0]
		if r.hasHeld {
			out = append(out, r.held[:]...)
		}
		start := len(out)
		out = out[:start+whole]
		r.dec.CryptBlocks(out[start:], buf[:whole])
		copy(r.held[:], out[len(out)-IVSize:])
		r.hasHeld = true
		r.plain = out[:len(out)-IVSize]
	}
	if r.eof {
		r.finish()
	}
}

// finish checks the ciphertext ended on a block boundary and strips the
// padding of the held block.
func (r *Reader) finish() {
	if r.err != nil {
		return
	}
	if r.carryN != 0 || !r.hasHeld {
		r.err = errs.New(errs.Crypto, "ciphertext of %d bytes is not a whole number of AES blocks", r.ctN)
		return
	}
	n, err := unpad(r.held[:])
	if err != nil {
		r.err = err
		return
	}
	r.plain = append(r.plain, r.held[:n]...)
	r.hasHeld = false
	r.err = io.EOF
}

// Plain is the digest of the plaintext returned so far (complete at EOF).
func (r *Reader) Plain() Digest { return digestOf(r.plainH, r.plainN) }

// Cipher is the digest of the ciphertext consumed so far (complete at EOF).
func (r *Reader) Cipher() Digest { return digestOf(r.cipherH, r.ctN) }
