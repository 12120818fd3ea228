package certs

import (
	"crypto/x509"
	"encoding/pem"
)

// ParseCertificate reads one certificate, PEM or DER, without a key — for
// inspecting a certificate on its own. In a PEM bundle the first
// CERTIFICATE block is taken.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	data = Normalize(data)
	if isPEM(data) {
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				return nil, malformedCert("no CERTIFICATE block in the PEM data")
			}
			if block.Type == "CERTIFICATE" {
				c, err := x509.ParseCertificate(block.Bytes)
				if err != nil {
					return nil, malformedCert("PEM certificate: %v", err)
				}
				return c, nil
			}
		}
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, malformedCert("not a PEM or DER certificate: %v", err)
	}
	return c, nil
}
