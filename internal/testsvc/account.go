package testsvc

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Account

// Account is the fault-tolerance tests' service: Withdraw has no mark
// (it must run at most once), Balance and Name change nothing, and
// SetLimit may run twice.
type Account interface {
	// Balance reports the balance.
	//
	//objrmi:readonly
	Balance(ctx context.Context) (int64, error)
	// SetLimit sets the overdraft limit.
	//
	//objrmi:idempotent
	SetLimit(ctx context.Context, n int64) error
	// Withdraw takes n and returns the new balance; it refuses to pass
	// the limit with ErrOverdrawn.
	Withdraw(ctx context.Context, n int64) (int64, error)
	// Name is the name of the server the account lives on.
	//
	//objrmi:readonly
	Name(ctx context.Context) (string, error)
}

// ErrOverdrawn is Withdraw's refusal.
var ErrOverdrawn = errors.New("testsvc: the withdrawal passes the limit")

// AccountImpl is an Account in memory.
type AccountImpl struct {
	ServerName string
	// Hook, if set, runs inside each Withdraw, after the balance changed
	// and before the method returns.
	Hook func(n int64)
	// Delay, if set, is how long each method takes.
	Delay time.Duration

	runs    atomic.Int64 // Withdraw calls that ran
	calls   atomic.Int64 // all calls that ran
	mu      sync.Mutex
	balance int64
	limit   int64
}

// NewAccount returns an account holding balance.
func NewAccount(name string, balance int64) *AccountImpl {
	return &AccountImpl{ServerName: name, balance: balance}
}

func (a *AccountImpl) wait(ctx context.Context) error {
	a.calls.Add(1)
	if a.Delay <= 0 {
		return nil
	}
	t := time.NewTimer(a.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Balance implements Account.
func (a *AccountImpl) Balance(ctx context.Context) (int64, error) {
	if err := a.wait(ctx); err != nil {
		return 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance, nil
}

// SetLimit implements Account.
func (a *AccountImpl) SetLimit(ctx context.Context, n int64) error {
	if err := a.wait(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limit = n
	return nil
}

// Withdraw implements Account.
func (a *AccountImpl) Withdraw(ctx context.Context, n int64) (int64, error) {
	if err := a.wait(ctx); err != nil {
		return 0, err
	}
	a.runs.Add(1)
	a.mu.Lock()
	if a.balance-n < -a.limit {
		a.mu.Unlock()
		return 0, ErrOverdrawn
	}
	a.balance -= n
	b := a.balance
	a.mu.Unlock()
	if a.Hook != nil {
		a.Hook(n)
	}
	return b, nil
}

// Name implements Account.
func (a *AccountImpl) Name(ctx context.Context) (string, error) {
	if err := a.wait(ctx); err != nil {
		return "", err
	}
	return a.ServerName, nil
}

// Runs counts the Withdraw calls that ran.
func (a *AccountImpl) Runs() int64 { return a.runs.Load() }

// Calls counts the calls of every method that ran.
func (a *AccountImpl) Calls() int64 { return a.calls.Load() }
