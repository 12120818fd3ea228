package export

import (
	"archive/zip"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
)

// TestExportMemoryFlat (make test-memory; KSEFKIT_MEMORY=1) downloads,
// decrypts, spools and reads packages of 100 MB and 1 GB — KSeF's largest —
// in a child process each, and holds the child's peak RSS to within 16 MiB
// of each other: memory does not grow with the package. It needs ~3 GB of
// temporary disk and takes about a minute, so it is not part of make test.
func TestExportMemoryFlat(t *testing.T) {
	if os.Getenv("KSEFKIT_MEMORY") == "" {
		t.Skip("set KSEFKIT_MEMORY=1 (make test-memory): writes ~3 GB of temporary files")
	}
	var rss []int64
	for _, mb := range []int{100, 1000} {
		rss = append(rss, childPeakRSS(t, mb))
		t.Logf("package of %4d MB: peak RSS %.1f MiB", mb, float64(rss[len(rss)-1])/(1<<20))
	}
	if d := rss[1] - rss[0]; d > 16<<20 {
		t.Fatalf("peak RSS grew by %.1f MiB from 100 MB to 1 GB", float64(d)/(1<<20))
	}
}

// memoryJob is what the child downloads.
type memoryJob struct {
	Parts []api.InvoicePackagePart `json:"parts"`
	Key   []byte                   `json:"key"`
	IV    []byte                   `json:"iv"`
	Size  int64                    `json:"size"`
	Files int                      `json:"files"`
}

func childPeakRSS(t *testing.T, mb int) int64 {
	dir := t.TempDir()
	key, err := symkey.New()
	if err != nil {
		t.Fatal(err)
	}
	job := writePackage(t, dir, key, int64(mb)*1_000_000)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	for i := range job.Parts {
		job.Parts[i].URL = srv.URL + "/" + job.Parts[i].URL
	}
	job.Key, job.IV = key.Secret().Reveal(), key.IV()
	jf := filepath.Join(dir, "job.json")
	b, _ := json.Marshal(job)
	os.WriteFile(jf, b, 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^TestExportMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "KSEFKIT_MEMORY_JOB="+jf, "TMPDIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "peak-rss ")
	if i < 0 {
		t.Fatalf("child said nothing of its RSS:\n%s", out)
	}
	n, _ := strconv.ParseInt(strings.Fields(string(out[i+len("peak-rss "):]))[0], 10, 64)
	return n
}

// TestExportMemoryChild is the child's side: open the package (download,
// decrypt, spool) and read every entry, then report the peak RSS.
func TestExportMemoryChild(t *testing.T) {
	jf := os.Getenv("KSEFKIT_MEMORY_JOB")
	if jf == "" {
		t.Skip("the child of TestExportMemoryFlat")
	}
	b, _ := os.ReadFile(jf)
	var job memoryJob
	if err := json.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	key, err := symkey.FromBytes(job.Key, job.IV)
	if err != nil {
		t.Fatal(err)
	}
	a := &api.Client{Sender: &transport.Sender{Doer: nethttp.New(nethttp.Options{}), Clock: transport.SystemClock{},
		Policy: transport.RetryPolicy{AttemptTimeout: 10 * time.Minute, TotalTimeout: 10 * time.Minute}}}
	x := New(Config{API: a})
	p := &Package{e: &Export{x: x, ref: "20260101-EH-MEMORY0000-0000000000-00", key: key}, Info: api.InvoicePackage{Size: job.Size, Parts: job.Parts}}
	arc, err := p.Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range arc.Names() {
		rc, _, err := arc.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		n++
	}
	arc.Close()
	if n != job.Files {
		t.Fatalf("%d files, want %d", n, job.Files)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("peak-rss %d\n", ru.Maxrss*1024)
}

// writePackage writes a ZIP of 1 MB incompressible entries (Store) of
// about size bytes to dir, splits it into 50 MB parts and encrypts each
// into its own file, streaming: nothing of that size is held in memory.
func writePackage(t *testing.T, dir string, key *symkey.Key, size int64) memoryJob {
	zf, err := os.Create(filepath.Join(dir, "package.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	chunk := make([]byte, 1_000_000)
	files := 0
	for written := int64(0); written < size; written += int64(len(chunk)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("5265877635-20260101-%012X-00.xml", files), Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		rand.Read(chunk)
		w.Write(chunk)
		files++
	}
	zw.Close()
	total, _ := zf.Seek(0, io.SeekEnd)
	job := memoryJob{Size: total, Files: files}
	const partSize = 50_000_000
	for i, off := 1, int64(0); off < total; i, off = i+1, off+partSize {
		n := min(partSize, total-off)
		name := fmt.Sprintf("part-%03d.aes", i)
		pf, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := key.NewWriter(pf)
		if _, err := io.Copy(w, io.NewSectionReader(zf, off, n)); err != nil {
			t.Fatal(err)
		}
		w.Close()
		pf.Close()
		job.Parts = append(job.Parts, api.InvoicePackagePart{OrdinalNumber: i, URL: name, PartSize: w.Plain().Size, PartHash: w.Plain().Base64(),
			EncryptedPartSize: w.Cipher().Size, EncryptedPartHash: w.Cipher().Base64()})
	}
	zf.Close()
	os.Remove(zf.Name())
	return job
}
