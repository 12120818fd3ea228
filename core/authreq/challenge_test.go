package authreq

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// challengePattern is the schema pattern validChallenge replaced; the test
// import of regexp does not reach the wasm module.
var challengePattern = regexp.MustCompile(`^\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}$`)

func checkChallenge(t testing.TB, s string) {
	if got, want := validChallenge(s), challengePattern.MatchString(s); got != want {
		t.Errorf("validChallenge(%q) = %v, the pattern says %v", s, got, want)
	}
}

var challengeCases = []string{
	challenge, "00000000-CR-0000000000-0000000000-00", "99999999-CR-FFFFFFFFFF-FFFFFFFFFF-FF",
	"", "-", challenge + "\n", "\n" + challenge, challenge + "0", challenge[:len(challenge)-1],
	"20250604-CR-461ea5b000-537A6BA15D-D7", "20250604-cr-461EA5B000-537A6BA15D-D7",
	"20250604-CR-461EA5B00G-537A6BA15D-D7", "2025060٣-CR-461EA5B000-537A6BA15D-D7",
	"2025060-CR-461EA5B0000-537A6BA15D-D7", "20250604_CR-461EA5B000-537A6BA15D-D7",
	"20250604-CR-461EA5B000-537A6BA15D-D", "20250604-CR-461EA5B000537A6BA15D-D7X",
	"20250604-CQ-461EA5B000-537A6BA15D-D7", "2025060A-CR-461EA5B000-537A6BA15D-D7",
	"20250604-CR-461EA5B000-537A6BA15D-D@", "20250604-CR-461EA5B000-537A6BA15D-D:",
}

// challengeAlphabet holds each class's members and neighbours, the layout's
// letters, line breaks and non-ASCII bytes.
var challengeAlphabet = []string{"0", "9", "/", ":", "A", "F", "G", "@", "a", "f", "C", "R", "N", "X", "-", "\n", "\xff", "٣"}

func TestValidChallengeAgreesWithPattern(t *testing.T) {
	for _, s := range challengeCases {
		checkChallenge(t, s)
	}
	// Every single-character edit of valid challenges.
	for _, s := range challengeCases[:3] {
		for i := 0; i <= len(s); i++ {
			for _, c := range challengeAlphabet {
				checkChallenge(t, s[:i]+c+s[i:])
				if i < len(s) {
					checkChallenge(t, s[:i]+c+s[i+1:])
				}
			}
			if i < len(s) {
				checkChallenge(t, s[:i]+s[i+1:])
			}
		}
	}
	// Random near-challenges: each character usually fits the layout, and
	// sometimes is any of the characters that matter.
	rng := rand.New(rand.NewPCG(5, 6))
	const chars = "0123456789ABCDEFGCRa-\n"
	for range 30000 {
		var b strings.Builder
		for i := range len(challengeLayout) - 1 + rng.IntN(3) {
			l := byte('-')
			if i < len(challengeLayout) {
				l = challengeLayout[i]
			}
			switch {
			case rng.IntN(50) == 0:
				b.WriteByte(chars[rng.IntN(len(chars))])
			case l == 'N':
				b.WriteByte(chars[rng.IntN(10)])
			case l == 'X':
				b.WriteByte(chars[rng.IntN(16)])
			default:
				b.WriteByte(l)
			}
		}
		checkChallenge(t, b.String())
	}
}

func FuzzChallengeAgainstRegexp(f *testing.F) {
	for _, s := range challengeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkChallenge(t, s) })
}
