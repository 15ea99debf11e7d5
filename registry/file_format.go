package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/remote"
)

// The file's format.
//
// Version 2 keeps each binding's remote.Ref whole, as JSON of the struct
// (every exported field, under its Go name), so that a field added to
// Ref later is saved without a new version. A field this binary does not
// know (a file written by a newer one) makes that binding skipped rather
// than silently cut short.
//
// Version 1 saved four fields of the reference (runtime, endpoint,
// object, interface) and lost the others, the TLS flag among them. It is
// still read; the next change writes version 2.
const fileVersion = 2

// fileHeader is the part of the file read before its bindings, whose
// form depends on the version.
type fileHeader struct {
	Version  int               `json:"version"`
	Bindings []json.RawMessage `json:"bindings"`
}

// fileOut is the file as this version writes it.
type fileOut struct {
	Version  int           `json:"version"`
	Bindings []fileBinding `json:"bindings"`
}

// fileBinding is one binding, version 2.
type fileBinding struct {
	Name  string     `json:"name"`
	Ref   remote.Ref `json:"ref"`
	Bound time.Time  `json:"bound"`
}

// fileBindingV1 is one binding, version 1.
type fileBindingV1 struct {
	Name     string    `json:"name"`
	Runtime  uuid.UUID `json:"runtime"`
	Endpoint string    `json:"endpoint"`
	Object   uint64    `json:"object"`
	Iface    string    `json:"interface"`
	Bound    time.Time `json:"bound"`
}

// skippedBinding is a binding of the file that cannot be used, and why.
type skippedBinding struct {
	index int    // its place in the file, from 0
	name  string // as the file has it, if it could be read
	why   error
}

// formatFile is the file's content for bindings.
func formatFile(bindings []Binding) ([]byte, error) {
	f := fileOut{Version: fileVersion, Bindings: make([]fileBinding, 0, len(bindings))}
	for _, b := range bindings {
		f.Bindings = append(f.Bindings, fileBinding{Name: b.Name, Ref: b.Ref, Bound: b.Bound})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	return append(data, '\n'), err
}

// parseFile reads a file of version 1 or 2. A file that is not JSON, or
// of another version, is an error; a binding that cannot be used is
// skipped, and said why.
func parseFile(data []byte) ([]Binding, []skippedBinding, error) {
	var h fileHeader
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, nil, fmt.Errorf("%w: not a bindings file; fix it, or move it away to start empty", err)
	}
	if h.Version != 1 && h.Version != 2 {
		return nil, nil, fmt.Errorf("version %d, want 1 or 2: written by another objrmi release; use that release, or move the file away to start empty", h.Version)
	}
	var (
		out     []Binding
		skipped []skippedBinding
		seen    = make(map[string]bool, len(h.Bindings))
	)
	for i, raw := range h.Bindings {
		b, err := parseBinding(h.Version, raw)
		if err == nil && seen[b.Name] {
			err = fmt.Errorf("the name is bound again earlier in the file; the first is kept")
		}
		if err != nil {
			skipped = append(skipped, skippedBinding{index: i, name: b.Name, why: err})
			continue
		}
		seen[b.Name] = true
		out = append(out, b)
	}
	return out, skipped, nil
}

// parseBinding reads one binding, and checks that it can be served.
func parseBinding(version int, raw json.RawMessage) (Binding, error) {
	var b Binding
	if version == 1 {
		var v1 fileBindingV1
		if err := json.Unmarshal(raw, &v1); err != nil {
			b.Name = nameOf(raw)
			return b, err
		}
		b = Binding{Name: v1.Name, Bound: v1.Bound,
			Ref: remote.Ref{Runtime: v1.Runtime, Endpoint: v1.Endpoint, Object: v1.Object, Iface: v1.Iface}}
	} else {
		var v2 fileBinding
		if err := json.Unmarshal(raw, &v2); err != nil {
			b.Name = nameOf(raw)
			return b, err
		}
		b = Binding{Name: v2.Name, Ref: v2.Ref, Bound: v2.Bound}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&fileBinding{}); err != nil {
			return b, fmt.Errorf("a field this objrmi does not know, written by a newer release; serve this file with that release: %w", err)
		}
	}
	if err := CheckName(b.Name); err != nil {
		return b, err
	}
	if b.Ref.Runtime == uuid.Nil || b.Ref.Endpoint == "" {
		return b, fmt.Errorf("%w: %s: no runtime or no endpoint, so no one could call it", ErrBadReference, b.Ref)
	}
	return b, nil
}

// nameOf is the name of a binding that did not decode, if it has one.
func nameOf(raw json.RawMessage) string {
	var n struct {
		Name string `json:"name"`
	}
	json.Unmarshal(raw, &n)
	return n.Name
}
