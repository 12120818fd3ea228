package sim

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
)

// Reference-number infixes (protocol.md §2): the two letters tell the kind.
const (
	infixChallenge = "CR"
	infixAuth      = "AU"
	infixKSeFToken = "EC"
)

var refPattern = regexp.MustCompile(`^\d{8}-[A-Z]{2}-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}$`)

// newRef returns a reference number in the real 36-character format
// YYYYMMDD-XX-XXXXXXXXXX-XXXXXXXXXX-XX. KSeF does not document the last two
// hex digits; the simulator puts a CRC-8 there so that typos are detectable.
func newRef(now time.Time, infix string) string {
	body := now.UTC().Format("20060102") + "-" + infix + "-" + randHex(5) + "-" + randHex(5)
	return body + "-" + ids.KSeFNumberChecksum(body)
}

// randHex returns 2n upper-case hex characters.
func randHex(n int) string {
	return strings.ToUpper(hex.EncodeToString(randBytes(n)))
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on broken entropy sources)
	return b
}

// newTraceID returns 32 lower-case hex characters, the shape of KSeF trace ids.
func newTraceID() string { return hex.EncodeToString(randBytes(16)) }
