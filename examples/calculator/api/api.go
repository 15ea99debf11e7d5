// Package api is the contract shared by the calculator server and client:
// the remote interfaces, the well-known object id, and the application
// errors both sides register.
package api

import (
	"context"
	"errors"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Calculator,Listener

// Name is the name the server binds its Calculator under in the registry.
const Name = "calculator"

// Calculator is the remote interface.
type Calculator interface {
	Add(ctx context.Context, a, b int64) (int64, error)
	Div(ctx context.Context, a, b int64) (int64, error)
	// Countdown calls l.Tick from n down to 1: a callback into the client.
	Countdown(ctx context.Context, n int, l Listener) error
}

// Listener is implemented by clients and called back by the server.
type Listener interface {
	Tick(ctx context.Context, n int) error
}

// ErrDivByZero crosses the wire as DivByZeroCode.
var ErrDivByZero = errors.New("calculator: division by zero")

// DivByZeroCode is the wire code of ErrDivByZero.
const DivByZeroCode = "calculator.div-by-zero"
