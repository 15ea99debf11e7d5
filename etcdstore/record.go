package etcdstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// formatV1 is the version of the values below, written in each one.
const formatV1 = 1

// maxValue bounds a value the store decodes: a binding is ~200 bytes.
const maxValue = 64 << 10

// record is a binding as stored in etcd.
type record struct {
	V        int       `msgpack:"v"`
	Runtime  uuid.UUID `msgpack:"runtime"`
	Endpoint string    `msgpack:"endpoint"`
	Object   uint64    `msgpack:"object"`
	Iface    string    `msgpack:"iface"`
	TLS      bool      `msgpack:"tls,omitempty"`
	Key      uint64    `msgpack:"key"`
	Bound    int64     `msgpack:"bound"` // unix nanoseconds
}

// ownerRecord is an owner's entry: its lease is the key's lease.
type ownerRecord struct {
	V        int    `msgpack:"v"`
	Endpoint string `msgpack:"endpoint"`
}

func encodeBinding(b registry.Binding) ([]byte, error) {
	r := record{V: formatV1, Runtime: b.Ref.Runtime, Endpoint: b.Ref.Endpoint, Object: b.Ref.Object,
		Iface: b.Ref.Iface, TLS: b.Ref.TLS, Key: b.Ref.Key, Bound: b.Bound.UnixNano()}
	return msgpack.Marshal(&r)
}

var errBadValue = errors.New("etcdstore: a stored binding does not decode")

func decodeBinding(name string, v []byte) (registry.Binding, error) {
	if len(v) > maxValue {
		return registry.Binding{}, fmt.Errorf("%w: %q: %d bytes", errBadValue, name, len(v))
	}
	var r record
	if err := msgpack.Unmarshal(v, &r); err != nil {
		return registry.Binding{}, fmt.Errorf("%w: %q: %w", errBadValue, name, err)
	}
	if r.V != formatV1 {
		return registry.Binding{}, fmt.Errorf("%w: %q: format %d, this registry reads %d", errBadValue, name, r.V, formatV1)
	}
	ref := remote.Ref{Runtime: r.Runtime, Endpoint: r.Endpoint, Object: r.Object, Iface: r.Iface, TLS: r.TLS, Key: r.Key}
	return registry.Binding{Name: name, Ref: ref, Bound: time.Unix(0, r.Bound)}, nil
}
