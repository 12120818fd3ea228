package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ksefkit/ksefkit/sim/samples"
)

// writeInvoices writes n generated FA (3) invoices of the seller KSEF_NIP
// (valid, unique numbers, today's date) into dir, for the demo's CLI part:
// files a user would have.
func writeInvoices(dir string, n int) error {
	nip := os.Getenv("KSEF_NIP")
	if nip == "" {
		return fmt.Errorf("--write-invoices needs KSEF_NIP (the seller)")
	}
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: nip, Number: "KSEFKIT/CLI/" + fmt.Sprint(time.Now().UnixNano()%1e9)}, n)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("FV-%04d.xml", i)), g.Invoice(i), 0o644); err != nil {
			return err
		}
	}
	return nil
}
