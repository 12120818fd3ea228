package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A bridge holds clients, and clients hold tokens: printed or logged every
// way, it shows none (issue 10 finding 4; core/ops checks every other type
// that can hold a secret).
func TestBridgeNeverPrintsTokens(t *testing.T) {
	const canary = "ksefkit-canary-TOKEN-bridge-91c2"
	b := New(nil)
	id, env := b.ClientNew([]byte(`{"environment":"test"}`))
	if id == 0 {
		t.Fatalf("%s", env)
	}
	valid := time.Now().Add(time.Hour).Format(time.RFC3339)
	in := fmt.Sprintf(`{"referenceNumber":"20250101-AU-1","context":{"type":"Nip","value":"5265877635"},`+
		`"accessToken":{"token":%q,"validUntil":%q},"refreshToken":{"token":%q,"validUntil":%q}}`, canary, valid, canary, valid)
	if out := b.Call(context.Background(), id, "auth.tokens.restore", []byte(in)); !bytes.Contains(out, []byte(`"ok":true`)) {
		t.Fatalf("restore: %s", out)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "b", b)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "b", b)
	//lint:ignore SA9005 the point: JSON of a Bridge must show nothing, tokens least of all
	j, _ := json.Marshal(b)
	outs := []string{logs.String(), string(j)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		outs = append(outs, fmt.Sprintf(verb, b), fmt.Sprintf(verb, struct{ B *Bridge }{b}))
	}
	for _, out := range outs {
		if strings.Contains(out, canary) {
			t.Fatalf("the bridge printed a token: %.300s", out)
		}
	}
	if out := b.Call(context.Background(), id, "auth.tokens.export", nil); !bytes.Contains(out, []byte(canary)) {
		t.Fatalf("the check above proves nothing: the client does not hold the canary: %s", out)
	}
}
