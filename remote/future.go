package remote

import (
	"context"

	"github.com/objrmi/objrmi/stub"
)

// Future is the result of a call made without waiting: objstub's
// generated XxxAsync companion of each remote interface returns one per
// call (AsyncCalculator(calc).Add(ctx, 2, 3) is a *Future[int64]). Await
// it with a context, select on Done, or wait for many with AwaitAll. An
// outstanding future costs no goroutine; see stub.Future.
type Future[T any] = stub.Future[T]

// AwaitAll waits for every future and returns their results, in order,
// with the error of the first (in order) that failed, or nil. ctx bounds
// the wait only, as for Await: if it ends first, AwaitAll returns the
// results it has and Await's error, and the calls go on. Futures of
// several result types are awaited one by one: while they are all in
// flight, that takes no longer.
func AwaitAll[T any](ctx context.Context, fs ...*Future[T]) ([]T, error) {
	out := make([]T, len(fs))
	var first error
	for i, f := range fs {
		v, err := f.Await(ctx)
		out[i] = v
		if err == nil {
			continue
		}
		if ctx == nil || ctx.Err() != nil {
			return out, err
		}
		if first == nil {
			first = err
		}
	}
	return out, first
}
