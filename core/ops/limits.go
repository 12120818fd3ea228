package ops

import (
	"context"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/ksef"
)

// LimitsResult answers "limits.get".
type LimitsResult struct {
	Context    *api.ContextLimits `json:"context" doc:"GET /limits/context: invoice sizes and counts per online and batch session"`
	Subject    *api.SubjectLimits `json:"subject" doc:"GET /limits/subject: certificate enrollments and certificates"`
	RateLimits *api.RateLimits    `json:"rateLimits" doc:"GET /rate-limits: requests per second, minute and hour for each group"`
}

func init() {
	register("limits.get", "The limits in force for the authenticated context and subject, and the request rate limits (GET /limits/context, /limits/subject, /rate-limits).", true, true,
		func(ctx context.Context, c *ksef.Client, _ *Empty) (*LimitsResult, error) {
			var r LimitsResult
			var err error
			if r.Context, err = c.ContextLimits(ctx); err != nil {
				return nil, err
			}
			if r.Subject, err = c.SubjectLimits(ctx); err != nil {
				return nil, err
			}
			if r.RateLimits, err = c.RateLimits(ctx); err != nil {
				return nil, err
			}
			return &r, nil
		})
}
