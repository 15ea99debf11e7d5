package remote_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// BenchmarkStream is one stream of b.N small items (an int64 and an
// empty pad) over loopback TCP, taken by one loop as fast as it can:
// ns/op is per item, items/s the rate. Run it with -benchtime=1000000x
// for a stream of a million items.
func BenchmarkStream(b *testing.B) {
	for _, window := range []int{64, 1024} {
		b.Run("window="+strconv.Itoa(window), func(b *testing.B) {
			feed := benchFeed(b)
			ctx := remote.WithStreamWindow(context.Background(), window, 0)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			items, err := feed.Numbers(ctx, int64(b.N), 0)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for it, err := range items {
				if err != nil {
					b.Fatal(err)
				}
				if it.N != int64(n) {
					b.Fatalf("item %d is %d", n, it.N)
				}
				n++
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "items/s")
		})
	}
}

func benchFeed(b *testing.B) testsvc.Feed {
	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	impl := testsvc.NewFeed()
	impl.Ended = nil
	if _, err := remote.Export[testsvc.Feed](srv, impl, remote.WithID(feedID)); err != nil {
		b.Fatal(err)
	}
	cli, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close() })
	feed, err := remote.Dial[testsvc.Feed](context.Background(), cli, srv.Endpoint(), feedID)
	if err != nil {
		b.Fatal(err)
	}
	return feed
}
