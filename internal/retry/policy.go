package retry

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/objrmi/objrmi/objerr"
)

// MaxAttempts caps a policy's attempts, first included, as gRPC's A6
// does: more only adds load to a server that is already failing.
const MaxAttempts = 5

// Policy is a validated retry policy. A nil *Policy, or one with
// Attempts 1, never retries.
type Policy struct {
	Attempts           int
	Initial, Max       time.Duration
	Multiplier, Jitter float64
	RetryOn            func(error) bool // remote errors the user wants retried
	ExactlyOnce        bool
	Budget             *Budget
}

// Off is a policy that never retries, for an override that turns the
// runtime's policy off.
var Off = &Policy{Attempts: 1}

// Enabled reports whether p can retry at all.
func (p *Policy) Enabled() bool { return p != nil && p.Attempts > 1 }

// Backoff is the wait before retry number n (1 for the first retry):
// Initial × Multiplier^(n-1), capped at Max, spread by ±Jitter.
func (p *Policy) Backoff(n int) time.Duration {
	d := float64(p.Initial) * math.Pow(p.Multiplier, float64(n-1))
	if d > float64(p.Max) {
		d = float64(p.Max)
	}
	if p.Jitter > 0 {
		d *= 1 + p.Jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d)
}

type policyKey struct{}

// WithPolicy returns ctx carrying p as the call's own policy.
func WithPolicy(ctx context.Context, p *Policy) context.Context {
	return context.WithValue(ctx, policyKey{}, p)
}

// FromContext returns the call's own policy, if ctx carries one.
func FromContext(ctx context.Context) (*Policy, bool) {
	p, ok := ctx.Value(policyKey{}).(*Policy)
	return p, ok
}

// Retryable decides whether a failed attempt may be sent again. protected
// says a repeat cannot run the method twice: it is readonly or
// idempotent, or exactly-once records guard it. failover says the calls
// go to a group, where a refusal by one member (no such object, closing,
// circuit open) is a reason to try another. ctx is the call's own: once
// it has ended, nothing is retried.
func (p *Policy) Retryable(ctx context.Context, err error, protected, failover bool) bool {
	if ctx.Err() != nil {
		return false
	}
	var e *objerr.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case objerr.KindNotSent:
		return NotSentRetryable(e.Code, failover)
	case objerr.KindOutcomeUnknown:
		// The method may have run: only a call that cannot run twice
		// goes again, and only if the failure can pass (a lost
		// connection, a deadline the server enforced).
		return protected && (e.Code == objerr.CodeConnection || e.Code == objerr.CodeDeadlineExceeded)
	case objerr.KindRemote:
		// The method ran and answered: its answer is the result, unless
		// the user said this error may be retried.
		return p.RetryOn != nil && p.RetryOn(err)
	}
	return false
}

// NotSentRetryable says whether a call that was not sent can do better
// on another attempt. Refusals that would repeat (no such method, bad
// arguments, access denied, limits, encoding, a nil context, this
// runtime closed) are final; a lost connection, an overloaded server and
// an open circuit may pass. For a group (failover), a member that no
// longer has the object, is closing or is shut off is another reason to
// try the next.
func NotSentRetryable(c objerr.Code, failover bool) bool {
	switch c {
	case objerr.CodeConnection, objerr.CodeOverloaded:
		return true
	case objerr.CodeNoSuchObject, objerr.CodeClosed, objerr.CodeCircuitOpen, objerr.CodeUnavailable,
		objerr.CodeTLSMismatch, objerr.CodeUnauthenticated:
		return failover
	}
	return false
}

// Failure says whether err counts against an endpoint's health (its
// circuit breaker, a group member's ejection): a connection that failed
// or was lost, an overloaded server, a server that let the deadline
// pass. A method's own error, or a refusal, says the endpoint is well.
func Failure(err error) bool {
	var e *objerr.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case objerr.CodeConnection, objerr.CodeOverloaded:
		return e.Kind != objerr.KindRemote
	case objerr.CodeDeadlineExceeded:
		return e.Kind == objerr.KindOutcomeUnknown
	}
	return false
}
