// Package v2 is a later version of testsvc.Calculator whose Add takes a
// third operand, for signature-mismatch tests.
package v2

import "context"

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Calculator

// Calculator is testsvc.Calculator as a newer client sees it.
type Calculator interface {
	Add(ctx context.Context, a, b, c int64) (int64, error)
}
