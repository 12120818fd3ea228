package authreq

import "testing"

func BenchmarkValidChallenge(b *testing.B) {
	const c = "20250514-CR-1234567890-ABCDEF0123-4F"
	for b.Loop() {
		if !challengePattern().MatchString(c) {
			b.Fatal("rejected")
		}
	}
}
