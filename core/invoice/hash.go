package invoice

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
)

// Hash is Base64 (std, padded) of SHA-256 over exactly these bytes: KSeF's invoiceHash.
func Hash(doc []byte) string {
	sum := sha256.Sum256(doc)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// VerificationLink is KOD I: {qrBase}/invoice/{sellerNip}/{DD-MM-YYYY}/{Base64URL(SHA-256) unpadded}
// (protocol.md §16). qrBase is the environment's QR base (env.Environment.QRBase),
// issueDate is P_1 as "YYYY-MM-DD" and sha the SHA-256 of the exact bytes sent.
func VerificationLink(qrBase, sellerNIP, issueDate string, sha [32]byte) (string, error) {
	base := strings.TrimRight(qrBase, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return "", errs.Invalid("qrBase", "the QR base %q must be an absolute http(s) URL", qrBase)
	}
	if err := ids.ValidateNIP(sellerNIP); err != nil {
		return "", errs.Invalid("sellerNip", "%s", err)
	}
	d, err := time.Parse(time.DateOnly, issueDate)
	if err != nil {
		return "", errs.Invalid("issueDate", "the issue date %q is not YYYY-MM-DD", issueDate)
	}
	return base + "/invoice/" + sellerNIP + "/" + d.Format("02-01-2006") + "/" + base64.RawURLEncoding.EncodeToString(sha[:]), nil
}
