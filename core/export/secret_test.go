package export

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/secret"
)

// A package holds its export, which holds the key: printed or logged any
// way, neither shows it (core/ops' scan sends export.Package here).
func TestPackageNeverPrintsItsKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xA7}, 32)
	x, err := New(Config{}).Restore(State{ReferenceNumber: "20261201-EH-0A1B2C3D4E-5F6A7B8C9D-E0", Key: secret.NewBytes(raw), IV: make([]byte, 16)})
	if err != nil {
		t.Fatal(err)
	}
	p := &Package{e: x}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
		out = append(out, fmt.Sprintf(verb, p), fmt.Sprintf(verb, *p), fmt.Sprintf(verb, []any{*p}))
	}
	j, _ := json.Marshal(p)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("p", "package", p, "value", *p)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("p", "package", p, "value", *p)
	all := strings.Join(append(out, string(j), logs.String()), "\n")
	for _, enc := range []string{hex.EncodeToString(raw), strings.ToUpper(hex.EncodeToString(raw)), base64.StdEncoding.EncodeToString(raw), string(raw)} {
		if strings.Contains(all, enc) {
			t.Fatalf("the key shows in:\n%s", all)
		}
	}
}
