package xades

import "math/big"

// derToRaw converts an ASN.1 DER ECDSA-Sig-Value (SEQUENCE{r, s}) to the
// fixed-width r||s of XML-DSig 1.1 / RFC 4050, each half left-padded to size
// bytes. A bare big.Int.Bytes() would drop leading zeros about once in 128
// signatures and produce a value verifiers reject.
func derToRaw(der []byte, size int) ([]byte, bool) {
	body, rest, ok := derElement(der, 0x30)
	if !ok || len(rest) != 0 {
		return nil, false
	}
	r, body, ok := derElement(body, 0x02)
	if !ok {
		return nil, false
	}
	s, body, ok := derElement(body, 0x02)
	if !ok || len(body) != 0 {
		return nil, false
	}
	out := make([]byte, 2*size)
	if !putInteger(out[:size], r) || !putInteger(out[size:], s) {
		return nil, false
	}
	return out, true
}

// derElement splits one TLV with the expected tag off b (definite lengths,
// at most two length octets — plenty for P-521).
func derElement(b []byte, tag byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	n, hdr := int(b[1]), 2
	switch {
	case n < 0x80:
	case n == 0x81 && len(b) >= 3:
		n, hdr = int(b[2]), 3
	case n == 0x82 && len(b) >= 4:
		n, hdr = int(b[2])<<8|int(b[3]), 4
	default:
		return nil, nil, false
	}
	if len(b)-hdr < n {
		return nil, nil, false
	}
	return b[hdr : hdr+n], b[hdr+n:], true
}

// putInteger right-aligns a positive DER INTEGER in dst.
func putInteger(dst, v []byte) bool {
	if len(v) == 0 || v[0]&0x80 != 0 {
		return false // empty or negative
	}
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > len(dst) {
		return false
	}
	copy(dst[len(dst)-len(v):], v)
	return true
}

// rawToInts splits r||s.
func rawToInts(raw []byte) (*big.Int, *big.Int) {
	h := len(raw) / 2
	return new(big.Int).SetBytes(raw[:h]), new(big.Int).SetBytes(raw[h:])
}
