package remote

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/objerr"
)

// FirstDynamicID is the first object number the runtime hands out by
// itself. Numbers below it are well-known ids, chosen with WithID, so a
// peer can reach an object with nothing but the runtime's endpoint.
const FirstDynamicID = 1024

// RegistryID is the well-known id of a naming registry (package registry)
// on its runtime. Id 1 is the runtime's own DGC object.
const RegistryID = 2

const reservedDGC = 1

// exportTable maps object numbers to skeletons. An object passed by
// reference is exported implicitly once per (object, interface) and keeps
// its number while exported.
type exportTable struct {
	dgc     *gc.Table // counts references to every dynamic-id export
	mu      sync.RWMutex
	next    uint64
	byNum   map[uint64]*export
	byValue map[exportKey]uint64
	// gone remembers why recent numbers disappeared, so a late caller
	// learns "unexported" rather than a bare "no such object", and their
	// keys, so that only a holder of a real reference learns it.
	gone map[uint64]goneExport
}

type goneExport struct {
	why string
	key uint64
}

type export struct {
	num         uint64
	it          *iface.Interface
	skel        link.Skeleton
	implicit    bool // exported by being passed, not by Export
	collectable bool // unexported when its last reference ends
	authorize   Authorizer
	key         exportKey
	keyed       bool
	// secret is the random key that references to a dynamic export
	// carry (wire.Ref.Key): the proof a third party's claim needs.
	secret uint64
	gone   context.Context // made by watch; cancelled when it is removed
	lose   context.CancelCauseFunc
}

type exportKey struct {
	obj any
	typ reflect.Type
}

const maxGone = 4096

func (t *exportTable) init(dgc *gc.Table) {
	t.dgc = dgc
	t.next = FirstDynamicID
	t.byNum = make(map[uint64]*export)
	t.byValue = make(map[exportKey]uint64)
	t.gone = make(map[uint64]goneExport)
}

// newSecret is a random, non-zero key.
func newSecret() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:]) // never fails (crypto/rand)
		if k := binary.LittleEndian.Uint64(b[:]); k != 0 {
			return k
		}
	}
}

// add exports obj as it. id 0 means "pick a number". An object already
// exported as it keeps its number. Objects at dynamic ids are reference
// counted; implicit ones are always collectable.
func (t *exportTable) add(it *iface.Interface, obj any, cfg exportConfig, implicit bool) (uint64, error) {
	id, collectable := cfg.id, cfg.collectable
	key, keyed := exportKey{obj, it.Type}, reflect.TypeOf(obj).Comparable()
	t.mu.Lock()
	defer t.mu.Unlock()
	if keyed {
		if num, ok := t.byValue[key]; ok && (id == 0 || id == num) {
			if e := t.byNum[num]; e.implicit && !implicit {
				// The user exports what was only passed so far: it now
				// lives by the user's choice, not by its references.
				e.implicit, e.collectable = false, collectable
				t.dgc.Track(num, collectable, e.secret)
			}
			if cfg.authorize != nil {
				t.byNum[num].authorize = cfg.authorize
			}
			return num, nil
		}
	}
	skel, err := link.NewSkeleton(it, obj)
	if err != nil {
		return 0, err
	}
	switch {
	case id == 0:
		id = t.next
		t.next++
	case id >= FirstDynamicID:
		return 0, fmt.Errorf("objrmi: well-known id %d must be below %d", id, FirstDynamicID)
	case t.byNum[id] != nil:
		return 0, fmt.Errorf("objrmi: object id %d is already exported", id)
	}
	e := &export{num: id, it: it, skel: skel, implicit: implicit, collectable: implicit || collectable,
		key: key, keyed: keyed, authorize: cfg.authorize}
	if id >= FirstDynamicID {
		e.secret = newSecret()
	}
	t.byNum[id] = e
	if keyed {
		t.byValue[key] = id
	}
	delete(t.gone, id)
	if id >= FirstDynamicID {
		t.dgc.Track(id, e.collectable, e.secret)
	}
	return id, nil
}

// remove unexports num, remembering why. With only set, it removes num
// only if it is still that export.
func (t *exportTable) remove(num uint64, only *export, why string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byNum[num]
	if e == nil || (only != nil && e != only) {
		return false
	}
	t.dgc.Forget(num)
	delete(t.byNum, num)
	if e.lose != nil {
		e.lose(&objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: why})
	}
	if e.keyed && t.byValue[e.key] == num {
		delete(t.byValue, e.key)
	}
	if len(t.gone) >= maxGone {
		clear(t.gone) // forgetting old reasons only makes later errors vaguer
	}
	t.gone[num] = goneExport{why, e.secret}
	return true
}

// unlist stops num being found by value, so the next implicit export of
// the same object gets a fresh number. The export itself stays until the
// runtime removes it.
func (t *exportTable) unlist(num uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byNum[num]; e != nil && e.keyed && t.byValue[e.key] == num {
		delete(t.byValue, e.key)
	}
}

// watch returns a context cancelled when num is removed, or one already
// cancelled, with the reason, if it is not exported.
func (t *exportTable) watch(num uint64) context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byNum[num]
	if e == nil {
		why := t.gone[num].why
		if why == "" {
			why = fmt.Sprintf("object %d is not exported", num)
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(&objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: why})
		return ctx
	}
	if e.gone == nil {
		e.gone, e.lose = context.WithCancelCause(context.Background())
	}
	return e.gone
}

// get returns the export at num, or nil.
func (t *exportTable) get(num uint64) *export {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byNum[num]
}

// all lists the exports, in number order.
func (t *exportTable) all() []*export {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*export, 0, len(t.byNum))
	for _, e := range t.byNum {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *export) int { return cmp.Compare(a.num, b.num) })
	return out
}

// lookup returns the export num, or why there is none.
func (t *exportTable) lookup(num uint64) (*export, string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if e := t.byNum[num]; e != nil {
		return e, ""
	}
	if g, ok := t.gone[num]; ok {
		return nil, fmt.Sprintf("object %d is gone: %s", num, g.why)
	}
	if num >= FirstDynamicID && num < t.next {
		return nil, fmt.Sprintf("object %d is gone: it was unexported", num)
	}
	return nil, fmt.Sprintf("object %d was never exported by this runtime", num)
}

// keyOf is the key of the export num, or of num's last export if it is
// gone and remembered; 0 if neither.
func (t *exportTable) keyOf(num uint64) uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if e := t.byNum[num]; e != nil {
		return e.secret
	}
	return t.gone[num].key
}
