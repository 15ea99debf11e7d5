package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/remote"
)

// FileStore keeps the bindings in a JSON file, so they survive a
// restart of the registry. Every change rewrites the file atomically (a
// new file, synced, renamed over the old one): a crash leaves the old
// bindings or the new ones, never a torn file. One store at a time may
// have a file open: a second one, in this process or another, is refused
// while the first is open (a lock on PATH.lock, on Unix).
type FileStore struct {
	path string
	lock io.Closer
	mu   sync.Mutex // orders changes with their writes
	mem  *MemoryStore
}

// fileFormat is the file's content. The version lets a later format be
// told apart rather than misread.
type fileFormat struct {
	Version  int           `json:"version"`
	Bindings []fileBinding `json:"bindings"`
}

type fileBinding struct {
	Name     string    `json:"name"`
	Runtime  uuid.UUID `json:"runtime"`
	Endpoint string    `json:"endpoint"`
	Object   uint64    `json:"object"`
	Iface    string    `json:"interface"`
	Key      uint64    `json:"key,omitempty"`
	Bound    time.Time `json:"bound"`
}

const fileVersion = 1

// OpenFileStore opens the store at path, creating it if it does not
// exist. A file that does not parse is an error, not an empty registry.
func OpenFileStore(path string) (_ *FileStore, err error) {
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("objrmi registry: file store %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	s := &FileStore{path: path, lock: lock, mem: NewMemoryStore()}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.save(); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("objrmi registry: file store: %w", err)
	}
	var f fileFormat
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("objrmi registry: file store %s: %w", path, err)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("objrmi registry: file store %s: version %d, want %d", path, f.Version, fileVersion)
	}
	for _, b := range f.Bindings {
		if err := CheckName(b.Name); err != nil {
			return nil, fmt.Errorf("objrmi registry: file store %s: %w", path, err)
		}
		s.mem.m[b.Name] = Binding{Name: b.Name, Bound: b.Bound,
			Ref: remote.Ref{Runtime: b.Runtime, Endpoint: b.Endpoint, Object: b.Object, Iface: b.Iface, Key: b.Key}}
	}
	return s, nil
}

// Create implements Store.
func (s *FileStore) Create(ctx context.Context, b Binding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.Create(ctx, b); err != nil {
		return err
	}
	return s.saveOr(func() { s.mem.Delete(ctx, b.Name) })
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, b Binding) (Binding, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, replaced, _ := s.mem.Put(ctx, b)
	err := s.saveOr(func() {
		if replaced {
			s.mem.Put(ctx, old)
		} else {
			s.mem.Delete(ctx, b.Name)
		}
	})
	return old, replaced, err
}

// Delete implements Store.
func (s *FileStore) Delete(ctx context.Context, name string) (Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.mem.Delete(ctx, name)
	if err != nil {
		return b, err
	}
	return b, s.saveOr(func() { s.mem.Put(ctx, b) })
}

// DeleteIf implements Store.
func (s *FileStore) DeleteIf(ctx context.Context, name string, ref remote.Ref) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.mem.Get(ctx, name)
	if err != nil || !sameObject(b.Ref, ref) {
		return false, nil
	}
	s.mem.Delete(ctx, name)
	return true, s.saveOr(func() { s.mem.Put(ctx, b) })
}

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, name string) (Binding, error) {
	return s.mem.Get(ctx, name)
}

// List implements Store.
func (s *FileStore) List(ctx context.Context) ([]Binding, error) { return s.mem.List(ctx) }

// Close implements Store: it releases the file for another store.
func (s *FileStore) Close() error { return s.lock.Close() }

// saveOr writes the file, or undoes the change in memory if it cannot,
// so that memory never claims what the disk does not hold.
func (s *FileStore) saveOr(undo func()) error {
	if err := s.save(); err != nil {
		undo()
		return err
	}
	return nil
}

func (s *FileStore) save() error {
	all, _ := s.mem.List(context.Background())
	f := fileFormat{Version: fileVersion, Bindings: make([]fileBinding, 0, len(all))}
	for _, b := range all {
		f.Bindings = append(f.Bindings, fileBinding{Name: b.Name, Runtime: b.Ref.Runtime,
			Endpoint: b.Ref.Endpoint, Object: b.Ref.Object, Iface: b.Ref.Iface, Key: b.Ref.Key, Bound: b.Bound})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("objrmi registry: file store: %w", err)
	}
	return nil
}

// writeAtomic replaces path with data: a crash at any point leaves
// either the old content or the new.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is none
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename is done: whether or not the directory syncs, the file
	// now holds the new content, and memory must agree with it.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
