// Package testsvc holds the remote interfaces and implementations that
// objrmi's own tests use across packages.
package testsvc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/internal/link"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Calculator,Counter,Listener

// Calculator exercises values, errors, panics, contexts and references.
type Calculator interface {
	Add(ctx context.Context, a, b int64) (int64, error)
	Div(ctx context.Context, a, b int64) (int64, error)
	Echo(ctx context.Context, p []byte) ([]byte, error)
	Panic(ctx context.Context, msg string) error
	// Wait blocks until ctx ends or d passes; it reports the deadline it
	// saw and the cause of its context's end.
	Wait(ctx context.Context, d time.Duration) (Seen, error)
	NewCounter(ctx context.Context, start int64) (Counter, error)
	IsMine(ctx context.Context, c Counter) (bool, error)
	Holder(ctx context.Context, h Holder) (int64, error)
	Subscribe(ctx context.Context, l Listener, n int) error
	// Keep stores k under name; Use calls it; Drop releases it.
	Keep(ctx context.Context, name string, k Counter) error
	Use(ctx context.Context, name string, by int64) (int64, error)
	Drop(ctx context.Context, name string) error
	// Fetch returns what Keep stored, once Gate (if set) lets it.
	Fetch(ctx context.Context, name string) (Counter, error)
	// Relay calls target.Wait with its own context: one more hop.
	Relay(ctx context.Context, target Calculator, d time.Duration) (Seen, error)
}

// Counter is handed out by reference.
type Counter interface {
	Incr(ctx context.Context, by int64) (int64, error)
	Get(ctx context.Context) (int64, error)
}

// Listener is a callback a client passes to the server.
type Listener interface {
	OnEvent(ctx context.Context, n int, msg string) error
}

// Holder carries a reference inside a struct field.
type Holder struct {
	Name    string
	Counter Counter
	Extra   []Counter
}

// Seen is what Wait observed.
type Seen struct {
	HadDeadline bool
	Deadline    time.Time
	Cause       string
	Canceled    bool
}

// ErrDivByZero is an application sentinel both sides register.
var ErrDivByZero = errors.New("testsvc: division by zero")

// Calc implements Calculator.
type Calc struct {
	mu       sync.Mutex
	counters map[*counter]bool
	kept     map[string]Counter
	// Gate, if set before any call, holds each Fetch until a value arrives.
	Gate chan struct{}
	// Unreferenced receives the start value of each counter of this Calc
	// whose Unreferenced method runs.
	Unreferenced chan int64
	// Started is signalled when Wait begins, for tests that cancel it,
	// and when Fetch reaches the Gate.
	Started chan struct{}
	// Ended receives what Wait saw when it returns.
	Ended chan Seen
}

// NewCalc returns a ready Calc.
func NewCalc() *Calc {
	return &Calc{counters: map[*counter]bool{}, kept: map[string]Counter{},
		Started: make(chan struct{}, 16), Ended: make(chan Seen, 16), Unreferenced: make(chan int64, 1024)}
}

func (c *Calc) Add(_ context.Context, a, b int64) (int64, error) { return a + b, nil }

func (c *Calc) Div(_ context.Context, a, b int64) (int64, error) {
	if b == 0 {
		return 0, fmt.Errorf("dividing %d: %w", a, ErrDivByZero)
	}
	return a / b, nil
}

func (c *Calc) Echo(_ context.Context, p []byte) ([]byte, error) { return p, nil }

func (c *Calc) Panic(_ context.Context, msg string) error { panic(msg) }

func (c *Calc) Wait(ctx context.Context, d time.Duration) (Seen, error) {
	var s Seen
	s.Deadline, s.HadDeadline = ctx.Deadline()
	c.Started <- struct{}{}
	select {
	case <-ctx.Done():
		s.Canceled = true
		s.Cause = context.Cause(ctx).Error()
	case <-time.After(d):
	}
	c.Ended <- s
	return s, nil
}

func (c *Calc) NewCounter(_ context.Context, start int64) (Counter, error) {
	k := &counter{owner: c, start: start}
	k.n.Store(start)
	c.mu.Lock()
	c.counters[k] = true
	c.mu.Unlock()
	return k, nil
}

func (c *Calc) IsMine(_ context.Context, k Counter) (bool, error) {
	kk, ok := k.(*counter)
	if !ok {
		return false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counters[kk], nil
}

func (c *Calc) Holder(ctx context.Context, h Holder) (int64, error) {
	total, err := h.Counter.Incr(ctx, 1)
	if err != nil {
		return 0, err
	}
	for _, k := range h.Extra {
		n, err := k.Incr(ctx, 1)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (c *Calc) Subscribe(ctx context.Context, l Listener, n int) error {
	for i := range n {
		if err := l.OnEvent(ctx, i, fmt.Sprintf("event %d", i)); err != nil {
			return fmt.Errorf("callback %d: %w", i, err)
		}
	}
	return nil
}

func (c *Calc) Keep(_ context.Context, name string, k Counter) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kept[name] = k
	return nil
}

func (c *Calc) Use(ctx context.Context, name string, by int64) (int64, error) {
	c.mu.Lock()
	k := c.kept[name]
	c.mu.Unlock()
	if k == nil {
		return 0, fmt.Errorf("nothing kept as %q", name)
	}
	return k.Incr(ctx, by)
}

func (c *Calc) Drop(_ context.Context, name string) error {
	c.mu.Lock()
	k := c.kept[name]
	delete(c.kept, name)
	c.mu.Unlock()
	if s, ok := link.StubOf(k); ok {
		s.Release()
	}
	return nil
}

func (c *Calc) Fetch(ctx context.Context, name string) (Counter, error) {
	if c.Gate != nil {
		c.Started <- struct{}{}
		select {
		case <-c.Gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kept[name], nil
}

func (c *Calc) Relay(ctx context.Context, target Calculator, d time.Duration) (Seen, error) {
	return target.Wait(ctx, d)
}

type counter struct {
	n     atomic.Int64
	owner *Calc
	start int64
}

// Unreferenced reports the counter's end to its Calc.
func (k *counter) Unreferenced() {
	select {
	case k.owner.Unreferenced <- k.start:
	default:
	}
}

func (k *counter) Incr(_ context.Context, by int64) (int64, error) { return k.n.Add(by), nil }
func (k *counter) Get(context.Context) (int64, error)              { return k.n.Load(), nil }

// Events is a Listener that records what it is told.
type Events struct {
	mu  sync.Mutex
	Got []string
}

func (e *Events) OnEvent(_ context.Context, n int, msg string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Got = append(e.Got, fmt.Sprintf("%d:%s", n, msg))
	return nil
}

// Snapshot returns what was recorded so far.
func (e *Events) Snapshot() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.Got...)
}
