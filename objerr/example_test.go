package objerr_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/objrmi/objrmi/objerr"
)

// Callers branch on the kind of failure, never on its text.
func ExampleError() {
	var err error = &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeDeadlineExceeded,
		Op: "Bank.Transfer", Err: context.DeadlineExceeded}
	switch {
	case errors.Is(err, objerr.ErrNotSent):
		fmt.Println("retry: the method never ran")
	case errors.Is(err, objerr.ErrOutcomeUnknown):
		fmt.Println("check before retrying: the method may have run")
	}
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// check before retrying: the method may have run
	// true
}

func ExampleCodes() {
	errInsufficientFunds := errors.New("insufficient funds")
	var codes objerr.Codes
	_ = codes.Register("bank.insufficient-funds", errInsufficientFunds)

	wrapped := fmt.Errorf("transfer 100: %w", errInsufficientFunds)
	code := codes.CodeFor(wrapped) // what a server puts on the wire
	fmt.Println(code, codes.Sentinel(code) == errInsufficientFunds)
	// Output: bank.insufficient-funds true
}

func ExampleInterfaceError() {
	err := error(&objerr.InterfaceError{Interface: "calc.Calculator", Method: "Add",
		Rule: "the first parameter must be context.Context", Hint: "write Add(ctx context.Context, ...)"})
	var ie *objerr.InterfaceError
	fmt.Println(errors.As(err, &ie), ie.Method)
	// Output: true Add
}
