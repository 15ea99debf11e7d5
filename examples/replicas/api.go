package main

import "context"

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Bank

// Bank is the replicated service: every replica can answer every call.
type Bank interface {
	// Rate reports the exchange rate of a currency, and which replica
	// answered. It changes nothing, so a group may send it anywhere, again.
	//
	//objrmi:readonly
	Rate(ctx context.Context, currency string) (Quote, error)
	// Audit records an entry on the replica that gets it. It has no mark:
	// it runs at most once, and is never sent twice after an unknown outcome.
	Audit(ctx context.Context, entry string) (string, error)
}

// Quote is a rate and the replica that gave it.
type Quote struct {
	Rate    float64
	Replica string
}
