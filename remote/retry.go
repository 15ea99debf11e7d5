package remote

import (
	"context"
	"errors"
	"time"

	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/retry"
)

// RetryPolicy says how a stub retries a call that failed. It is opt-in:
// the zero value never retries. Set it for a runtime (Options.Retry),
// for one stub (Retrying), or for one call (WithRetry); the narrowest
// wins.
//
// Whatever the policy, a call is retried only when that is safe:
//
//   - a call that was not sent (objerr.ErrNotSent) goes again when another
//     attempt can do better: a connection that failed, an overloaded
//     server (after the time it asked for, objerr.Error.RetryAfter). A
//     refusal that would repeat (no such method, bad arguments, access
//     denied, a limit) is returned at once;
//   - a call whose outcome is unknown (objerr.ErrOutcomeUnknown: sent,
//     then the connection was lost) goes again only if its method is
//     marked readonly or idempotent, or ExactlyOnce protects it;
//   - a remote error (the method ran and failed, or panicked) is the
//     answer, unless RetryOn says to retry it.
//
// Every attempt stays inside the call's deadline: a backoff that would
// end after it fails the call at once, with a deadline error. An error
// that follows an attempt of unknown outcome never says "not sent".
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included: 0 or 1
	// never retries. At most 5 (as gRPC's A6): more adds load to a server
	// that is already failing.
	MaxAttempts int
	// InitialBackoff is the wait before the first retry (default 50 ms);
	// each retry waits Multiplier (default 2) times longer, up to
	// MaxBackoff (default 2 s), spread by ±Jitter (a fraction, default
	// 0.2) so that callers that failed together do not retry together.
	// A server's RetryAfter, if longer, replaces it.
	InitialBackoff, MaxBackoff time.Duration
	Multiplier, Jitter         float64
	// RetryOn, if set, says which remote errors (the method ran and
	// returned them) to retry, for a method known to fail transiently.
	RetryOn func(err error) bool
	// ExactlyOnce protects calls of unmarked methods so that they too
	// may be retried after an unknown outcome: each call carries this
	// runtime's id and a sequence number, the server keeps a completion
	// record of its reply, and a retry is answered from that record (or
	// joins the first run, if it is still going) instead of running
	// again. The records live while the server runtime does: a retry
	// that finds the server restarted fails with objerr.ErrRecordGone
	// (outcome unknown: the call may have run once). See Options.Completion.
	ExactlyOnce bool
	// Budget, if set, bounds the retries of every call that shares it
	// (NewRetryBudget): when a server fails everything, retries add a
	// bounded share of load rather than multiplying it.
	Budget *RetryBudget
}

// RetryBudget limits retries across calls (see NewRetryBudget).
type RetryBudget struct{ b *retry.Budget }

// NewRetryBudget returns a budget that lets retries add at most ratio
// (for example 0.2) of the calls that share it, plus minPerSecond
// retries a second (for example 10, so that a caller with little traffic
// can still retry), with at most minPerSecond + 100×ratio saved up. A
// retry the budget refuses is not made: the call fails with its last
// error, which says so.
func NewRetryBudget(ratio, minPerSecond float64) *RetryBudget {
	return &RetryBudget{retry.NewBudget(max(ratio, 0), max(minPerSecond, 0))}
}

// policy validates p and fills in defaults; nil if p never retries.
func (p RetryPolicy) policy() (*retry.Policy, error) {
	if p.MaxAttempts < 0 || p.InitialBackoff < 0 || p.MaxBackoff < 0 || p.Multiplier < 0 || p.Jitter < 0 || p.Jitter > 1 {
		return nil, errors.New("objrmi: RetryPolicy: attempts, backoffs and multiplier must not be negative, and Jitter must be within [0, 1]")
	}
	if p.MaxAttempts <= 1 {
		return nil, nil
	}
	rp := &retry.Policy{Attempts: min(p.MaxAttempts, retry.MaxAttempts), Initial: p.InitialBackoff, Max: p.MaxBackoff,
		Multiplier: p.Multiplier, Jitter: p.Jitter, RetryOn: p.RetryOn, ExactlyOnce: p.ExactlyOnce}
	if rp.Initial == 0 {
		rp.Initial = 50 * time.Millisecond
	}
	if rp.Max == 0 {
		rp.Max = max(2*time.Second, rp.Initial)
	}
	if rp.Multiplier == 0 {
		rp.Multiplier = 2
	}
	if p.Jitter == 0 {
		rp.Jitter = 0.2
	}
	if p.Budget != nil {
		rp.Budget = p.Budget.b
	}
	return rp, nil
}

// mustPolicy is policy for the per-stub and per-call overrides, which
// return no error: a policy that does not validate turns retries off.
func (p RetryPolicy) mustPolicy() *retry.Policy {
	rp, err := p.policy()
	if err != nil || rp == nil {
		return retry.Off
	}
	return rp
}

// WithRetry returns a context whose calls use p instead of the stub's
// or the runtime's policy; RetryPolicy{} turns retries off for them. An
// invalid p (a negative field) also turns them off.
func WithRetry(ctx context.Context, p RetryPolicy) context.Context {
	return retry.WithPolicy(ctx, p.mustPolicy())
}

// Retrying returns a stub like v whose calls use p instead of the
// runtime's policy (a call's WithRetry still wins). v itself is
// unchanged: the new stub holds its own count on the object, and is
// released on its own. A v that is not a stub (a local object) is
// returned as it is.
func Retrying[T any](v T, p RetryPolicy) T {
	c, ok := link.WithRetry(v, p.mustPolicy())
	if !ok {
		return v
	}
	return c.(T)
}

// BreakerPolicy turns on a circuit breaker per remote endpoint
// (Options.Breaker): after Failures consecutive failures of calls to one
// endpoint (a connection that failed or was lost, an overloaded server,
// a call that ran out of time there; not a method's own error), calls to
// it fail at once with objerr.ErrCircuitOpen, not sent, for OpenFor.
// Then one call goes through as a probe: if it succeeds the circuit
// closes, if not it opens again for twice as long, up to MaxOpenFor.
// The open times are jittered by ±20 %.
type BreakerPolicy struct {
	// Failures that open the circuit; default 5.
	Failures int
	// OpenFor is the first open time, default 5 s; MaxOpenFor the
	// longest, default 60 s.
	OpenFor, MaxOpenFor time.Duration
	// New, if set, makes each endpoint's breaker instead of the one
	// above: for example sony/gobreaker's TwoStepCircuitBreaker, whose
	// Allow has this shape. Its Allow's error fails the call, not sent,
	// as objerr.ErrCircuitOpen wrapping it.
	New func(endpoint string) Breaker
}

// Breaker guards the calls to one endpoint (BreakerPolicy.New). Allow
// asks to send a call: it returns done, which the stub calls with
// whether the call went well, or an error to fail the call with.
type Breaker interface {
	Allow() (done func(success bool), err error)
}

// maxBreakers bounds the endpoints whose breakers one runtime keeps.
const maxBreakers = 4096

// faultTolerance is the runtime's share of the policies: its default
// retry policy, its breakers, its call numbers for exactly-once, and,
// as a server, its completion records.
type faultTolerance struct {
	retry    *retry.Policy
	breakers *retry.Breakers
	seqs     *retry.Seqs
	records  *completions
}

func (o *Options) faultDefaults() error {
	if _, err := o.Retry.policy(); err != nil {
		return err
	}
	if b := o.Breaker; b != nil {
		if b.Failures < 0 || b.OpenFor < 0 || b.MaxOpenFor < 0 {
			return errors.New("objrmi: Options.Breaker: Failures and open times must not be negative")
		}
		cp := *b
		if cp.Failures == 0 {
			cp.Failures = 5
		}
		if cp.OpenFor == 0 {
			cp.OpenFor = 5 * time.Second
		}
		if cp.MaxOpenFor == 0 {
			cp.MaxOpenFor = max(60*time.Second, cp.OpenFor)
		}
		o.Breaker = &cp
	}
	return o.Completion.defaults(o.Lease)
}

func (ft *faultTolerance) init(o Options) {
	ft.retry, _ = o.Retry.policy()
	ft.seqs = retry.NewSeqs()
	ft.records = newCompletions(o.Completion)
	if b := o.Breaker; b != nil {
		mk := func(endpoint string) retry.Breaker {
			return retry.NewBreaker(endpoint, retry.BreakerConfig{Failures: b.Failures, OpenFor: b.OpenFor, MaxOpenFor: b.MaxOpenFor})
		}
		if b.New != nil {
			mk = func(endpoint string) retry.Breaker { return b.New(endpoint) }
		}
		ft.breakers = retry.NewBreakers(mk, maxBreakers)
	}
}

var _ link.Resilience = stubRuntime{}

// RetryPolicy implements link.Resilience.
func (s stubRuntime) RetryPolicy() *retry.Policy { return s.ft.retry }

// Breaker implements link.Resilience.
func (s stubRuntime) Breaker(endpoint string) retry.Breaker {
	if s.ft.breakers == nil {
		return nil
	}
	return s.ft.breakers.For(endpoint)
}

// Seqs implements link.Resilience.
func (s stubRuntime) Seqs() *retry.Seqs { return s.ft.seqs }
