package etcdstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Store is a registry.SharedStore on etcd. See the package comment.
//
// Concurrency: mu guards the cache (bindings, group members, owners,
// tombstones, rev, the proof of freshness), the pending changes and the
// owner holds; fmu the followers. Four kinds
// of goroutine run, all counted by wg and stopped by Close: the watch
// (sync), the probe, the notifier (which calls the followers, with no
// lock of the store held), and one keeper per owner this registry holds
// objects of. Requests to etcd are never made under mu.
type Store struct {
	cli  *clientv3.Client
	opts Options
	root string // PREFIX/v1/

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	bindings map[string]entry
	owners   map[uuid.UUID]ownerEntry
	tombs    map[string]int64 // names this store deleted, at that revision, until the watch passes it
	rev      int64            // the cache holds every change up to this revision
	revCh    chan struct{}    // closed when rev advances
	synced   bool             // the watch is running
	provenAt time.Time        // the cache held every write acknowledged before this
	staleLog time.Time        // when a stale answer was last logged
	holds    map[uuid.UUID]*ownerHold
	groups   map[string]map[string]member // group → member id → member (groups.go)
	gtombs   map[groupMember]int64        // members this store removed, as tombs

	fmu       sync.Mutex // held while followers are called, so that a stopped one is not called after
	followers map[int]func(name string)
	nextID    int
	pending   map[string]struct{} // names whose change the followers have not heard of
	pendingCh chan struct{}       // signalled when pending or gpending gains a name
	gfollow   map[int]func(group string)
	gpending  map[string]struct{} // groups whose change the group followers have not heard of
}

// entry is a cached binding, with its key's revision and lease.
type entry struct {
	b     registry.Binding
	mod   int64
	lease clientv3.LeaseID
}

// ownerEntry is an owner's cached lease.
type ownerEntry struct {
	lease clientv3.LeaseID
	mod   int64
}

var _ registry.SharedStore = (*Store)(nil)

// Open connects to etcd and fills the cache, waiting at most until ctx
// ends (or Options.Timeout, if sooner) for a first view of the store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            opts.Endpoints,
		DialTimeout:          opts.Timeout,
		DialKeepAliveTime:    opts.Timeout,
		DialKeepAliveTimeout: opts.Timeout,
		Logger:               zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: %v: %w", opts.Endpoints, err)
	}
	s := &Store{
		cli: cli, opts: opts, root: opts.Prefix + "/v1/",
		bindings: make(map[string]entry), owners: make(map[uuid.UUID]ownerEntry),
		tombs: make(map[string]int64), revCh: make(chan struct{}), holds: make(map[uuid.UUID]*ownerHold),
		followers: make(map[int]func(string)), pending: make(map[string]struct{}), pendingCh: make(chan struct{}, 1),
		groups: make(map[string]map[string]member), gtombs: make(map[groupMember]int64),
		gfollow: make(map[int]func(string)), gpending: make(map[string]struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	first := make(chan error, 1)
	s.wg.Add(3)
	go s.watchLoop(first)
	go s.probeLoop()
	go s.notifyLoop()
	wctx, cancel := s.bound(ctx)
	defer cancel()
	select {
	case err = <-first:
	case <-wctx.Done():
		err = context.Cause(wctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("etcdstore: cannot read the store from etcd at %s (is etcd running there?): %w: %w",
			strings.Join(opts.Endpoints, ","), registry.ErrStoreUnavailable, err)
	}
	return s, nil
}

// Close stops the store's goroutines and closes its etcd client. The
// owner leases it kept alive are left to expire unless another registry
// keeps them.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.cli.Close()
}

// bound limits ctx to Options.Timeout, and to the store's life.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

func (s *Store) bindingKey(name string) string { return s.root + "bindings/" + name }
func (s *Store) ownerKey(id uuid.UUID) string  { return s.root + "owners/" + id.String() }
func (s *Store) probeKey() string              { return s.root + "probe" }
func notBound(name string) error               { return fmt.Errorf("%w: %q", registry.ErrNotBound, name) }
func sameObject(a, b remote.Ref) bool          { return a.Runtime == b.Runtime && a.Object == b.Object }
func byName(a, b registry.Binding) int         { return cmp.Compare(a.Name, b.Name) }
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
