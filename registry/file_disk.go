package registry

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Temporary files. A change is written to PATH.objrmi-tmp-<16 hex
// digits> and renamed over PATH; a kill between the two leaves that file
// behind. The next store to open PATH for writing removes every file of
// exactly that form: it holds PATH's lock, so no other store of PATH is
// writing one, and the form is this store's own, with PATH's full base
// name in front, so it names no one else's file (unless someone names a
// file of theirs like that: don't).
const tempMark = ".objrmi-tmp-"

// createTemp creates a new temporary file for path, in its directory.
func createTemp(path string) (*os.File, error) {
	var r [8]byte
	rand.Read(r[:])
	return os.OpenFile(path+tempMark+hex.EncodeToString(r[:]), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// isTemp says whether name, a file in path's directory, is one of
// path's temporary files.
func isTemp(path, name string) bool {
	rest, ok := strings.CutPrefix(name, filepath.Base(path)+tempMark)
	if !ok || len(rest) != 16 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil && strings.ToLower(rest) == rest
}

// legacyTemp matches the temporary files of objrmi before issue 12
// (os.CreateTemp's PATH.<digits>.tmp). They are only reported: a user's
// file could have that form.
var legacyTemp = regexp.MustCompile(`^\.[0-9]+\.tmp$`)

// removeStaleTemps removes the temporary files a killed writer of path
// left behind. The caller holds path's lock for writing.
func removeStaleTemps(path string, log *slog.Logger) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("objrmi registry: file store: could not look for stale temporary files", "dir", dir, "err", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		if rest, ok := strings.CutPrefix(name, base); ok && legacyTemp.MatchString(rest) {
			log.Warn("objrmi registry: file store: this looks like a temporary file an older objrmi registry left behind when it was killed; remove it if nothing else uses it",
				"file", filepath.Join(dir, name))
			continue
		}
		// Only a regular file: a directory or a link of that name is not
		// one this store made.
		if !isTemp(path, name) || e.Type()&fs.ModeType != 0 {
			continue
		}
		file := filepath.Join(dir, name)
		if err := os.Remove(file); err != nil {
			log.Warn("objrmi registry: file store: could not remove a stale temporary file", "file", file, "err", err)
			continue
		}
		log.Info("objrmi registry: file store: removed a temporary file left by a registry killed while writing", "file", file)
	}
}

// writeAtomic replaces path with data: a crash at any point leaves
// either the old content or the new, and at worst a temporary file that
// the next open removes.
func writeAtomic(path string, data []byte) error {
	tmp, err := createTemp(path)
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
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// keepCopy writes data to a new file next to path, named for the time,
// and returns its name. It never replaces a file: an older copy may hold
// bindings that this one does not.
func keepCopy(path string, data []byte) (string, error) {
	name := path + ".skipped-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}
