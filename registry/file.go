package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/objrmi/objrmi/remote"
)

// FileStore keeps the bindings in a JSON file, so they survive a
// restart of the registry. Every change rewrites the file atomically (a
// new file, synced, renamed over the old one): a crash leaves the old
// bindings or the new ones, never a torn file, and the next open removes
// the temporary file a crash left behind. One store at a time may have a
// file open for writing: a second one, in this process or another, is
// refused while the first is open (a lock on PATH.lock, on Unix).
//
// A file whose directory cannot be written opens read-only: Get and List
// work, and every change fails with ErrReadOnly. Read-only stores of one
// file may be open together, but not alongside a writable one.
type FileStore struct {
	path     string
	log      *slog.Logger
	readOnly bool
	lock     io.Closer
	mu       sync.Mutex // orders changes with their writes
	mem      *MemoryStore
}

var _ Store = (*FileStore)(nil)

// FileOptions configures a FileStore. The zero value is the defaults.
type FileOptions struct {
	// Logger receives one line for each binding of the file that open
	// skips (which, and why), each stale temporary file it removes, and a
	// line if the store opens read-only. Default: discarded.
	Logger *slog.Logger
}

// OpenFileStore opens the store at path, creating it if it does not
// exist. A file that does not parse is an error, not an empty registry;
// a binding in it that cannot be used (a bad name, a bad reference) is
// skipped with a log line, and the others are served.
func OpenFileStore(path string, opts FileOptions) (_ *FileStore, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &FileStore{path: path, log: opts.Logger, mem: NewMemoryStore()}
	if s.readOnly, err = readOnlyDir(path); err != nil {
		return nil, fmt.Errorf("objrmi registry: file store %s: %w", path, err)
	}
	if s.lock, err = lockFile(path+".lock", !s.readOnly); err != nil {
		return nil, fmt.Errorf("objrmi registry: file store %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			s.lock.Close()
		}
	}()
	if !s.readOnly {
		removeStaleTemps(path, s.log)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && s.readOnly:
		return nil, fmt.Errorf("objrmi registry: file store %s: %w, and its directory is read-only, so it cannot be created: give a writable directory, or an existing file", path, err)
	case errors.Is(err, fs.ErrNotExist):
		if err := s.save(); err != nil {
			return nil, err
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("objrmi registry: file store: %w", err)
	}
	bindings, skipped, err := parseFile(data)
	if err != nil {
		return nil, fmt.Errorf("objrmi registry: file store %s: %w", path, err)
	}
	for _, b := range bindings {
		s.mem.m[b.Name] = b
	}
	s.reportSkipped(data, skipped)
	if s.readOnly {
		s.log.Warn("objrmi registry: file store is read-only (its directory cannot be written): lookups and list work, changes fail",
			"path", path, "bindings", len(bindings))
	}
	return s, nil
}

// reportSkipped logs each binding open skipped and, if it can, keeps a
// copy of the file as it was (PATH.skipped-TIME): the next change
// rewrites the file without them.
func (s *FileStore) reportSkipped(data []byte, skipped []skippedBinding) {
	if len(skipped) == 0 {
		return
	}
	kept := ""
	if !s.readOnly {
		var err error
		if kept, err = keepCopy(s.path, data); err != nil {
			s.log.Error("objrmi registry: file store: could not keep a copy of the file with the skipped bindings", "err", err)
		}
	}
	for _, sk := range skipped {
		s.log.Warn("objrmi registry: file store: skipped a binding it cannot use; the others are served. Bind it again (under a valid name) to restore it",
			"path", s.path, "entry", sk.index, "name", sk.name, "why", sk.why.Error(), "original", kept)
	}
}

// ReadOnly says whether the store opened read-only, its directory not
// writable: then every change fails with ErrReadOnly.
func (s *FileStore) ReadOnly() bool { return s.readOnly }

// Create implements Store.
func (s *FileStore) Create(ctx context.Context, b Binding) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.Create(ctx, b); err != nil {
		return err
	}
	return s.saveOr(func() { s.mem.Delete(ctx, b.Name) })
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, b Binding) (Binding, bool, error) {
	if err := s.writable(); err != nil {
		return Binding{}, false, err
	}
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
	if err := s.writable(); err != nil {
		return Binding{}, err
	}
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
	if err := s.writable(); err != nil {
		return false, err
	}
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

func (s *FileStore) writable() error {
	if s.readOnly {
		return fmt.Errorf("%w: file store %s: its directory cannot be written", ErrReadOnly, s.path)
	}
	return nil
}

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
	data, err := formatFile(all)
	if err != nil {
		return fmt.Errorf("objrmi registry: file store: %w", err)
	}
	if err := writeAtomic(s.path, data); err != nil {
		if cannotWrite(err) {
			// The directory became read-only after open.
			return fmt.Errorf("%w: file store: %w", ErrReadOnly, err)
		}
		return fmt.Errorf("objrmi registry: file store: %w", err)
	}
	return nil
}

// readOnlyDir says whether the directory of path refuses new files, by
// making one (a temporary file of this store's, removed at once):
// permissions alone do not tell, for root, an immutable directory or a
// read-only mount.
func readOnlyDir(path string) (bool, error) {
	f, err := createTemp(path)
	if cannotWrite(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	f.Close()
	// Another store of path, opening for writing, may have removed it
	// already as a stale temporary file.
	if err := os.Remove(f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return false, nil
}

// cannotWrite says whether err is a refusal to write: permission, or a
// read-only file system.
func cannotWrite(err error) bool {
	return errors.Is(err, fs.ErrPermission) || isReadOnlyFS(err)
}
