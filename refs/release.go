package refs

import (
	"context"
	"sync"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
)

// releaseSenders bounds the cleans ReleaseAll has in flight at once.
const releaseSenders = 32

// ReleaseAll tells every owner, with one clean each, that this runtime
// holds nothing of it any more, and waits until they have answered or ctx
// ends. It is for a runtime that is closing: its owners learn at once
// that their objects are no longer held here, where they would otherwise
// wait for its leases to lapse. The table is left as it is; Close
// follows. A clean that does not arrive in time changes nothing: the
// lease lapses, as it would have.
func (t *table) ReleaseAll(ctx context.Context) {
	type job struct {
		to link.Owner
		c  gc.Clean
	}
	var jobs []job
	t.mu.Lock()
	for _, o := range t.owners {
		var weak, pins, strong []uint64
		for obj, e := range o.entries {
			switch {
			case e.state == held, e.state == fresh && e.pin != 0:
				weak = append(weak, obj)
				pins = append(pins, e.pin)
			case e.state == unsure:
				strong = append(strong, obj) // its dirty may yet arrive
			}
		}
		if len(weak) > 0 {
			jobs = append(jobs, job{o.Owner, gc.Clean{Seq: t.seq.Add(1), Objects: weak, Pins: pins}})
		}
		if len(strong) > 0 {
			jobs = append(jobs, job{o.Owner, gc.Clean{Seq: t.seq.Add(1), Objects: strong, Strong: true}})
		}
	}
	t.mu.Unlock()
	sem := make(chan struct{}, releaseSenders)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			t.send.Clean(ctx, j.to, j.c)
		})
	}
	wg.Wait()
}
