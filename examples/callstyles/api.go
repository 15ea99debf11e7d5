package main

import (
	"context"
	"iter"
	"time"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Shop,Listener

// Shop is the remote interface the server process exports. objstub
// writes its shell and its async companion (ShopAsync, AsyncShop).
type Shop interface {
	// Price is an item's price.
	Price(ctx context.Context, item string) (int64, error)
	// Buy pays for n of an item and returns what is left; it fails if
	// the balance is too low.
	Buy(ctx context.Context, item string, n int64) (balance int64, err error)
	// Note records a line in the shop's log. The caller does not wait.
	//
	//objrmi:oneway
	Note(ctx context.Context, line string) error
	// Notes returns the log.
	Notes(ctx context.Context) ([]string, error)
	// Watch calls the client's Listener back n times.
	Watch(ctx context.Context, l Listener, n int) error
	// Ticks streams n ticks, no more than the client's window ahead of
	// its loop.
	Ticks(ctx context.Context, n int) (iter.Seq2[Tick, error], error)
}

// Tick is one item of the Ticks stream.
type Tick struct {
	N  int
	At time.Time
}

// Listener lives in the client; the server calls it back.
type Listener interface {
	Notify(ctx context.Context, msg string) error
}
