package remote

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/retry"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Group is a set of replicas, objects of one remote interface on several
// runtimes, behind one stub (GroupStub). Each call goes to one member,
// chosen by the power of two choices: of two members picked at random,
// the one with fewer calls in flight from here. A call that fails over
// goes to a member it has not tried yet, at once:
//
//   - after a not-sent error (the member is down, overloaded, closing, or
//     no longer has the object), whatever the method;
//   - after an outcome-unknown error (the member died during the call)
//     only for readonly and idempotent methods. An unmarked method that
//     exactly-once protects is retried on the same member only, which
//     holds its completion record; otherwise it is not retried.
//
// A member that fails EjectAfter calls in a row (transport failures, as
// for a circuit breaker) is ejected for EjectFor, twice as long at each
// ejection after the first (up to 64 times), jittered by ±20 %; never
// more than half of the members at once. An ejected member gets a call
// again, as a probe, once its time is up. A group with no member a call
// can go to fails it, not sent, with objerr.ErrUnavailable naming the
// group.
//
// Members are references to objects at dynamic ids (exported without
// WithID): the group does not hold them (the registry that lists them
// does). Set replaces the members; registry.LookupGroup keeps them in
// step with the registry's group.
//
// A reference returned by a member's method is an ordinary reference to
// that member. A group stub passed as an argument sends no usable
// reference: pass the reference of a member instead.
type Group struct {
	rt     *Runtime
	name   string
	opts   GroupOptions
	policy *retry.Policy
	onStop func()

	mu      sync.Mutex
	members []*member
	closed  bool
}

// GroupOptions tune a Group. Zero fields take defaults.
type GroupOptions struct {
	// Retry is the group's policy (a call's WithRetry wins). Default: 3
	// attempts, 10 ms backoff when the same member is tried again.
	Retry *RetryPolicy
	// EjectAfter consecutive failures eject a member; default 5.
	EjectAfter int
	// EjectFor is the first ejection time; default 5 s.
	EjectFor time.Duration
}

type member struct {
	ref      wire.Ref
	inflight int
	fails    int
	ejected  time.Time // until then
	ejection int       // how many times it was ejected
}

// NewGroup returns an empty group named name (the name is for errors and
// logs). Close ends it.
func NewGroup(rt *Runtime, name string, opts GroupOptions) (*Group, error) {
	if opts.EjectAfter < 0 || opts.EjectFor < 0 {
		return nil, fmt.Errorf("objrmi: GroupOptions: EjectAfter and EjectFor must not be negative")
	}
	if opts.EjectAfter == 0 {
		opts.EjectAfter = 5
	}
	if opts.EjectFor == 0 {
		opts.EjectFor = 5 * time.Second
	}
	p := RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	if opts.Retry != nil {
		p = *opts.Retry
	}
	rp, err := p.policy()
	if err != nil {
		return nil, err
	}
	if rp == nil {
		rp = retry.Off
	}
	return &Group{rt: rt, name: name, opts: opts, policy: rp}, nil
}

// GroupStub returns a T whose calls go to g's members. T needs a
// generated stub (cmd/objstub). Release of the stub closes g.
func GroupStub[T any](g *Group) (T, error) {
	var zero T
	it, err := iface.For[T]()
	if err != nil {
		return zero, err
	}
	v, err := link.GroupStub(it, groupLink{g}, stubRuntime{g.rt})
	if err != nil {
		return zero, err
	}
	return v.Interface().(T), nil
}

// Set makes refs the members, keeping what the group learnt of those it
// had already.
func (g *Group) Set(refs []Ref) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := make(map[[2]any]*member, len(g.members))
	for _, m := range g.members {
		old[[2]any{m.ref.Runtime, m.ref.Object}] = m
	}
	g.members = g.members[:0:0]
	for _, r := range refs {
		if m, ok := old[[2]any{r.Runtime, r.Object}]; ok {
			g.members = append(g.members, m)
			continue
		}
		w := r.wire()
		w.Pin = 0
		g.members = append(g.members, &member{ref: w})
	}
}

// Members returns the current members.
func (g *Group) Members() []Ref {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Ref, len(g.members))
	for i, m := range g.members {
		out[i] = fromWire(m.ref)
	}
	return out
}

// OnClose sets a function Close runs once (registry.LookupGroup stops
// its watch with it).
func (g *Group) OnClose(f func()) {
	g.mu.Lock()
	g.onStop = f
	g.mu.Unlock()
}

// Close ends the group: its stub's calls fail with objerr.ErrUnavailable.
func (g *Group) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.members = nil
	stop := g.onStop
	g.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// groupLink is the group as its stub sees it (link.Group).
type groupLink struct{ g *Group }

func (l groupLink) Policy() *retry.Policy { return l.g.policy }

func (l groupLink) Close() { l.g.Close() }

func (l groupLink) Pick(tried []wire.Ref) (link.Member, bool, func(error), error) {
	g := l.g
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.members) == 0 {
		why := "it has no members"
		if g.closed {
			why = "it was closed"
		}
		return link.Member{}, false, nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnavailable,
			Reason: fmt.Sprintf("replica group %q: %s", g.name, why)}
	}
	fresh := func(m *member) bool {
		for _, r := range tried {
			if r.Runtime == m.ref.Runtime && r.Object == m.ref.Object {
				return false
			}
		}
		return true
	}
	healthy := func(m *member) bool { return !now.Before(m.ejected) }
	var cands []*member
	for _, pass := range []func(*member) bool{
		func(m *member) bool { return healthy(m) && fresh(m) },
		func(m *member) bool { return fresh(m) }, // only ejected ones left: a probe
		healthy,                                  // all tried: again, after a backoff
	} {
		for _, m := range g.members {
			if pass(m) {
				cands = append(cands, m)
			}
		}
		if len(cands) > 0 {
			break
		}
	}
	if len(cands) == 0 {
		return link.Member{}, false, nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnavailable,
			Reason: fmt.Sprintf("replica group %q: every one of its %d members failed this call or is ejected", g.name, len(g.members))}
	}
	m := cands[rand.IntN(len(cands))]
	if len(cands) > 1 { // the power of two choices
		if o := cands[rand.IntN(len(cands))]; o.inflight < m.inflight {
			m = o
		}
	}
	m.inflight++
	isFresh := fresh(m)
	done := func(err error) { g.done(m, err) }
	return link.Member{Ref: m.ref, Refs: &peerRefs{rt: g.rt, peer: m.ref.Runtime}}, isFresh, done, nil
}

// done records an attempt's outcome on m.
func (g *Group) done(m *member, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m.inflight--
	if !retry.Failure(err) && !errIsMemberGone(err) {
		m.fails, m.ejected = 0, time.Time{}
		return
	}
	m.fails++
	if m.fails < g.opts.EjectAfter {
		return
	}
	now := time.Now()
	ejected := 0
	for _, o := range g.members {
		if o != m && now.Before(o.ejected) {
			ejected++
		}
	}
	if 2*(ejected+1) > len(g.members) {
		return // never more than half of the group
	}
	d := g.opts.EjectFor << min(m.ejection, 6)
	m.ejected = now.Add(time.Duration(float64(d) * (0.8 + 0.4*rand.Float64())))
	m.ejection++
	m.fails = 0
}

// errIsMemberGone says a member refused a call because it no longer has
// the object, or is closing: as good as down for the group.
func errIsMemberGone(err error) bool {
	c := objerr.CodeOf(err)
	return objerr.KindOf(err) == objerr.KindNotSent && (c == objerr.CodeNoSuchObject || c == objerr.CodeClosed)
}
