package hwm_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/hwm"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

// BenchmarkSync10k is a first sync of 10 000 invoices end to end against
// the simulator on loopback: the export (the simulator builds and encrypts
// the package — its work is in the figure too), status polls, the
// download, decryption, spool and every document handed over. "memory":
// to a Go callback; "inbox": the invoices.sync operation, which writes
// each document's XML and metadata into a directory, each file flushed to
// disk (fsync) before the state moves.
func BenchmarkSync10k(b *testing.B) {
	srv := simtest.Start(b, sim.Options{ExportDelay: -1})
	buyer, buyerNIP := simtest.Party(b, srv)
	_, sellerNIP := simtest.Party(b, srv)
	since := time.Now().Add(-48 * time.Hour)
	if _, err := srv.SeedInvoices(sim.Seed{SellerNIP: sellerNIP, BuyerNIP: buyerNIP, Count: 10_000, StoredFrom: since.Add(time.Minute), Spacing: "10s"}); err != nil {
		b.Fatal(err)
	}
	b.Run("memory", func(b *testing.B) {
		for range b.N {
			n := 0
			rep, err := buyer.Sync(context.Background(), &hwm.MemoryStore{}, hwm.Options{Since: since}, func(hwm.Document) error { n++; return nil })
			if err != nil || n != 10_000 || !rep.CaughtUp {
				b.Fatalf("%d documents: %v", n, err)
			}
		}
		b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
	})
	b.Run("inbox", func(b *testing.B) {
		for range b.N {
			in, _ := json.Marshal(map[string]any{"state": map[string]any{}, "dir": b.TempDir(), "since": since})
			res, _, err := ops.Default().Run(context.Background(), buyer, "invoices.sync", in)
			if err != nil || res.(*ops.SyncResult).Delivered != 10_000 {
				b.Fatalf("invoices.sync: %v", err)
			}
		}
		b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
	})
}
