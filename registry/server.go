package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// Options configures a registry. The zero value is an in-memory registry
// that only its own host may change.
type Options struct {
	// Store keeps the bindings. Default: a new MemoryStore. The registry
	// does not close it.
	Store Store
	// Access rules on Bind, Rebind and Unbind, before they run. Default:
	// LocalOnly. LocalOr(names...) also gives principals the bind right.
	Access Access
	// Logger receives one line per binding made, replaced, removed or
	// dropped because its object is gone. Default: discarded.
	Logger *slog.Logger
	// ConfirmTimeout bounds how long Bind waits for the object's owner to
	// grant the registry a lease. Default 10 s.
	ConfirmTimeout time.Duration
}

// Server is a registry running inside a runtime. It implements Registry,
// and a program may call it directly as well as through Client.
type Server struct {
	rt   *remote.Runtime
	opts Options
	ref  remote.Ref

	mu     sync.Mutex
	closed bool
	live   map[string]*binding   // the registry's hold on each bound object
	stale  map[string]remote.Ref // dropped, but the store failed to delete them
	wg     sync.WaitGroup        // drop callbacks that may be running

	unfollow func()       // stops a SharedStore's change feed; nil otherwise
	groups   *groupServer // groups_server.go
}

// binding is the registry's hold on one bound object.
type binding struct {
	ref    remote.Ref
	handle *stub.Dynamic // counts the registry as a holder
	stop   func()        // stops watching, if the drop has not begun
}

// end stops watching and releases the hold.
func (b *binding) end() {
	b.stop()
	b.handle.Release()
}

// Serve starts a registry in rt at remote.RegistryID, so that other
// runtimes reach it at objrmi://<rt's endpoint>. It takes up the bindings
// already in the store, claims a lease on each, and drops those whose
// objects turn out to be gone.
func Serve(rt *remote.Runtime, opts Options) (*Server, error) {
	if opts.Store == nil {
		opts.Store = NewMemoryStore()
	}
	if opts.Access == nil {
		opts.Access = LocalOnly
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ConfirmTimeout <= 0 {
		opts.ConfirmTimeout = 10 * time.Second
	}
	if err := registerCodes(rt); err != nil {
		return nil, err
	}
	s := &Server{rt: rt, opts: opts, live: make(map[string]*binding), stale: make(map[string]remote.Ref)}
	if ss, ok := s.shared(); ok {
		// Before List: a binding made elsewhere meanwhile is not missed.
		s.unfollow = ss.Follow(s.follow)
	}
	stored, err := opts.Store.List(context.Background())
	if err != nil {
		s.Close()
		return nil, err
	}
	s.mu.Lock()
	for _, b := range stored {
		if s.live[b.Name] == nil { // else Follow was first, with a view at least as new
			s.hold(b.Name, b.Ref)
		}
	}
	s.mu.Unlock()
	if len(stored) > 0 {
		opts.Logger.Info("objrmi registry: restored bindings; claiming their leases", "bindings", len(stored))
	}
	if s.readOnly() {
		opts.Logger.Warn("objrmi registry: the store is read-only: serving lookup and list; bind, rebind and unbind fail")
	}
	s.ref, err = remote.Export[Registry](rt, s, remote.WithID(remote.RegistryID), remote.WithAuthorize(s.authorize))
	if err == nil {
		err = s.serveGroups()
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// URL is where other runtimes reach this registry.
func (s *Server) URL() string {
	if s.rt.TLS() {
		return SchemeTLS + "://" + s.rt.Endpoint()
	}
	return Scheme + "://" + s.rt.Endpoint()
}

// Close stops serving and releases the registry's references. The
// bindings stay in the store, for the next registry on it.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	live := s.live
	s.live = nil
	s.mu.Unlock()
	if s.unfollow != nil {
		s.unfollow()
	}
	if s.ref != (remote.Ref{}) {
		s.rt.Unexport(s.ref)
	}
	if s.groups != nil {
		s.groups.close()
	}
	for _, b := range live {
		b.end()
	}
	s.wg.Wait()
	return nil
}

// Bind implements Registry.
func (s *Server) Bind(ctx context.Context, name string, obj remote.Ref) error {
	return s.bind(ctx, OpBind, name, obj)
}

// Rebind implements Registry.
func (s *Server) Rebind(ctx context.Context, name string, obj remote.Ref) error {
	return s.bind(ctx, OpRebind, name, obj)
}

func (s *Server) bind(ctx context.Context, op Op, name string, obj remote.Ref) error {
	if err := s.allow(ctx, op, name); err != nil {
		return err
	}
	if s.readOnly() {
		return &storeError{op: string(op), name: name, kind: ErrReadOnly}
	}
	if obj.Runtime == [16]byte{} || obj.Endpoint == "" {
		return fmt.Errorf("%w: %s: other runtimes could not call it (zero, or its runtime has no listener)",
			ErrBadReference, obj)
	}
	if obj.Object < remote.FirstDynamicID && obj.Runtime != s.rt.ID() {
		return fmt.Errorf("%w: %s: an object at a well-known id is not counted, so the registry cannot hold a lease on it; export it without WithID",
			ErrBadReference, obj)
	}
	if op == OpBind && s.taken(ctx, name) {
		return fmt.Errorf("%w: %q", ErrAlreadyBound, name)
	}
	// Hold first, and store once the owner has granted the lease (or, for
	// an object of this runtime, once it is found exported), so that a
	// bound name never points at an object that is already gone.
	h := remote.Dynamic(s.rt, obj)
	cctx, cancel := context.WithTimeout(ctx, s.opts.ConfirmTimeout)
	err := s.rt.Confirm(cctx, h)
	cancel()
	if err != nil {
		h.Release()
		return fmt.Errorf("%w: %s: %w", ErrBadReference, obj, err)
	}
	obj.Pin = 0
	b := Binding{Name: name, Ref: obj, Bound: time.Now()}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		h.Release()
		return errors.New("objrmi registry: the registry is closed")
	}
	var old *binding
	if op == OpBind {
		err = s.opts.Store.Create(ctx, b)
	} else {
		_, _, err = s.opts.Store.Put(ctx, b)
		old = s.live[name]
	}
	if err != nil {
		s.mu.Unlock()
		h.Release()
		return s.storeFault(string(op), name, err)
	}
	s.watch(name, &binding{ref: obj, handle: h})
	s.mu.Unlock()
	if old != nil {
		old.end()
	}
	s.opts.Logger.Info("objrmi registry: "+string(op), "name", name, "ref", obj.String())
	return nil
}

// Unbind implements Registry.
func (s *Server) Unbind(ctx context.Context, name string) error {
	if err := s.allow(ctx, OpUnbind, name); err != nil {
		return err
	}
	if s.readOnly() {
		return &storeError{op: string(OpUnbind), name: name, kind: ErrReadOnly}
	}
	s.mu.Lock()
	_, err := s.opts.Store.Delete(ctx, name)
	if err != nil && !errors.Is(err, ErrNotBound) {
		s.mu.Unlock()
		return s.storeFault(string(OpUnbind), name, err) // still bound: the hold and the watch stay
	}
	b := s.live[name]
	delete(s.live, name)
	delete(s.stale, name)
	s.mu.Unlock()
	if b != nil {
		b.end()
	}
	if err == nil {
		s.opts.Logger.Info("objrmi registry: unbind", "name", name)
	}
	return err
}

// Lookup implements Registry.
func (s *Server) Lookup(ctx context.Context, name string) (remote.Ref, error) {
	if ctx == nil {
		return remote.Ref{}, nilContext("lookup")
	}
	if err := CheckName(name); err != nil {
		return remote.Ref{}, err
	}
	s.mu.Lock()
	s.retryDrops(ctx)
	_, stale := s.stale[name]
	s.mu.Unlock()
	if stale {
		return remote.Ref{}, notBound(name)
	}
	b, err := s.opts.Store.Get(ctx, name)
	if err != nil {
		return remote.Ref{}, s.storeFault("lookup", name, err)
	}
	return b.Ref, nil
}

// List implements Registry.
func (s *Server) List(ctx context.Context) ([]string, error) {
	if ctx == nil {
		return nil, nilContext("list")
	}
	s.mu.Lock()
	s.retryDrops(ctx)
	s.mu.Unlock()
	all, err := s.opts.Store.List(ctx)
	if err != nil {
		return nil, s.storeFault("list", "", err)
	}
	names := make([]string, 0, len(all))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range all {
		if _, stale := s.stale[b.Name]; !stale {
			names = append(names, b.Name)
		}
	}
	return names, nil
}

func (s *Server) allow(ctx context.Context, op Op, name string) error {
	if ctx == nil {
		return nilContext(string(op))
	}
	if obj, ok := remote.Authorized(ctx); !ok || obj != remote.RegistryID {
		// Not a call to the registry through its export, whose
		// Authorizer ran Access already: an in-process call, perhaps
		// with the context of some other remote call.
		if err := s.opts.Access(ctx, op); err != nil {
			return fmt.Errorf("%w: %w", ErrAccessDenied, err)
		}
	}
	return CheckName(name)
}

// hold makes the registry a holder of obj, bound to name. s.mu is held.
func (s *Server) hold(name string, obj remote.Ref) {
	s.watch(name, &binding{ref: obj, handle: remote.Dynamic(s.rt, obj)})
}

// watch records b under name and drops the binding once its object is
// lost. s.mu is held.
func (s *Server) watch(name string, b *binding) {
	s.live[name] = b
	s.wg.Add(1)
	lost := s.rt.Watch(b.handle)
	stop := context.AfterFunc(lost, func() {
		defer s.wg.Done()
		s.drop(name, b, context.Cause(lost))
	})
	release := func() {}
	if ss, ok := s.shared(); ok {
		var held context.Context
		held, release = context.WithCancel(lost)
		ss.Hold(b.ref, held)
	}
	b.stop = func() {
		release()
		if stop() {
			s.wg.Done()
		}
	}
}

// drop removes a binding whose object is lost, unless it has been
// unbound or rebound meanwhile.
func (s *Server) drop(name string, b *binding, why error) {
	s.mu.Lock()
	if s.closed || s.live[name] != b {
		s.mu.Unlock()
		return
	}
	delete(s.live, name)
	if s.keepsLapsed(why) {
		s.mu.Unlock()
		b.handle.Release()
		s.opts.Logger.Warn("objrmi registry: lost the lease on a bound object; the shared store removes the binding unless another registry still reaches its owner",
			"name", name, "ref", b.ref.String(), "why", why.Error())
		return
	}
	if _, err := s.opts.Store.DeleteIf(context.Background(), name, b.ref); err != nil {
		// Never hand it out; try the store again at the next Lookup or List.
		s.stale[name] = b.ref
		if errors.Is(err, ErrReadOnly) {
			s.opts.Logger.Warn("objrmi registry: the read-only store keeps a dropped binding; it is no longer handed out", "name", name)
		} else {
			s.opts.Logger.Error("objrmi registry: the store kept a dropped binding; will retry", "name", name, "err", err)
		}
	}
	s.mu.Unlock()
	b.handle.Release()
	s.opts.Logger.Warn("objrmi registry: removed a binding: its object is gone or unreachable",
		"name", name, "ref", b.ref.String(), "why", why.Error())
}

// retryDrops removes from the store the dropped bindings it kept before.
// s.mu is held.
func (s *Server) retryDrops(ctx context.Context) {
	for name, ref := range s.stale {
		if _, err := s.opts.Store.DeleteIf(ctx, name, ref); err == nil {
			delete(s.stale, name)
		}
	}
}

// nilContext refuses a local call made with a nil context, as a remote
// call would be refused, rather than panic deep inside.
func nilContext(op string) error {
	return &objerr.Error{Kind: objerr.KindNotSent, Op: "registry " + op, Err: objerr.ErrNilContext}
}
