package remote

import (
	"context"
	"errors"
	"iter"
	"sync"

	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
)

// Metadata is the key, value pairs a call or its reply carries beside
// its arguments and results: trace context, a request id, a tenant.
// Keys are non-empty strings, and a key may repeat. A call, and a reply,
// carries at most MaxMetadataPairs pairs of at most MaxMetadataBytes in
// all: a call over the limits fails "not sent" with objerr.ErrLimit.
// The zero Metadata is empty and ready to use.
type Metadata struct {
	kv []string // pairs; shared, so never changed in place
}

// Limits of one call's or one reply's metadata.
const (
	MaxMetadataPairs = 64      // pairs
	MaxMetadataBytes = 8 << 10 // keys and values together
)

// The wire enforces the same limits: this stops compiling (a duplicate
// map key) if they ever differ.
var _ = map[bool]struct{}{false: {}, MaxMetadataPairs == wire.MaxMeta && MaxMetadataBytes == wire.MaxMetaBytes: {}}

// Get returns the first value of key, or "".
func (m Metadata) Get(key string) string {
	for i := 0; i+1 < len(m.kv); i += 2 {
		if m.kv[i] == key {
			return m.kv[i+1]
		}
	}
	return ""
}

// Values returns every value of key, in order.
func (m Metadata) Values(key string) []string {
	var vs []string
	for i := 0; i+1 < len(m.kv); i += 2 {
		if m.kv[i] == key {
			vs = append(vs, m.kv[i+1])
		}
	}
	return vs
}

// All yields the pairs in order.
func (m Metadata) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := 0; i+1 < len(m.kv); i += 2 {
			if !yield(m.kv[i], m.kv[i+1]) {
				return
			}
		}
	}
}

// Len is the number of pairs.
func (m Metadata) Len() int { return len(m.kv) / 2 }

// Append adds pairs (key, value, key, value...); a trailing key without
// a value gets "".
func (m *Metadata) Append(kv ...string) {
	if len(kv)%2 != 0 {
		kv = append(kv[:len(kv):len(kv)], "")
	}
	// A full slice expression: the pairs may be shared with a context
	// or another Metadata, so appending always copies.
	m.kv = append(m.kv[:len(m.kv):len(m.kv)], kv...)
}

// Set replaces every value of key with value.
func (m *Metadata) Set(key, value string) {
	kv := make([]string, 0, len(m.kv)+2)
	for i := 0; i+1 < len(m.kv); i += 2 {
		if m.kv[i] != key {
			kv = append(kv, m.kv[i], m.kv[i+1])
		}
	}
	m.kv = append(kv, key, value)
}

// WithMetadata returns a context whose remote calls carry the pairs kv
// (key, value, key, value...), after any that ctx carries already.
func WithMetadata(ctx context.Context, kv ...string) context.Context {
	cm := &link.CallMeta{}
	if prev := link.CallMetaOf(ctx); prev != nil {
		*cm = *prev
	}
	md := Metadata{kv: cm.Out}
	md.Append(kv...)
	cm.Out = md.kv
	return link.WithCallMeta(ctx, cm)
}

// WithReplyMetadata returns a context whose remote calls store their
// reply's metadata in dst when the reply arrives (an error reply
// included). Each call overwrites dst: give each its own context, or
// read dst before the next call. Reply metadata past the limits
// (MaxMetadataPairs, MaxMetadataBytes) is left out, and the call's
// results still come back.
func WithReplyMetadata(ctx context.Context, dst *Metadata) context.Context {
	cm := &link.CallMeta{}
	if prev := link.CallMetaOf(ctx); prev != nil {
		*cm = *prev
	}
	cm.Reply = &dst.kv
	return link.WithCallMeta(ctx, cm)
}

// IncomingMetadata returns the metadata of the call that ctx, a method's
// context on the server, belongs to: empty outside a remote call.
func IncomingMetadata(ctx context.Context) Metadata {
	if sc := serverCallOf(ctx); sc != nil {
		return Metadata{kv: sc.h.Meta}
	}
	return Metadata{}
}

// ErrNotInCall is returned by SetReplyMetadata given a context that is
// not a remote call's.
var ErrNotInCall = errors.New("objrmi: not a remote call's context: reply metadata can only be set while serving a call")

// SetReplyMetadata adds pairs (key, value...) to the reply of the call
// that ctx, a method's context on the server, belongs to. A method and
// the server's interceptors may call it until the call returns; pairs
// that would pass the limits are refused with an error, and the reply
// goes without them. A one-way call has no reply: its pairs are dropped.
func SetReplyMetadata(ctx context.Context, kv ...string) error {
	sc := serverCallOf(ctx)
	if sc == nil {
		return ErrNotInCall
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.frozen {
		return errors.New("objrmi: reply metadata refused: the call has returned")
	}
	md := Metadata{kv: sc.reply}
	md.Append(kv...)
	if err := wire.CheckMeta(md.kv); err != nil {
		return errors.New("objrmi: reply metadata refused: " + err.Error())
	}
	sc.reply = md.kv
	return nil
}

// serverCall is the context of a call this runtime serves: the method's
// context (or an observer's, derived from it) finds it by Value. It is
// the call's context itself, to cost one allocation for both.
type serverCall struct {
	context.Context
	s *session
	h *wire.CallHeader
	// conn is the connection the call came on, which Value gives for
	// callerKey: serve then needs no context.WithValue of its own.
	conn *transport.Conn
	// info describes the call to observers and interceptors, filled once
	// the first of them needs it.
	info   *CallInfo
	mu     sync.Mutex
	reply  []string // reply metadata, set by SetReplyMetadata
	frozen bool     // the reply is built: later pairs are dropped
}

type serverCallKey struct{}

func (sc *serverCall) Value(key any) any {
	switch key {
	case serverCallKey{}:
		return sc
	case callerKey{}:
		if sc.conn != nil {
			return sc.conn
		}
	}
	return sc.Context.Value(key)
}

func serverCallOf(ctx context.Context) *serverCall {
	if ctx == nil {
		return nil
	}
	sc, _ := ctx.Value(serverCallKey{}).(*serverCall)
	return sc
}
