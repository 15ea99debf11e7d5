package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/objrmi/objrmi/remote"
)

// shopID is the shop's well-known object id.
const shopID = 100

type shop struct {
	mu      sync.Mutex
	balance int64
	notes   []string
}

var prices = map[string]int64{"apple": 3, "pear": 4, "plum": 5, "gold": 1000}

func (s *shop) Price(_ context.Context, item string) (int64, error) {
	p, ok := prices[item]
	if !ok {
		return 0, fmt.Errorf("no %s here", item)
	}
	return p, nil
}

func (s *shop) Buy(ctx context.Context, item string, n int64) (int64, error) {
	p, err := s.Price(ctx, item)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cost := p * n; cost > s.balance {
		return s.balance, fmt.Errorf("%d %s cost %d, and the balance is %d", n, item, cost, s.balance)
	}
	s.balance -= p * n
	return s.balance, nil
}

func (s *shop) Note(_ context.Context, line string) error {
	s.mu.Lock()
	s.notes = append(s.notes, line)
	s.mu.Unlock()
	return nil
}

func (s *shop) Ticks(ctx context.Context, n int) (iter.Seq2[Tick, error], error) {
	if n < 0 {
		return nil, errors.New("ticks: n must be at least 0") // the call fails: no stream
	}
	return func(yield func(Tick, error) bool) {
		for i := range n {
			if !yield(Tick{N: i, At: time.Now()}, nil) {
				// The client broke out of its loop: ctx is cancelled.
				s.Note(ctx, fmt.Sprintf("Ticks stopped after %d: %v", i, context.Cause(ctx)))
				return
			}
		}
	}, nil
}

func (s *shop) Notes(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes), nil
}

func (s *shop) Watch(ctx context.Context, l Listener, n int) error {
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("tick %d of %d from server pid %d", i, n, os.Getpid())
		if err := l.Notify(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

// serve runs the server process: it exports the shop at shopID, prints
// its endpoint on stdout and serves until its stdin closes, so that it
// never outlives the parent.
func serve() error {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer rt.Close()
	if _, err := remote.Export[Shop](rt, &shop{balance: 100}, remote.WithID(shopID)); err != nil {
		return err
	}
	fmt.Println(rt.Endpoint())
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	return nil
}
