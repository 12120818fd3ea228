package sim

import "testing"

// The batch part uploads are named by faults as PUT /storage; "*" leaves
// them alone (as it leaves the downloads), and expired is a kind of its own.
func TestBatchUploadFaults(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"PUT /storage#2=expired", "PUT /storage=503", "PUT /storage#3=slow:ms=50", "PUT /storage#every=drop:count=2"} {
		f, err := ParseFault(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if f.String() != spec && spec != "PUT /storage=503" {
			t.Fatalf("%s renders as %s", spec, f.String())
		}
		if err := s.AddFault(f); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
	}
	s.ClearFaults()
	every, _ := ParseFault("*#every=503")
	s.AddFault(every)
	if hit := s.matchFaults(storageUploadRoute); len(hit) != 0 {
		t.Fatalf("* hits the part uploads: %v", hit)
	}
	if hit := s.matchFaults("POST /sessions/batch"); len(hit) != 1 {
		t.Fatalf("* misses POST /sessions/batch: %v", hit)
	}
}
