package certs

import "testing"

func BenchmarkSerialNumberIdentity(b *testing.B) {
	const serial = "IDCPL-ABC PNOPL-44051401359"
	for b.Loop() {
		if m := peselInSerial().FindStringSubmatch(serial); m == nil {
			b.Fatal("no match")
		}
	}
}
