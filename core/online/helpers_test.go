package online_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/ids"

	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/secret"
)

func samplesFA3(testing.TB) invoice.FormCode { return invoice.FA3 }

func secretKey() secret.Bytes { return secret.NewBytes(bytes.Repeat([]byte{1}, 32)) }

func sizeName(n int) string { return fmt.Sprintf("%dkB", n/1000) }

// fakeTokens authenticate a client whose requests never reach KSeF.
func fakeTokens() *auth.Tokens {
	until := api.Time{Time: time.Now().Add(time.Hour)}
	return &auth.Tokens{
		ReferenceNumber: "20261201-AU-0A1B2C3D4E-5F6A7B8C9D-E0",
		Context:         ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"},
		Access:          api.TokenInfo{Token: secret.NewString("access"), ValidUntil: until},
		Refresh:         api.TokenInfo{Token: secret.NewString("refresh"), ValidUntil: until},
	}
}
