package stub

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"time"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/retry"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// The fault-tolerance path of a call: retries, circuit breakers, and the
// members of a replica group. It wraps call, one attempt each time, and
// is taken only when a policy asks for it (resilient); otherwise Invoke
// sends the call once, exactly as before.
//
// The rules, whatever the policy says:
//   - a call that was not sent may go again when another attempt can do
//     better (a connection failure, an overloaded server; for a group, a
//     member that refused it);
//   - a call whose outcome is unknown goes again only if it cannot run
//     twice: its method is readonly or idempotent, or it carries a call
//     identity (wire.FlagSeq) under which the server runs it at most once
//     and answers a repeat from its completion record;
//   - a remote error (the method ran) is the answer, unless the policy's
//     RetryOn says otherwise;
//   - nothing waits past the call's deadline: a backoff that would end
//     after it fails the call at once with the deadline error;
//   - an error after an attempt that may have run never says "not sent".

func init() {
	link.WithRetry = func(v any, p *retry.Policy) (any, bool) {
		s, ok := from(v)
		if !ok {
			return nil, false
		}
		// A stub of its own, with its own count on the reference: the
		// two are released, or collected, independently.
		c := bind(s.it, s.ref, s.rt)
		c.retry, c.group = p, s.group
		mk, ok := shells.Load(s.it.Type)
		if !ok {
			return nil, false
		}
		return mk.(func(*Stub) any)(c), true
	}
	link.GroupStub = func(it *iface.Interface, g link.Group, rt link.StubRuntime) (reflect.Value, error) {
		mk, ok := shells.Load(it.Type)
		if !ok {
			return newShell(it, wire.Ref{}, rt) // its error
		}
		// No count, and no reference of its own: each call goes to a
		// member the group picks, with that member's codec.
		s := &Stub{it: it, ref: wire.Ref{Iface: it.Name}, rt: rt, group: g}
		s.res, _ = rt.(link.Resilience)
		return reflect.ValueOf(mk.(func(*Stub) any)(s)), nil
	}
}

// resilient says whether a call of m takes the fault-tolerance path.
func (s *Stub) resilient(ctx context.Context, m *iface.Method) bool {
	if m.Marks.Has(iface.OneWay) || ctx == nil {
		return false
	}
	if s.group != nil {
		return true
	}
	if s.res == nil {
		return false
	}
	return s.policy(ctx).Enabled() || s.res.Breaker(s.ref.Endpoint) != nil
}

// policy is the call's policy: its context's, else the stub's, else the
// group's, else the runtime's.
func (s *Stub) policy(ctx context.Context) *retry.Policy {
	if p, ok := retry.FromContext(ctx); ok {
		return p
	}
	if s.retry != nil {
		return s.retry
	}
	if s.group != nil {
		return s.group.Policy()
	}
	if s.res != nil {
		return s.res.RetryPolicy()
	}
	return nil
}

// invokeResilient makes the attempts of one call of m.
func (s *Stub) invokeResilient(ctx context.Context, m *iface.Method, args, results []any) error {
	p := s.policy(ctx)
	attempts := 1
	if p.Enabled() {
		attempts = p.Attempts
	}
	protected := m.Marks.Retryable()
	var flags wire.CallFlags
	actx := ctx
	var seq *retry.Call
	if attempts > 1 && p.ExactlyOnce && !protected && s.res != nil {
		seqs := s.res.Seqs()
		seq = &retry.Call{Seqs: seqs, Seq: seqs.Begin()}
		defer seqs.End(seq.Seq)
		actx = retry.WithCall(ctx, seq)
		flags |= wire.FlagSeq
		protected = true
	}
	if attempts > 1 && p.Budget != nil {
		p.Budget.Deposit()
	}
	refs := s.refs // a group's member's, per attempt
	encode := func(e *wire.Encoder) error { return codec.EncodeList(e, m.In, args, refs) }
	decode := func(d *wire.Decoder) error { return codec.DecodeList(d, m.Out, results, refs) }

	var (
		tried      []wire.Ref
		last       link.Member
		mayHaveRun bool
		err        error
	)
	for n := 1; ; n++ {
		mem, fresh := link.Member{Ref: s.ref, Refs: s.refs}, false
		var done func(error)
		switch {
		case s.group == nil:
		case seq != nil && seq.Sent:
			// The member that has the call's record is the only one
			// that may answer a repeat.
			mem = last
		default:
			var perr error
			mem, fresh, done, perr = s.group.Pick(tried)
			if perr != nil {
				return settle(perr, mayHaveRun, n-1)
			}
		}
		ref := mem.Ref
		refs = mem.Refs
		if n > 1 {
			// A member not yet tried is taken at once; the same endpoint
			// again waits its backoff, or as long as the server asked.
			if werr := s.backoff(ctx, p, n-1, err, mayHaveRun, fresh); werr != nil {
				if done != nil {
					done(nil)
				}
				return werr
			}
		}
		err = s.attempt(actx, &ref, m, flags, encode, decode)
		if done != nil {
			done(err)
		}
		if err == nil {
			return nil
		}
		tried, last = append(tried, ref), mem
		if k := objerr.KindOf(err); k == objerr.KindOutcomeUnknown || k == objerr.KindRemote {
			mayHaveRun = true
		}
		if n >= attempts || !p.Retryable(ctx, err, protected, s.group != nil) {
			return settle(err, mayHaveRun, n)
		}
		if p.Budget != nil && !p.Budget.Withdraw() {
			return settle(withReason(err, "not retried: the retry budget is spent (retries are limited to a share of calls while many fail)"), mayHaveRun, n)
		}
	}
}

// attempt sends the call once to ref, through ref's circuit breaker.
func (s *Stub) attempt(ctx context.Context, ref *wire.Ref, m *iface.Method, flags wire.CallFlags,
	encode func(*wire.Encoder) error, decode func(*wire.Decoder) error) error {
	var report func(bool)
	if s.res != nil && ref.Endpoint != "" {
		if br := s.res.Breaker(ref.Endpoint); br != nil {
			var err error
			if report, err = br.Allow(); err != nil {
				var oe *objerr.Error
				if !errors.As(err, &oe) {
					// A plugged-in breaker's own error.
					err = &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeCircuitOpen,
						Reason: "the circuit breaker of " + ref.Endpoint + " refused the call", Err: err}
				}
				return err
			}
		}
	}
	err := call(ctx, s.rt, ref, m.Hash, "", flags, encode, decode)
	runtime.KeepAlive(s)
	if report != nil {
		report(!retry.Failure(err))
	}
	return err
}

// backoff waits before retry number n, or fails at once if the call's
// deadline would pass first. fresh: the retry goes to a group member not
// tried yet, which is not made to wait for the others' failures.
func (s *Stub) backoff(ctx context.Context, p *retry.Policy, n int, prev error, mayHaveRun, fresh bool) error {
	var d time.Duration
	if !fresh {
		d = p.Backoff(n)
	}
	var e *objerr.Error
	if errors.As(prev, &e) && e.RetryAfter > 0 {
		d = max(d, e.RetryAfter) // the server's (or the breaker's) advice
	}
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		kind := objerr.KindNotSent
		if mayHaveRun {
			kind = objerr.KindOutcomeUnknown
		}
		return &objerr.Error{Kind: kind, Code: objerr.CodeDeadlineExceeded, Err: context.DeadlineExceeded,
			Reason: fmt.Sprintf("the deadline passes before attempt %d could start (in %s); attempt %d failed: %v",
				n+1, d.Round(time.Millisecond), n, prev)}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		kind := objerr.KindNotSent
		if mayHaveRun {
			kind = objerr.KindOutcomeUnknown
		}
		return &objerr.Error{Kind: kind, Code: contextCode(ctx), Err: context.Cause(ctx),
			Reason: fmt.Sprintf("the call ended while waiting to retry; attempt %d failed: %v", n, prev)}
	}
}

func contextCode(ctx context.Context) objerr.Code {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return objerr.CodeDeadlineExceeded
	}
	return objerr.CodeCanceled
}

// settle is the error of a call that is not retried further: never
// "not sent" if an earlier attempt may have run.
func settle(err error, mayHaveRun bool, attempts int) error {
	var e *objerr.Error
	if !errors.As(err, &e) {
		return err
	}
	if !mayHaveRun || e.Kind != objerr.KindNotSent {
		if attempts > 1 {
			return withReason(err, fmt.Sprintf("after %d attempts", attempts))
		}
		return err
	}
	cp := *e
	cp.Kind = objerr.KindOutcomeUnknown
	cp.Reason = joinReason(fmt.Sprintf("after %d attempts, an earlier one of unknown outcome", attempts), e.Reason)
	return &cp
}

// withReason returns a copy of err (an *objerr.Error) that says more.
func withReason(err error, more string) error {
	e, ok := err.(*objerr.Error)
	if !ok {
		return err
	}
	cp := *e
	cp.Reason = joinReason(e.Reason, more)
	return &cp
}

func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
