package link

import (
	"reflect"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/retry"
	"github.com/objrmi/objrmi/internal/wire"
)

// Resilience is what a stub needs from its runtime for the fault
// tolerance policies (package remote implements it on its StubRuntime).
type Resilience interface {
	// RetryPolicy is the runtime's default policy, nil if none.
	RetryPolicy() *retry.Policy
	// Breaker is the circuit breaker of endpoint, nil if breakers are off.
	Breaker(endpoint string) retry.Breaker
	// Seqs numbers the calls exactly-once records protect.
	Seqs() *retry.Seqs
}

// Group is a replica group as its stub sees it (package remote).
type Group interface {
	// Pick chooses the member for an attempt, preferring one not in
	// tried; fresh says it is not in tried. done reports the attempt's
	// outcome, for the member's health and load.
	Pick(tried []wire.Ref) (m Member, fresh bool, done func(error), err error)
	// Policy is the group's default retry policy.
	Policy() *retry.Policy
	// Close ends the group (its stub was released).
	Close()
}

// Member is one member of a group, as an attempt needs it: its
// reference, and the codec for messages to its runtime.
type Member struct {
	Ref  wire.Ref
	Refs codec.Refs
}

// Set by package stub.
var (
	// WithRetry returns a copy of the stub v (a shell) whose calls use p
	// unless a call's context names its own, or false if v is not a stub.
	WithRetry func(v any, p *retry.Policy) (any, bool)
	// GroupStub returns a shell of interface it whose calls go to g's members.
	GroupStub func(it *iface.Interface, g Group, rt StubRuntime) (reflect.Value, error)
)
