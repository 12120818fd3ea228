package certs

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"hash"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/errs"
)

// This file decrypts PKCS#8 EncryptedPrivateKeyInfo ("ENCRYPTED PRIVATE
// KEY"), the form in which the KSeF portal hands out EC P-256 keys. Go's
// standard library reads only unencrypted PKCS#8, and we keep the module
// graph free of third-party crypto, so the decoder is ours: PBES2 (RFC 8018)
// with PBKDF2 over any HMAC-SHA-1/2 and AES-CBC or 3DES-CBC — the full matrix
// of `openssl pkcs8 -topk8 -v2 … -v2prf …` — plus the legacy PKCS#12 PBES1
// scheme pbeWithSHAAnd3-KeyTripleDES-CBC (`-v1 PBE-SHA1-3DES`).

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidPBESHA3DES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}

	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// maxIterations bounds the work a hostile file can demand; real files use
// 2 048 (OpenSSL) to a few hundred thousand.
const maxIterations = 10_000_000

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

type pbes1Params struct {
	Salt       []byte
	Iterations int
}

// parseEncryptedPKCS8 reports whether der is an EncryptedPrivateKeyInfo.
func parseEncryptedPKCS8(der []byte) (*encryptedPrivateKeyInfo, bool) {
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil || len(rest) != 0 || len(info.Data) == 0 {
		return nil, false
	}
	return &info, true
}

// decryptPKCS8 returns the PrivateKeyInfo DER inside an
// EncryptedPrivateKeyInfo.
func decryptPKCS8(info *encryptedPrivateKeyInfo, password []byte) ([]byte, error) {
	if len(password) == 0 {
		return nil, passwordRequired()
	}
	switch {
	case info.Algorithm.Algorithm.Equal(oidPBES2):
		return decryptPBES2(info, password)
	case info.Algorithm.Algorithm.Equal(oidPBESHA3DES):
		return decryptPBES1(info, password)
	}
	return nil, fail(errs.InputInvalid, "key", FindingUnsupportedEncryption,
		"key encryption %s is not supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`", info.Algorithm.Algorithm)
}

func unsupportedEncryption(what string) error {
	return fail(errs.InputInvalid, "key", FindingUnsupportedEncryption,
		"%s is not supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`", what)
}

func decryptPBES2(info *encryptedPrivateKeyInfo, password []byte) ([]byte, error) {
	var p pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
		return nil, malformedKey("encrypted private key: malformed PBES2 parameters")
	}
	if p.KeyDerivationFunc.Algorithm.Equal(oidScrypt) {
		return nil, unsupportedEncryption("scrypt key derivation")
	}
	if !p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, unsupportedEncryption("key derivation " + p.KeyDerivationFunc.Algorithm.String())
	}
	var kdf pbkdf2Params
	if rest, err := asn1.Unmarshal(p.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil || len(rest) != 0 {
		return nil, malformedKey("encrypted private key: malformed PBKDF2 parameters")
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxIterations {
		return nil, malformedKey("encrypted private key: PBKDF2 iteration count %d out of range", kdf.Iterations)
	}

	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch s := p.EncryptionScheme.Algorithm; {
	case s.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case s.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case s.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case s.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, unsupportedEncryption("cipher " + s.String())
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, malformedKey("encrypted private key: PBKDF2 key length %d does not fit the cipher", kdf.KeyLength)
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(p.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(rest) != 0 {
		return nil, malformedKey("encrypted private key: malformed cipher IV")
	}

	var prf func() hash.Hash
	switch h := kdf.PRF.Algorithm; {
	case len(h) == 0 || h.Equal(oidHMACSHA1): // DEFAULT hmacWithSHA1
		prf = sha1.New
	case h.Equal(oidHMACSHA224):
		prf = sha256.New224
	case h.Equal(oidHMACSHA256):
		prf = sha256.New
	case h.Equal(oidHMACSHA384):
		prf = sha512.New384
	case h.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, unsupportedEncryption("PBKDF2 PRF " + h.String())
	}
	// PBKDF2 takes the password as octets; OpenSSL passes the bytes typed.
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, malformedKey("encrypted private key: %v", err)
	}
	return cbcDecrypt(newCipher, key, iv, info.Data)
}

func decryptPBES1(info *encryptedPrivateKeyInfo, password []byte) ([]byte, error) {
	var p pbes1Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
		return nil, malformedKey("encrypted private key: malformed PBES1 parameters")
	}
	if p.Iterations < 1 || p.Iterations > maxIterations {
		return nil, malformedKey("encrypted private key: iteration count %d out of range", p.Iterations)
	}
	if !utf8.Valid(password) {
		return nil, wrongPassword()
	}
	pw := bmpString(password)
	key := pkcs12KDF(p.Salt, pw, p.Iterations, 1, 24)
	iv := pkcs12KDF(p.Salt, pw, p.Iterations, 2, 8)
	return cbcDecrypt(des.NewTripleDESCipher, key, iv, info.Data)
}

// cbcDecrypt decrypts and strips PKCS#7 padding. Bad padding almost always
// means a wrong password, so that is how it is reported.
func cbcDecrypt(newCipher func([]byte) (cipher.Block, error), key, iv, data []byte) ([]byte, error) {
	block, err := newCipher(key)
	if err != nil {
		return nil, malformedKey("encrypted private key: %v", err)
	}
	bs := block.BlockSize()
	if len(iv) != bs {
		return nil, malformedKey("encrypted private key: IV has %d bytes, want %d", len(iv), bs)
	}
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, malformedKey("encrypted private key: ciphertext is not a whole number of blocks")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n == 0 || n > bs {
		return nil, wrongPassword()
	}
	pad := out[len(out)-n:]
	if !hmac.Equal(pad, repeatByte(byte(n), n)) {
		return nil, wrongPassword()
	}
	return out[:len(out)-n], nil
}

func repeatByte(b byte, n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = b
	}
	return s
}

// bmpString is the password encoding of PKCS#12: UTF-16BE with a 0x0000
// terminator.
func bmpString(pw []byte) []byte {
	u := utf16.Encode([]rune(string(pw)))
	out := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		out = append(out, byte(c>>8), byte(c))
	}
	return append(out, 0, 0)
}

// pkcs12KDF is the key derivation of RFC 7292 appendix B.2 with SHA-1.
func pkcs12KDF(salt, password []byte, iterations int, id byte, size int) []byte {
	const v = 64 // SHA-1 block size; its output size is 20
	fill := func(src []byte) []byte {
		if len(src) == 0 {
			return nil
		}
		out := make([]byte, v*((len(src)+v-1)/v))
		for i := range out {
			out[i] = src[i%len(src)]
		}
		return out
	}
	D := repeatByte(id, v)
	I := append(fill(salt), fill(password)...)
	var out []byte
	for len(out) < size {
		h := sha1.New()
		h.Write(D)
		h.Write(I)
		A := h.Sum(nil)
		for r := 1; r < iterations; r++ {
			s := sha1.Sum(A)
			A = s[:]
		}
		out = append(out, A...)
		if len(out) >= size {
			break
		}
		B := fill(A)
		// I_j = (I_j + B + 1) mod 2^(v·8) for every v-byte block.
		for j := 0; j < len(I); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				sum := int(I[j+k]) + int(B[k]) + carry
				I[j+k] = byte(sum)
				carry = sum >> 8
			}
		}
	}
	return out[:size]
}
