package batch

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
)

// Memory: a batch is packed (first pass) and every part made again and
// uploaded over real HTTP to a loopback store that only hashes what it
// gets (second pass) — the whole client side of a batch but the KSeF
// calls — while the Go heap is sampled. The bound is the same for 100 MB
// and 1 GB of 10 KB invoices: what grows with the batch is the table of
// documents (~0.2 KB each), not the archive. The 1 GB run takes a minute
// or more on two busy cores: `make test-memory` runs it
// (KSEFKIT_MEMORY_1GB=1); `make test` the 100 MB one.

// heapBound is the most live Go heap the client may hold while it packs
// and uploads a batch, whatever its size.
const heapBound = 48 << 20

type memoryFigures struct {
	peakLive, peakHeap uint64 // live heap after a GC; all heap objects
	archive            int64
	parts              int
}

// sampler records the peak of the heap while a batch runs.
type sampler struct {
	stop chan struct{}
	done chan memoryFigures
}

func sampleHeap() *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan memoryFigures, 1)}
	go func() {
		m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		var f memoryFigures
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(m)
			f.peakLive = max(f.peakLive, m[0].Value.Uint64())
			f.peakHeap = max(f.peakHeap, m[1].Value.Uint64())
			select {
			case <-s.stop:
				s.done <- f
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) result() memoryFigures {
	close(s.stop)
	return <-s.done
}

// discardStore answers part uploads with 201, hashing the bodies.
func discardStore(t testing.TB) (*httptest.Server, *sync.Map) {
	var got sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil || n != r.ContentLength {
			http.Error(w, "short body", http.StatusBadRequest)
			return
		}
		got.Store(r.URL.Path, base64.StdEncoding.EncodeToString(h.Sum(nil)))
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// packAndUpload runs both passes over n generated invoices of size bytes.
func packAndUpload(t testing.TB, n, size int) memoryFigures {
	docs := generated(t, n, size)
	runtime.GC()
	s := sampleHeap()
	key := testKey(t)
	ctx := context.Background()
	p, err := pack(ctx, key, docs, packOptions{Packing: Packing{Compression: Zip, Level: DefaultZipLevel, PartSize: 10_000_000}})
	if err != nil {
		t.Fatal(err)
	}
	store, got := discardStore(t)
	client := &api.Client{BaseURL: store.URL, Sender: &transport.Sender{Doer: nethttp.New(nethttp.Options{})}}
	b := &Batch{
		m:   &Batches{cfg: Config{API: client, Logger: slog.New(slog.DiscardHandler)}},
		key: key, lay: p.layout(), sent: make([]int, len(p.parts)),
	}
	b.st.ReferenceNumber, b.st.UploadDeadline = "20261201-SB-0000000000-0000000000-00", time.Now().Add(time.Hour)
	for i, d := range p.parts {
		b.st.Parts = append(b.st.Parts, Part{OrdinalNumber: i + 1, Size: d.Size, SHA256: d.Base64(), Method: "PUT"})
		b.st.URLs = append(b.st.URLs, secret.NewString(fmt.Sprintf("%s/part/%d", store.URL, i+1)))
	}
	if err := b.Upload(ctx); err != nil {
		t.Fatal(err)
	}
	f := s.result()
	for i, d := range p.parts {
		if h, _ := got.Load(fmt.Sprintf("/part/%d", i+1)); h != d.Base64() {
			t.Fatalf("part %d arrived with hash %v, %s was declared", i+1, h, d.Base64())
		}
	}
	f.archive, f.parts = p.archive.Size, len(p.parts)
	return f
}

func testMemory(t *testing.T, n int) {
	f := packAndUpload(t, n, 10_000)
	t.Logf("%d invoices (%d MB): archive %d MB in %d parts; peak live heap %.1f MiB, peak heap %.1f MiB (bound %d MiB)",
		n, n*10/1000, f.archive>>20, f.parts, float64(f.peakLive)/(1<<20), float64(f.peakHeap)/(1<<20), heapBound>>20)
	if f.peakHeap > heapBound {
		t.Fatalf("the heap peaked at %.1f MiB, over the bound of %d MiB", float64(f.peakHeap)/(1<<20), heapBound>>20)
	}
}

func TestMemory100MB(t *testing.T) { testMemory(t, 10_000) }

func TestMemory1GB(t *testing.T) {
	if os.Getenv("KSEFKIT_MEMORY_1GB") == "" {
		t.Skip("1 GB of invoices: run with `make test-memory` (KSEFKIT_MEMORY_1GB=1)")
	}
	testMemory(t, 100_000)
}

// The peak RSS benchmarks run the same work in a child process (this test
// binary again), whose maximum resident set the kernel reports.
func TestMain(m *testing.M) {
	if n := os.Getenv("KSEFKIT_BATCH_RSS_CHILD"); n != "" {
		count, _ := strconv.Atoi(n)
		size, _ := strconv.Atoi(os.Getenv("KSEFKIT_BATCH_RSS_SIZE"))
		t := &testing.T{}
		f := packAndUpload(t, count, size)
		fmt.Printf("peakHeap=%d\n", f.peakHeap)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func benchmarkRSS(b *testing.B, n, size int) {
	var rss, heap float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "KSEFKIT_BATCH_RSS_CHILD="+strconv.Itoa(n), "KSEFKIT_BATCH_RSS_SIZE="+strconv.Itoa(size))
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		rss = float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // KiB → MiB
		v, _ := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(string(out)), "peakHeap="), 64)
		heap = v / (1 << 20)
	}
	b.ReportMetric(rss, "peak-RSS-MiB")
	b.ReportMetric(heap, "peak-heap-MiB")
}

// 100 MB and 1 GB of 10 KB invoices (1 GB is ten times the invoices a
// batch session takes: the table of documents shows), and 1 GB as KSeF
// allows it: 10 000 invoices of 100 KB.
func BenchmarkPeakRSS100MB(b *testing.B)            { benchmarkRSS(b, 10_000, 10_000) }
func BenchmarkPeakRSS1GB(b *testing.B)              { benchmarkRSS(b, 100_000, 10_000) }
func BenchmarkPeakRSS1GB10000Invoices(b *testing.B) { benchmarkRSS(b, 10_000, 100_000) }
