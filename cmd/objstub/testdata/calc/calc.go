// Package calc is the golden input of objstub: remote interfaces whose
// signatures exercise what the generator must copy.
package calc

import (
	"context"
	stdjson "encoding/json"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Calculator,Counter,Journal,Job,ticker

// Calculator has grouped parameters, named results and a result that is
// another remote interface of the package. Its methods are out of order.
type Calculator interface {
	Ping(ctx context.Context) error
	Divide(ctx context.Context, a, b float64) (q, rem float64, err error)
	Add(ctx context.Context, a, b int64) (int64, error)
	Counter(ctx context.Context, start int64) (Counter, error)
}

// Counter has unnamed and variadic parameters.
type Counter interface {
	Next(context.Context) (int64, error)
	Add(context.Context, int64) error
	Sum(ctx context.Context, base int64, xs ...int64) (int64, error)
	Each(context.Context, ...string) ([]Counter, error)
}

// Entry is a value type with a field from another package.
type Entry struct {
	At   time.Time
	Text string
}

// Journal uses types of other packages, one imported under another name
// and one whose path ends in a major version, and parameter names that
// would clash with the generated body.
type Journal interface {
	Append(ctx context.Context, at time.Time, text string, meta stdjson.RawMessage) (Entry, error)
	Since(ctx context.Context, t *time.Time, limit int) ([]Entry, map[string]Entry, error)
	Raw(ctx context.Context, _ string) (msgpack.RawMessage, error)
	Rename(ctx context.Context, s, err string, r0 int, a0 bool, any []byte) error
	Deadline(ctx context.Context, time time.Duration) (time.Time, error)
	Tags(ctx context.Context, opts struct {
		Limit int `msgpack:"limit"`
	}) (map[string][]string, error)
	// Stamp's parameters have the names the async companion's bodies use
	// (r, stub, context), and its results names that clash once
	// exported.
	Stamp(ctx context.Context, r int, stub string, context bool) (q, Q int, err error)
}

// ticker is unexported: its shell is tickerStub.
type ticker interface {
	Tick(ctx context.Context, n int) error
}
