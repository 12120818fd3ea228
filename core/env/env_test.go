package env

import (
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

func TestLookup(t *testing.T) {
	for name, want := range map[string]string{
		"test": "https://api-test.ksef.mf.gov.pl/v2", "TEST": "https://api-test.ksef.mf.gov.pl/v2",
		"demo": "https://api-demo.ksef.mf.gov.pl/v2", "prod": "https://api.ksef.mf.gov.pl/v2",
		"production": "https://api.ksef.mf.gov.pl/v2",
	} {
		e, err := Lookup(name)
		if err != nil || e.APIBase != want {
			t.Errorf("Lookup(%s) = %v, %v", name, e.APIBase, err)
		}
	}
	_, err := Lookup("staging")
	// The echo rule: the rejected name is described, not quoted.
	if errs.CodeOf(err) != errs.InputInvalid || strings.Contains(err.Error(), "staging") || !strings.Contains(err.Error(), "7 characters") {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestCustom(t *testing.T) {
	if _, err := Custom("http://127.0.0.1:8080/v2/", true); err != nil {
		t.Fatal(err)
	}
	if e, _ := Custom("https://proxy.example/v2", false); e.APIBase != "https://proxy.example/v2" {
		t.Fatal(e.APIBase)
	}
	for _, bad := range []string{"http://example.com/v2", "ftp://127.0.0.1/", "127.0.0.1:80", "https://u:p@x/v2", ""} {
		if _, err := Custom(bad, false); err == nil {
			t.Errorf("Custom(%q) accepted", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	e, err := Resolve("test", "http://127.0.0.1:1/v2")
	if err != nil || e.Name != "test" || e.APIBase != "http://127.0.0.1:1/v2" || !e.TestData {
		t.Fatalf("%+v %v", e, err)
	}
	if _, err := Resolve("", ""); err == nil {
		t.Fatal("empty accepted")
	}
}
