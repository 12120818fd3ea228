package ops

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestGoldenVectorThroughOperations reproduces the committed XAdES golden
// vector byte for byte through the operation layer — the same path the C,
// Python and Node bindings take — so the JSON adapters cannot drift from
// the Go API.
func TestGoldenVectorThroughOperations(t *testing.T) {
	dir := filepath.Join("..", "xades", "testdata", "golden")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Challenge          string          `json:"challenge"`
		Context            json.RawMessage `json:"contextIdentifier"`
		SubjectType        string          `json:"subjectIdentifierType"`
		Namespace          string          `json:"namespace"`
		SigningTime        string          `json:"signingTime"`
		SignatureID        string          `json:"signatureId"`
		SignedPropertiesID string          `json:"signedPropertiesId"`
		ReferenceID        string          `json:"referenceId"`
		Vectors            []struct {
			Key, Certificate, Output string
			Exact                    bool
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	in, _ := json.Marshal(map[string]any{"challenge": m.Challenge, "context": m.Context, "subjectType": m.SubjectType, "namespace": m.Namespace})
	e := call(t, nil, "xades.auth_request", string(in))
	if !e.OK {
		t.Fatalf("auth_request: %+v", e.Error)
	}
	var doc AuthRequestResult
	json.Unmarshal(e.Result, &doc)
	for _, v := range m.Vectors {
		in, _ := json.Marshal(map[string]string{
			"xml": doc.XML, "certificate": base64.StdEncoding.EncodeToString(read(v.Certificate)),
			"key": base64.StdEncoding.EncodeToString(read(v.Key)), "signingTime": m.SigningTime,
			"signatureId": m.SignatureID, "signedPropertiesId": m.SignedPropertiesID, "referenceId": m.ReferenceID,
		})
		e := call(t, nil, "xades.sign", string(in))
		if !e.OK {
			t.Fatalf("%s: %+v", v.Output, e.Error)
		}
		var res SignResult
		json.Unmarshal(e.Result, &res)
		if v.Exact && res.XML != string(read(v.Output)) {
			t.Fatalf("%s: the operation's output differs from the golden file", v.Output)
		}
		in, _ = json.Marshal(map[string]any{"xml": res.XML, "strict": true})
		if e := call(t, nil, "xades.verify", string(in)); !e.OK {
			t.Fatalf("%s: own signature does not verify: %+v", v.Output, e.Error)
		}
	}
}
