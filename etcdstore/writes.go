package etcdstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// leaseTries bounds the attempts of a write whose owner lease expired
// between being read and being used.
const leaseTries = 3

// Create implements registry.Store: a transaction that puts the key only
// if it does not exist.
func (s *Store) Create(ctx context.Context, b registry.Binding) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := encodeBinding(b)
	if err != nil {
		return fmt.Errorf("etcdstore: bind %q: %w: %w", b.Name, registry.ErrStore, err)
	}
	key := s.bindingKey(b.Name)
	for try := 0; ; try++ {
		lease, err := s.leaseFor(ctx, b.Ref)
		if err != nil {
			return writeFailed("bind", b.Name, err)
		}
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(v), clientv3.WithLease(lease))).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && try < leaseTries {
			s.forgetOwner(b.Ref, lease)
			continue
		}
		if err != nil {
			return writeFailed("bind", b.Name, err)
		}
		if !resp.Succeeded {
			return fmt.Errorf("%w: %q", registry.ErrAlreadyBound, b.Name)
		}
		s.wrote(b.Name, &b, resp.Header.Revision, lease)
		return nil
	}
}

// Put implements registry.Store.
func (s *Store) Put(ctx context.Context, b registry.Binding) (registry.Binding, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := encodeBinding(b)
	if err != nil {
		return registry.Binding{}, false, fmt.Errorf("etcdstore: rebind %q: %w: %w", b.Name, registry.ErrStore, err)
	}
	for try := 0; ; try++ {
		lease, err := s.leaseFor(ctx, b.Ref)
		if err != nil {
			return registry.Binding{}, false, writeFailed("rebind", b.Name, err)
		}
		resp, err := s.cli.Put(ctx, s.bindingKey(b.Name), string(v), clientv3.WithLease(lease), clientv3.WithPrevKV())
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && try < leaseTries {
			s.forgetOwner(b.Ref, lease)
			continue
		}
		if err != nil {
			return registry.Binding{}, false, writeFailed("rebind", b.Name, err)
		}
		s.wrote(b.Name, &b, resp.Header.Revision, lease)
		if resp.PrevKv == nil {
			return registry.Binding{}, false, nil
		}
		old, err := decodeBinding(b.Name, resp.PrevKv.Value)
		return old, err == nil, nil // an old value that does not decode was replaced all the same
	}
}

// Delete implements registry.Store.
func (s *Store) Delete(ctx context.Context, name string) (registry.Binding, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	resp, err := s.cli.Delete(ctx, s.bindingKey(name), clientv3.WithPrevKV())
	if err != nil {
		return registry.Binding{}, writeFailed("unbind", name, err)
	}
	s.wrote(name, nil, resp.Header.Revision, 0)
	if len(resp.PrevKvs) == 0 {
		return registry.Binding{}, notBound(name)
	}
	old, err := decodeBinding(name, resp.PrevKvs[0].Value)
	if err != nil {
		return registry.Binding{Name: name}, nil // removed all the same
	}
	return old, nil
}

// DeleteIf implements registry.Store: it reads the binding and deletes
// it only if it is still bound to ref, at the revision read.
func (s *Store) DeleteIf(ctx context.Context, name string, ref remote.Ref) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key := s.bindingKey(name)
	got, err := s.cli.Get(ctx, key)
	if err != nil {
		return false, readFailed("remove", name, err)
	}
	if len(got.Kvs) == 0 {
		return false, nil
	}
	kv := got.Kvs[0]
	if b, err := decodeBinding(name, kv.Value); err == nil && !sameObject(b.Ref, ref) {
		return false, nil
	}
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return false, writeFailed("remove", name, err)
	}
	if resp.Succeeded {
		s.wrote(name, nil, resp.Header.Revision, 0)
	}
	return resp.Succeeded, nil
}

// leaseFor returns the etcd lease of ref's owner runtime, granting it
// if the owner has none. Registries that grant one at once agree
// through a transaction on the owner's key: the losers revoke theirs
// and use the winner's.
func (s *Store) leaseFor(ctx context.Context, ref remote.Ref) (clientv3.LeaseID, error) {
	s.mu.Lock()
	o, ok := s.owners[ref.Runtime]
	s.mu.Unlock()
	if ok && o.lease != 0 {
		return o.lease, nil
	}
	g, err := s.cli.Grant(ctx, int64(s.opts.LeaseTTL.Seconds()))
	if err != nil {
		return 0, err
	}
	v, _ := msgpack.Marshal(&ownerRecord{V: formatV1, Endpoint: ref.Endpoint})
	key := s.ownerKey(ref.Runtime)
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(v), clientv3.WithLease(g.ID))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		s.revoke(g.ID)
		return 0, err
	}
	lease, mod := g.ID, resp.Header.Revision
	if !resp.Succeeded {
		s.revoke(g.ID)
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 { // expired meanwhile: the caller tries again
			return 0, rpctypes.ErrLeaseNotFound
		}
		lease, mod = clientv3.LeaseID(kvs[0].Lease), kvs[0].ModRevision
	}
	s.mu.Lock()
	if cur, ok := s.owners[ref.Runtime]; !ok || cur.mod < mod {
		s.owners[ref.Runtime] = ownerEntry{lease: lease, mod: mod}
	}
	s.mu.Unlock()
	return lease, nil
}

// forgetOwner drops an owner lease that etcd says has expired.
func (s *Store) forgetOwner(ref remote.Ref, lease clientv3.LeaseID) {
	s.mu.Lock()
	if o, ok := s.owners[ref.Runtime]; ok && o.lease == lease {
		delete(s.owners, ref.Runtime)
	}
	s.mu.Unlock()
}

// revoke gives back a lease this store granted and did not use.
func (s *Store) revoke(id clientv3.LeaseID) {
	ctx, cancel := s.bound(context.Background())
	defer cancel()
	s.cli.Revoke(ctx, id) // if it fails, the lease expires unused
}

// wrote puts this store's own write into its cache at once (b nil for a
// delete), so that the registry sees it before its call returns. The
// watch brings the same change later, and changes older than it are not
// applied over it.
func (s *Store) wrote(name string, b *registry.Binding, rev int64, lease clientv3.LeaseID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.bindings[name]; ok && e.mod > rev {
		return
	}
	if t, ok := s.tombs[name]; ok && t > rev {
		return
	}
	if b == nil {
		delete(s.bindings, name)
		if rev > s.rev {
			s.tombs[name] = rev
		}
	} else {
		s.bindings[name] = entry{b: *b, mod: rev, lease: lease}
		delete(s.tombs, name)
	}
	s.changed(name)
}
