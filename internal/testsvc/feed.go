package testsvc

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Feed

// Feed streams its results.
type Feed interface {
	// Numbers streams the items 0 to n-1, each padded with pad bytes; a
	// negative n streams until the consumer stops.
	Numbers(ctx context.Context, n int64, pad int) (iter.Seq2[Item, error], error)
	// Counters streams n new Counters of the Feed's Calc, by reference,
	// starting at 0, 1, ...
	Counters(ctx context.Context, n int) (iter.Seq2[Counter, error], error)
	// Fail streams n items, then fails as how says: "error" yields
	// ErrFeed, "panic" panics, "huge" yields an item padded with n bytes;
	// "refuse" returns ErrFeed before streaming.
	Fail(ctx context.Context, n int, how string) (iter.Seq2[Item, error], error)
	// Idle opens a stream that yields n items, then nothing, and ends
	// with its context.
	Idle(ctx context.Context, n int) (iter.Seq2[Item, error], error)
	// Sent is how many items all streams sent, and how many streams
	// ended, so far.
	Sent(ctx context.Context) (FeedStats, error)
}

// Item is one item of a Feed's stream.
type Item struct {
	N   int64
	Pad []byte
}

// FeedStats are a FeedImpl's counts.
type FeedStats struct {
	Sent  int64 // items yielded and accepted
	Ended int64 // streams whose iterator returned
}

// ErrFeed is the error a Feed fails with when asked to.
var ErrFeed = errors.New("testsvc: the feed failed as asked")

// Ending is how one of a Feed's streams ended.
type Ending struct {
	Sent    int64  // items the stream sent
	Stopped bool   // yield returned false: the stream was stopped
	Cause   string // the context's cause when it ended, "" if it had not
}

// FeedImpl implements Feed.
type FeedImpl struct {
	// Calc makes the Counters that Counters streams.
	Calc *Calc
	// Ended, if set, gets how each stream ended.
	Ended chan Ending

	sent, ended atomic.Int64
}

// NewFeed returns a Feed whose Counters come from a new Calc.
func NewFeed() *FeedImpl { return &FeedImpl{Calc: NewCalc(), Ended: make(chan Ending, 64)} }

// stream runs next until it returns false, or yield does, and reports
// how it ended; next yields one item.
func (f *FeedImpl) stream(ctx context.Context, yield func(Item, error) bool, next func(i int64) (Item, error, bool)) {
	var e Ending
	for i := int64(0); ; i++ {
		it, err, ok := next(i)
		if !ok {
			break
		}
		if !yield(it, err) {
			e.Stopped = true
			break
		}
		if err != nil {
			break
		}
		e.Sent++
		f.sent.Add(1)
	}
	f.end(ctx, e)
}

func (f *FeedImpl) end(ctx context.Context, e Ending) {
	if ctx.Err() != nil {
		e.Cause = context.Cause(ctx).Error()
	}
	f.ended.Add(1)
	if f.Ended != nil {
		select {
		case f.Ended <- e:
		default:
		}
	}
}

func (f *FeedImpl) Numbers(ctx context.Context, n int64, pad int) (iter.Seq2[Item, error], error) {
	return func(yield func(Item, error) bool) {
		f.stream(ctx, yield, func(i int64) (Item, error, bool) {
			return Item{N: i, Pad: make([]byte, pad)}, nil, n < 0 || i < n
		})
	}, nil
}

func (f *FeedImpl) Counters(ctx context.Context, n int) (iter.Seq2[Counter, error], error) {
	return func(yield func(Counter, error) bool) {
		var e Ending
		for i := range n {
			k, _ := f.Calc.NewCounter(ctx, int64(i))
			if !yield(k, nil) {
				e.Stopped = true
				break
			}
			e.Sent++
			f.sent.Add(1)
		}
		f.end(ctx, e)
	}, nil
}

func (f *FeedImpl) Fail(ctx context.Context, n int, how string) (iter.Seq2[Item, error], error) {
	if how == "refuse" {
		return nil, ErrFeed
	}
	return func(yield func(Item, error) bool) {
		f.stream(ctx, yield, func(i int64) (Item, error, bool) {
			switch {
			case i < int64(n) && how != "huge":
				return Item{N: i}, nil, true
			case how == "error":
				return Item{}, ErrFeed, true
			case how == "panic":
				panic("the feed panicked as asked")
			case how == "huge" && i == 0:
				return Item{N: i, Pad: make([]byte, n)}, nil, true
			}
			return Item{}, nil, false
		})
	}, nil
}

func (f *FeedImpl) Idle(ctx context.Context, n int) (iter.Seq2[Item, error], error) {
	return func(yield func(Item, error) bool) {
		var e Ending
		for i := range n {
			if !yield(Item{N: int64(i)}, nil) {
				e.Stopped = true
				f.end(ctx, e)
				return
			}
			e.Sent++
			f.sent.Add(1)
		}
		<-ctx.Done()
		f.end(ctx, e)
	}, nil
}

func (f *FeedImpl) Sent(context.Context) (FeedStats, error) {
	return FeedStats{Sent: f.sent.Load(), Ended: f.ended.Load()}, nil
}
