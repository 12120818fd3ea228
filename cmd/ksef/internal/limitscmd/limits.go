// Package limitscmd is `ksef limits`: the limits and rate limits in force.
package limitscmd

import (
	"fmt"
	"io"
	"reflect"

	"github.com/spf13/cobra"

	"github.com/ksefkit/ksefkit/cmd/ksef/internal/cmdutil"
	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/ops"
)

// NewCmd is the limits group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "limits", Short: "Limits of the context and subject, and request rate limits"}
	cmd.AddCommand(&cobra.Command{
		Use: "get", Short: "Show the limits in force (GET /limits/context, /limits/subject, /rate-limits)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := f.AuthedClient()
			if err != nil {
				return err
			}
			r, err := ops.Invoke[ops.Empty, ops.LimitsResult](f.Ctx, f.Ops, c, "limits.get", nil)
			if err != nil {
				return err
			}
			return cmdutil.Render(f, r, writeLimits)
		},
	})
	return cmd
}

func writeLimits(w io.Writer, r *ops.LimitsResult) {
	t := cmdutil.NewTable(w, "SESSION", "MAX INVOICE MB", "WITH ATTACHMENT MB", "MAX INVOICES")
	for _, s := range []struct {
		name string
		l    api.SessionLimits
	}{{"online", r.Context.OnlineSession}, {"batch", r.Context.BatchSession}} {
		t.Row(s.name, fmt.Sprint(s.l.MaxInvoiceSizeInMB), fmt.Sprint(s.l.MaxInvoiceWithAttachmentSizeInMB), fmt.Sprint(s.l.MaxInvoices))
	}
	t.Flush()
	if e, c := r.Subject.Enrollment, r.Subject.Certificate; e != nil && c != nil {
		fmt.Fprintf(w, "\ncertificates: %d enrollments, %d certificates\n", e.MaxEnrollments, c.MaxCertificates)
	}
	fmt.Fprintln(w)
	t = cmdutil.NewTable(w, "RATE GROUP", "PER SECOND", "PER MINUTE", "PER HOUR")
	v := reflect.ValueOf(*r.RateLimits)
	for i := 0; i < v.NumField(); i++ {
		l := v.Field(i).Interface().(api.RateLimit)
		t.Row(v.Type().Field(i).Tag.Get("json"), fmt.Sprint(l.PerSecond), fmt.Sprint(l.PerMinute), fmt.Sprint(l.PerHour))
	}
	t.Flush()
}
