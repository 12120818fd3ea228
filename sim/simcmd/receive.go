package simcmd

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/sim"
)

// receiveFlags are the flags of receiving invoices: the metadata query's
// truncation limit, the exports' limits, parts and timing, and the rate
// limits.
func (c *Config) receiveFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Opts.QueryLimit, "query-limit", 10000, "records of one filter set the metadata query pages to before isTruncated")
	fs.DurationVar(&c.Opts.HWMLag, "hwm-lag", 500*time.Millisecond, "how far the permanent-storage high-water mark trails the clock")
	fs.IntVar(&c.Opts.ExportInvoiceLimit, "export-invoice-limit", 10000, "invoices per export package before isTruncated")
	fs.Int64Var(&c.Opts.ExportSizeLimit, "export-size-limit", 1_000_000_000, "compressed invoice bytes per export package before isTruncated")
	fs.IntVar(&c.Opts.ExportPartSize, "export-part-size", 50_000_000, "bytes per export part before encryption")
	fs.DurationVar(&c.exportDelay, "export-delay", 200*time.Millisecond, "how long an export shows status 100 (0: none)")
	fs.DurationVar(&c.Opts.ExportPackageTTL, "export-ttl", 24*time.Hour, "how long an export package can be downloaded (then status 210)")
	fs.IntVar(&c.Opts.MaxExports, "max-exports", 10, "exports in progress per context before 21182")
	fs.BoolVar(&c.Opts.RateLimits, "rate-limits", false, "enforce the OpenAPI document's rate limits per group (429 with Retry-After)")
	fs.Func("rate-limit", "with --rate-limits, `GROUP=S/M/H` replaces a group's limits per second, minute and hour (repeatable), e.g. invoiceExport=8/16/20", func(s string) error {
		group, v, ok := strings.Cut(s, "=")
		parts := strings.Split(v, "/")
		if !ok || len(parts) != 3 {
			return fmt.Errorf("%q is not GROUP=PER_SECOND/PER_MINUTE/PER_HOUR", s)
		}
		var n [3]int
		for i, p := range parts {
			x, err := strconv.Atoi(p)
			if err != nil || x < 0 {
				return fmt.Errorf("%q: limits are whole numbers, 0 for none", s)
			}
			n[i] = x
		}
		if c.Opts.RateLimitOverrides == nil {
			c.Opts.RateLimitOverrides = map[string]sim.RateLimit{}
		}
		c.Opts.RateLimitOverrides[group] = sim.RateLimit{PerSecond: n[0], PerMinute: n[1], PerHour: n[2]}
		return nil
	})
}

// checkReceive validates those flags.
func (c *Config) checkReceive() error {
	switch {
	case c.Opts.QueryLimit < 1 || c.Opts.ExportInvoiceLimit < 1 || c.Opts.ExportPartSize < 1 || c.Opts.ExportSizeLimit < 1 || c.Opts.MaxExports < 1:
		return fmt.Errorf("--query-limit, --export-invoice-limit, --export-size-limit, --export-part-size and --max-exports must be positive")
	case c.exportDelay < 0 || c.Opts.HWMLag < 0:
		return fmt.Errorf("--export-delay and --hwm-lag must be 0 or more")
	case c.exportDelay == 0:
		c.Opts.ExportDelay = -1 // sim.Options: negative means none
	default:
		c.Opts.ExportDelay = c.exportDelay
	}
	if c.Opts.HWMLag == 0 {
		c.Opts.HWMLag = time.Nanosecond // zero would mean the default
	}
	return nil
}
