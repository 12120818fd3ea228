package batchcmd

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/progress"
)

// batchProgress shows a batch's progress on stderr: a bar per stage on a
// terminal, a plain line now and then otherwise, nothing with --json
// (stderr then carries only the JSON error, if any).
type batchProgress struct {
	w     io.Writer
	tty   bool
	quiet bool

	mu    sync.Mutex
	stage string
	bar   *progressbar.ProgressBar
	line  progress.Func
}

func newProgress(f *cmdutil.Factory) *batchProgress {
	p := &batchProgress{w: f.IO.ErrOut, quiet: f.Flags.JSON}
	if file, ok := f.IO.ErrOut.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		p.tty = true
	}
	p.line = progress.Throttle(p.printLine, 2*time.Second)
	return p
}

var stageNames = map[string]string{
	"pack": "checking and packing", "open": "opening the session", "upload": "uploading parts",
	"close": "closing", "process": "KSeF is processing", "upo": "downloading the UPO",
}

func (p *batchProgress) report(e progress.Event) {
	if p.quiet {
		return
	}
	if !p.tty {
		p.line(e)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Stage != p.stage {
		p.finishBar()
		p.stage = e.Stage
		total, opts := int64(-1), []progressbar.Option{
			progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(stageNames[e.Stage]),
			progressbar.OptionThrottle(100 * time.Millisecond), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		}
		switch {
		case e.Stage == "upload" && e.BytesTotal > 0:
			total = e.BytesTotal
			opts = append(opts, progressbar.OptionShowBytes(true))
		case e.Total > 0:
			total = e.Total
		default:
			opts = append(opts, progressbar.OptionSpinnerType(14))
		}
		p.bar = progressbar.NewOptions64(total, opts...)
	}
	switch {
	case e.Stage == "upload" && e.BytesTotal > 0:
		p.bar.Set64(e.Bytes)
	case e.Total > 0:
		p.bar.Set64(e.Done)
	default:
		p.bar.Add(1)
	}
}

func (p *batchProgress) finishBar() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

func (p *batchProgress) printLine(e progress.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case e.Stage == "pack":
		fmt.Fprintf(p.w, "%s: %d of %d documents, archive %d bytes\n", stageNames[e.Stage], e.Done, e.Total, e.Bytes)
	case e.Stage == "upload":
		fmt.Fprintf(p.w, "%s: %d of %d parts, %d of %d bytes\n", stageNames[e.Stage], e.Done, e.Total, e.Bytes, e.BytesTotal)
	case e.Detail != "":
		fmt.Fprintf(p.w, "%s: %s\n", stageNames[e.Stage], e.Detail)
	default:
		fmt.Fprintln(p.w, stageNames[e.Stage])
	}
}

// done ends the bar before the report is printed.
func (p *batchProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishBar()
}
