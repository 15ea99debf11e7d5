package testsvc

import (
	"context"
	"errors"
	"slices"
	"sync"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Room

// Room declares a mark of each kind, and one method without.
type Room interface {
	// Post adds msg to the room; "fail" makes it fail and "panic" panic,
	// after Gate (if set) lets it.
	//
	//objrmi:oneway
	Post(ctx context.Context, msg string) error
	// Posts returns what was posted, in the order the posts ran.
	//
	//objrmi:readonly
	Posts(ctx context.Context) ([]string, error)
	//objrmi:idempotent
	SetTopic(ctx context.Context, t string) error
	// Withdraw has no mark: it runs at most once.
	Withdraw(ctx context.Context, n int64) (int64, error)
}

// RoomImpl is a Room kept in memory.
type RoomImpl struct {
	// Gate, if set, is received from before each Post runs.
	Gate chan struct{}
	// Ran, if set, gets each Post's message once it has run (or failed).
	Ran chan string

	mu      sync.Mutex
	posts   []string
	topic   string
	balance int64
}

func (r *RoomImpl) Post(ctx context.Context, msg string) error {
	if r.Gate != nil {
		select {
		case <-r.Gate:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	if r.Ran != nil {
		defer func() { r.Ran <- msg }()
	}
	switch msg {
	case "fail":
		return errors.New("the post was refused")
	case "panic":
		panic("the post panicked")
	}
	r.mu.Lock()
	r.posts = append(r.posts, msg)
	r.mu.Unlock()
	return nil
}

func (r *RoomImpl) Posts(context.Context) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.posts), nil
}

func (r *RoomImpl) SetTopic(_ context.Context, t string) error {
	r.mu.Lock()
	r.topic = t
	r.mu.Unlock()
	return nil
}

func (r *RoomImpl) Withdraw(_ context.Context, n int64) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.balance -= n
	return r.balance, nil
}
