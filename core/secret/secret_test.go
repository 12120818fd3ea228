package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "CANARY-7f3a9c-secret"

type holder struct {
	Name  string
	Tok   String
	Key   Bytes
	inner String
	ptr   *String
}

func TestNeverPrinted(t *testing.T) {
	s := NewString(canary)
	b := NewBytes([]byte(canary))
	h := holder{Name: "x", Tok: s, Key: b, inner: s, ptr: &s}
	values := []any{s, &s, b, &b, h, &h, []String{s}, map[string]Bytes{"k": b}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, canary) || strings.Contains(out, fmt.Sprintf("%x", canary)) {
				t.Errorf("fmt %s of %T leaked: %s", verb, v, out)
			}
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(j, []byte(canary)) {
			t.Errorf("json of %T leaked: %s", v, j)
		}
		for _, mk := range []func(*bytes.Buffer) slog.Handler{
			func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(mk(&buf)).Info("m", "v", v)
			if strings.Contains(buf.String(), canary) {
				t.Errorf("slog of %T leaked: %s", v, buf.String())
			}
		}
	}
	if s.Reveal() != canary || string(b.Reveal()) != canary {
		t.Fatal("Reveal lost the value")
	}
}

func TestZeroAndEqual(t *testing.T) {
	var z String
	if !z.IsZero() || z.Reveal() != "" || z.String() != "" {
		t.Error("zero String")
	}
	if NewString("a").Equal(NewString("b")) || !NewString("a").Equal(NewString("a")) {
		t.Error("Equal")
	}
	raw := []byte{1, 2, 3}
	b := NewBytes(raw)
	raw[0] = 9
	if b.Reveal()[0] != 1 {
		t.Error("NewBytes must copy")
	}
	b.Wipe()
	if !bytes.Equal(b.Reveal(), []byte{0, 0, 0}) {
		t.Error("Wipe")
	}
}

func TestUnmarshalDoesNotEcho(t *testing.T) {
	var in struct {
		Tok String `json:"tok"`
		Key Bytes  `json:"key"`
	}
	if err := json.Unmarshal([]byte(`{"tok":"`+canary+`","key":"AQID"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Tok.Reveal() != canary || !bytes.Equal(in.Key.Reveal(), []byte{1, 2, 3}) {
		t.Fatal("decoded wrong")
	}
	var bad struct{ Tok String }
	err := json.Unmarshal([]byte(`{"Tok":123}`), &bad)
	if err == nil || strings.Contains(err.Error(), "123") {
		t.Fatalf("err %v", err)
	}
}
