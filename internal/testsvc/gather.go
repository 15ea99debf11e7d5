package testsvc

import (
	"context"
	"strings"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Gatherer

// Gatherer has variadic methods: of values, and of remote interfaces.
type Gatherer interface {
	// Sum returns base plus every x, and how many xs came.
	Sum(ctx context.Context, base int64, xs ...int64) (int64, int, error)
	// Join joins parts with sep; it reports whether parts was nil, so a
	// test can see what an empty variadic arrives as.
	Join(ctx context.Context, sep string, parts ...string) (string, bool, error)
	// Total adds up Get of every counter, calling each where it lives.
	Total(ctx context.Context, cs ...Counter) (int64, error)
}

// Gather implements Gatherer.
type Gather struct{}

func (Gather) Sum(_ context.Context, base int64, xs ...int64) (int64, int, error) {
	for _, x := range xs {
		base += x
	}
	return base, len(xs), nil
}

func (Gather) Join(_ context.Context, sep string, parts ...string) (string, bool, error) {
	return strings.Join(parts, sep), parts == nil, nil
}

func (Gather) Total(ctx context.Context, cs ...Counter) (int64, error) {
	var t int64
	for _, c := range cs {
		n, err := c.Get(ctx)
		if err != nil {
			return 0, err
		}
		t += n
	}
	return t, nil
}
