package gc_test

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/gc"
)

// A Table counts who holds each exported object: a dirty claims, a clean
// lets go, and the last clean ends the object with an Event.
func ExampleTable() {
	t := gc.NewTable(gc.Config{Lease: time.Minute})
	const obj, key = 1024, 42
	t.Track(obj, true, key)

	holder := uuid.New()
	g := t.Dirty(holder, gc.Dirty{Seq: 1, Objects: []uint64{obj}, Keys: []uint64{key}})
	fmt.Println("lease:", g.Lease, "missing:", len(g.Missing))

	for _, ev := range t.Clean(holder, gc.Clean{Seq: 2, Objects: []uint64{obj}}) {
		fmt.Println("object", ev.Object, "ended:", ev.Reason)
	}
	// Output:
	// lease: 1m0s missing: 0
	// object 1024 ended: its last holder released it
}
