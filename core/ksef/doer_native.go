//go:build !wasip1 && !js

package ksef

import (
	"github.com/ksefkit/ksefkit/core/transport"
	"github.com/ksefkit/ksefkit/core/transport/nethttp"
)

func defaultDoer(ua string) transport.Doer { return nethttp.New(nethttp.Options{UserAgent: ua}) }
