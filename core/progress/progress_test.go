package progress

import (
	"context"
	"testing"
	"time"
)

func TestReportAndThrottle(t *testing.T) {
	Report(context.Background(), Event{Stage: "x"}) // nobody watches: no-op
	var got []Event
	ctx := With(context.Background(), Throttle(func(e Event) { got = append(got, e) }, time.Hour))
	if !Enabled(ctx) || Enabled(context.Background()) {
		t.Fatal("Enabled")
	}
	for i := int64(1); i <= 10; i++ {
		Report(ctx, Event{Stage: "pack", Done: i, Total: 10})
	}
	Report(ctx, Event{Stage: "upload", Done: 1, Total: 3})
	if len(got) != 3 || got[0].Done != 1 || got[1].Done != 10 || got[2].Stage != "upload" {
		t.Fatalf("%+v", got)
	}
}
