package hwm_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/hwm"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// inbox is a consumer: what it stored, by KSeF number, and how often each came.
type inbox struct {
	got   map[string][]byte
	times map[string]int
}

func newInbox() *inbox { return &inbox{got: map[string][]byte{}, times: map[string]int{}} }

func (b *inbox) take(d hwm.Document) error {
	b.got[d.Metadata.KSeFNumber] = d.XML
	b.times[d.Metadata.KSeFNumber]++
	return nil
}

// visible is what the simulator holds for nip as the subject types.
func visible(srv *sim.Server, nip string, subjects ...string) map[string][]byte {
	out := map[string][]byte{}
	for _, inv := range srv.Invoices() {
		for _, s := range subjects {
			for _, c := range inv.Subjects(s) {
				if c.Value == nip {
					out[inv.KSeFNumber] = inv.XML
				}
			}
		}
	}
	return out
}

func sameSet(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d invoices, the simulator holds %d", what, len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || string(g) != string(v) {
			t.Fatalf("%s: %s missing or different", what, k)
		}
	}
}

// Two subjects exchange invoices over seven months: each syncs its sales
// (Subject1) and purchases (Subject2) in windows of at most three months,
// some cut short by KSeF's package limit (set to 40 here), and gets each
// invoice exactly once; a second run brings nothing; new invoices come on
// the third.
func TestSyncTwoSubjects(t *testing.T) {
	srv := simtest.Start(t, sim.Options{ExportInvoiceLimit: 40, ExportDelay: 10 * time.Millisecond})
	a, nipA := simtest.Party(t, srv)
	b, nipB := simtest.Party(t, srv)
	since := time.Now().AddDate(0, -7, 0)
	seed := func(seller, buyer string, n int, from time.Time, spacing string) {
		t.Helper()
		if _, err := srv.SeedInvoices(sim.Seed{SellerNIP: seller, BuyerNIP: buyer, Count: n, StoredFrom: from, Spacing: spacing, PerInstant: 2}); err != nil {
			t.Fatal(err)
		}
	}
	seed(nipA, nipB, 120, since.Add(time.Hour), "30h")
	seed(nipB, nipA, 70, since.Add(2*time.Hour), "50h")
	subjects := hwm.Options{SubjectTypes: []string{"Subject1", "Subject2"}, Since: since}
	for _, p := range []struct {
		c   *ksef.Client
		nip string
	}{{a, nipA}, {b, nipB}} {
		store := &hwm.MemoryStore{}
		box := newInbox()
		rep, err := p.c.Sync(ctx(t), store, subjects, box.take)
		if err != nil {
			t.Fatal(err)
		}
		sameSet(t, "first run", box.got, visible(srv, p.nip, "Subject1", "Subject2"))
		for k, n := range box.times {
			if n != 1 {
				t.Fatalf("%s delivered %d times", k, n)
			}
		}
		truncated := 0
		for _, w := range rep.Windows {
			if w.Truncated {
				truncated++
			}
		}
		if !rep.CaughtUp || len(rep.Windows) < 6 || truncated < 2 {
			t.Fatalf("%d windows (%d truncated), caught up %v", len(rep.Windows), truncated, rep.CaughtUp)
		}
		again := newInbox()
		rep, err = p.c.Sync(ctx(t), store, subjects, again.take)
		if err != nil || len(again.got) != 0 || !rep.CaughtUp {
			t.Fatalf("second run: %d new, %v", len(again.got), err)
		}
	}
	// New invoices arrive: only they come.
	store := &hwm.MemoryStore{}
	if _, err := b.Sync(ctx(t), store, hwm.Options{Since: since}, newInbox().take); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	seed(nipA, nipB, 5, time.Now(), "1ms")
	time.Sleep(600 * time.Millisecond) // past the high-water mark's lag
	box := newInbox()
	if _, err := b.Sync(ctx(t), store, hwm.Options{Since: since}, box.take); err != nil || len(box.got) != 5 {
		t.Fatalf("third run: %d new, %v", len(box.got), err)
	}
}

var errCrash = errors.New("the consumer crashed")

// A consumer that dies in the middle of a window (here: its callback
// fails) and a new process that starts over from the state file: every
// invoice arrives at least once, and the consumer's de-duplicated set is
// exactly what the simulator holds.
func TestSyncKilledMidWindow(t *testing.T) {
	srv := simtest.Start(t, sim.Options{ExportInvoiceLimit: 30, ExportDelay: 10 * time.Millisecond})
	_, nipA := simtest.Party(t, srv)
	b, nipB := simtest.Party(t, srv)
	since := time.Now().AddDate(0, -1, 0)
	if _, err := srv.SeedInvoices(sim.Seed{SellerNIP: nipA, BuyerNIP: nipB, Count: 100, StoredFrom: since.Add(time.Minute), Spacing: "5m", PerInstant: 3}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sync.json")
	box := newInbox()
	n := 0
	_, err := b.Sync(ctx(t), hwm.FileStore{Path: path}, hwm.Options{Since: since}, func(d hwm.Document) error {
		if n++; n == 45 { // in the second window
			return errCrash
		}
		return box.take(d)
	})
	if !errors.Is(err, errCrash) {
		t.Fatalf("the run ended with %v", err)
	}
	saved, err := hwm.FileStore{Path: path}.Load(ctx(t))
	if err != nil || saved == nil || saved.Subjects["Subject2"].Windows != 1 {
		t.Fatalf("state after the crash: %+v %v", saved, err)
	}
	// A new process: a new client, the same state file.
	b2, _ := simtest.Party(t, srv)
	b2.RestoreTokens(b.Tokens())
	rep, err := b2.Sync(ctx(t), hwm.FileStore{Path: path}, hwm.Options{Since: since}, box.take)
	if err != nil || !rep.CaughtUp {
		t.Fatal(err)
	}
	sameSet(t, "after the restart", box.got, visible(srv, nipB, "Subject2"))
	again := 0
	for _, c := range box.times {
		if c > 1 {
			again++
		}
	}
	if again == 0 || again > 30 {
		t.Fatalf("%d invoices came twice; the crashed window's, at most 30, should have", again)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("the state directory holds %d files", len(entries))
	}
}

// virtualClock is one clock for the simulator and the client: the client's
// waits move it, so an hour of KSeF's limits passes at once.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(max(d, 0))
	c.mu.Unlock()
	return nil
}

// With KSeF's rate limits enforced (20 exports an hour), a sync of 30
// windows (and more) finishes with no 429 reaching the caller: the client's limiter
// paces the exports from GET /rate-limits, so KSeF refuses none; without
// the limiter KSeF's 429s are waited out instead (Retry-After of up to an
// hour), and the caller still sees none.
func TestSyncWithinRateLimits(t *testing.T) {
	for _, limiter := range []bool{true, false} {
		clk := &virtualClock{now: time.Now()}
		srv := simtest.Start(t, sim.Options{Clock: clk.Now, RateLimits: true, ExportInvoiceLimit: 10, ExportDelay: time.Second,
			AccessTokenTTL: 24 * time.Hour, RefreshTokenTTL: 30 * 24 * time.Hour})
		_, nipA := simtest.Party(t, srv)
		b, nipB := simtest.Party(t, srv, func(c *ksef.Config) {
			c.Clock, c.NoRateLimiter = clk, !limiter
			c.Retry.MaxRetryAfter = time.Minute
		})
		since := clk.Now().AddDate(0, -1, 0)
		if _, err := srv.SeedInvoices(sim.Seed{SellerNIP: nipA, BuyerNIP: nipB, Count: 295, StoredFrom: since.Add(time.Minute), Spacing: "1m"}); err != nil {
			t.Fatal(err)
		}
		box := newInbox()
		start := clk.Now()
		// No deadline: a real-time deadline means nothing on the virtual clock.
		rep, err := b.Sync(context.Background(), &hwm.MemoryStore{}, hwm.Options{Since: since}, box.take)
		if err != nil {
			t.Fatalf("limiter %v: %v", limiter, err)
		}
		sameSet(t, "rate-limited sync", box.got, visible(srv, nipB, "Subject2"))
		took := clk.Now().Sub(start)
		if len(rep.Windows) < 30 || took < time.Hour {
			t.Fatalf("limiter %v: %d windows in %s of KSeF time", limiter, len(rep.Windows), took)
		}
		if refused := srv.RateLimited(); limiter && refused != 0 || !limiter && refused == 0 {
			t.Fatalf("limiter %v: KSeF refused %d requests", limiter, refused)
		}
	}
}
