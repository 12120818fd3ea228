// Package symkey is the symmetric half of KSeF's document encryption: the
// fresh AES-256 key and IV a client generates for one online session, one
// batch session or one export, wrapped for KSeF with RSA-OAEP-SHA256 under
// the current SymmetricKeyEncryption public key, and the AES-256-CBC with
// PKCS#7 padding every document, batch part and export part goes through —
// with the SHA-256 digests and sizes KSeF declares and checks on both sides.
//
// KSeF's scheme (protocol.md §6): one key and one IV for everything in the
// session; the ciphertext carries no IV prefix; hashes are of the exact
// bytes, plaintext and ciphertext alike. The key is a secret: it lives in a
// secret.Bytes and every printed form of a Key is redacted.
package symkey

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/secret"
)

// Sizes KSeF requires.
const (
	KeySize = 32 // AES-256
	IVSize  = aes.BlockSize
)

// Key is one session's (or export's) AES-256 key and IV. Safe for
// concurrent use: it is never modified after creation.
type Key struct {
	key   secret.Bytes
	iv    [IVSize]byte
	block cipher.Block
}

// New generates a fresh key and IV from crypto/rand. Never reuse a Key
// across sessions: KSeF's one-IV-per-session scheme is only as good as the
// key's freshness (ksef-api#355).
func New() (*Key, error) {
	var raw [KeySize + IVSize]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "generating the session key")
	}
	k, err := FromBytes(raw[:KeySize], raw[KeySize:])
	clear(raw[:])
	return k, err
}

// FromBytes rebuilds a key from its exported parts (a restored session).
func FromBytes(key, iv []byte) (*Key, error) {
	if len(key) != KeySize {
		return nil, errs.Invalid("key", "the session key must be %d bytes, got %d", KeySize, len(key))
	}
	if len(iv) != IVSize {
		return nil, errs.Invalid("iv", "the initialization vector must be %d bytes, got %d", IVSize, len(iv))
	}
	k := &Key{key: secret.NewBytes(key)}
	copy(k.iv[:], iv)
	b, err := aes.NewCipher(k.key.Reveal())
	if err != nil {
		return nil, errs.Wrap(errs.Crypto, err, "AES key setup")
	}
	k.block = b
	return k, nil
}

// Secret returns the raw key, for an exported state the caller asked for.
func (k *Key) Secret() secret.Bytes { return k.key }

// IV returns a copy of the initialization vector (not secret: KSeF
// receives it in clear).
func (k *Key) IV() []byte { return append([]byte(nil), k.iv[:]...) }

// Wrap encrypts the key for KSeF with pub (RSA-OAEP, SHA-256, MGF1-SHA-256).
func (k *Key) Wrap(pub *pubkeys.Key) ([]byte, error) { return pub.EncryptOAEP(k.key.Reveal()) }

// EncryptionInfo is the "encryption" object of POST /sessions/online,
// /sessions/batch and /invoices/exports.
func (k *Key) EncryptionInfo(pub *pubkeys.Key) (*api.EncryptionInfo, error) {
	wrapped, err := k.Wrap(pub)
	if err != nil {
		return nil, err
	}
	return &api.EncryptionInfo{
		EncryptedSymmetricKey: base64.StdEncoding.EncodeToString(wrapped),
		InitializationVector:  base64.StdEncoding.EncodeToString(k.iv[:]),
		PublicKeyID:           pub.ID,
	}, nil
}

// Announce calls send with the key wrapped for KSeF's current
// SymmetricKeyEncryption key — what opening an online or batch session and
// starting an export do. When KSeF answers 21470 (the key we used was
// withdrawn since we fetched the list) the list is fetched again and send
// is called once more with the key wrapped anew; a second 21470 is the
// caller's error. what names the request in the log line.
func (k *Key) Announce(ctx context.Context, keys *pubkeys.Store, log *slog.Logger, what string, send func(*api.EncryptionInfo) error) error {
	for retried := false; ; retried = true {
		pub, err := keys.Get(ctx, pubkeys.SymmetricKeyEncryption)
		if err != nil {
			return err
		}
		enc, err := k.EncryptionInfo(pub)
		if err != nil {
			return err
		}
		err = send(enc)
		if err == nil || retried || !errs.As(err).HasException(21470) {
			return err
		}
		log.Info("ksef public key withdrawn (21470); reloading the keys and sending again", "request", what)
		keys.Invalidate()
	}
}

// CiphertextSize is the size of the encryption of n plaintext bytes:
// PKCS#7 always adds 1 to 16 bytes.
func CiphertextSize(n int64) int64 { return n - n%IVSize + IVSize }

// Digest is a SHA-256 hash and the size of what was hashed, as KSeF
// declares them (fileHash/fileSize, invoiceHash/invoiceSize …).
type Digest struct {
	SHA256 [sha256.Size]byte
	Size   int64
}

// Base64 is the hash as KSeF writes it (standard Base64 with padding).
func (d Digest) Base64() string { return base64.StdEncoding.EncodeToString(d.SHA256[:]) }

// Sealed is one encrypted document.
type Sealed struct {
	Ciphertext []byte
	Plain      Digest
	Cipher     Digest
}

// Seal encrypts a whole document and hashes plaintext and ciphertext, with
// one allocation for the ciphertext. Large documents are hashed on a second
// core while the first encrypts: AES-CBC cannot be split (each block chains
// on the last), but both digests can run beside it, so a 1 MB invoice costs
// about one AES pass instead of AES plus two SHA-256 passes.
func (k *Key) Seal(plain []byte) *Sealed {
	n := len(plain)
	s := &Sealed{Ciphertext: make([]byte, CiphertextSize(int64(n)))}
	s.Plain.Size, s.Cipher.Size = int64(n), int64(len(s.Ciphertext))
	enc := cipher.NewCBCEncrypter(k.block, k.iv[:])
	if n < parallelSealMin || runtime.GOMAXPROCS(0) < 2 {
		encryptPadded(enc, s.Ciphertext, plain, nil)
		s.Plain.SHA256, s.Cipher.SHA256 = sha256.Sum256(plain), sha256.Sum256(s.Ciphertext)
		return s
	}
	ready := make(chan int, len(s.Ciphertext)/sealChunk+2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Plain.SHA256 = sha256.Sum256(plain)
		h, off := sha256.New(), 0
		for end := range ready {
			h.Write(s.Ciphertext[off:end])
			off = end
		}
		h.Sum(s.Cipher.SHA256[:0])
	}()
	encryptPadded(enc, s.Ciphertext, plain, ready)
	close(ready)
	<-done
	return s
}

// Documents from this size on are hashed beside the encryption; below it a
// goroutine costs more than it saves.
const (
	parallelSealMin = 64 << 10
	sealChunk       = 32 << 10
)

// encryptPadded writes the PKCS#7-padded encryption of plain into ct,
// announcing on ready (when non-nil) how much of ct is final.
func encryptPadded(enc cipher.BlockMode, ct, plain []byte, ready chan<- int) {
	n := len(plain)
	full := n - n%IVSize
	for off := 0; off < full; {
		end := min(off+sealChunk, full)
		enc.CryptBlocks(ct[off:end], plain[off:end])
		if ready != nil {
			ready <- end
		}
		off = end
	}
	last := ct[full:]
	copy(last, plain[full:])
	pad := byte(IVSize - n%IVSize)
	for i := n - full; i < IVSize; i++ {
		last[i] = pad
	}
	enc.CryptBlocks(last, last)
	if ready != nil {
		ready <- len(ct)
	}
}

// Open decrypts a whole ciphertext and removes the padding.
func (k *Key) Open(ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%IVSize != 0 {
		return nil, errs.New(errs.Crypto, "ciphertext of %d bytes is not a whole number of AES blocks", len(ct))
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(k.block, k.iv[:]).CryptBlocks(out, ct)
	n, err := unpad(out)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// unpad checks PKCS#7 padding and returns the plaintext length.
func unpad(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, errs.New(errs.Crypto, "empty plaintext has no padding")
	}
	p := int(b[len(b)-1])
	bad := p == 0 || p > IVSize || p > len(b)
	if !bad {
		for _, c := range b[len(b)-p:] {
			bad = bad || int(c) != p
		}
	}
	if bad {
		return 0, errs.New(errs.Crypto, "wrong PKCS#7 padding after decryption: wrong key or IV, or damaged data")
	}
	return len(b) - p, nil
}

// The key never prints, whatever the verb or logger, through a value or a
// pointer.
func (Key) String() string                 { return "symkey.Key(" + secret.Redacted + ")" }
func (k Key) GoString() string             { return k.String() }
func (k Key) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(k.String())) }
func (k Key) LogValue() slog.Value         { return slog.StringValue(k.String()) }
func (k Key) MarshalJSON() ([]byte, error) { return []byte(`"` + k.String() + `"`), nil }
