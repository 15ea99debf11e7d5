package remote

import (
	"fmt"
	"reflect"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/stub"
)

// EncodeRef turns a remote-interface value into a reference: a stub gives
// its own reference (so a third runtime can call the owner directly), and
// a local object is exported implicitly. It implements codec.Refs.
func (rt *Runtime) EncodeRef(v reflect.Value, it *iface.Interface) (wire.Ref, error) {
	obj := v.Interface()
	if s, ok := stub.From(obj); ok {
		return s.Ref(), nil
	}
	num, err := rt.exports.add(it, obj, 0, true)
	if err != nil {
		return wire.Ref{}, err
	}
	return rt.ref(num, it), nil
}

// DecodeRef turns a reference into a value of the interface: the object
// itself if it lives here, a stub otherwise. It implements codec.Refs.
func (rt *Runtime) DecodeRef(r *wire.Ref, it *iface.Interface) (reflect.Value, error) {
	if r.Runtime != rt.id {
		return stub.New(it, *r, rt)
	}
	skel, why := rt.exports.lookup(r.Object)
	if skel == nil {
		return reflect.Value{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: why}
	}
	obj := reflect.ValueOf(skel.Object())
	if !obj.Type().Implements(it.Type) {
		return reflect.Value{}, fmt.Errorf("object %d (%s) does not implement %s", r.Object, obj.Type(), it.Type)
	}
	return obj, nil
}

func (rt *Runtime) ref(num uint64, it *iface.Interface) wire.Ref {
	return wire.Ref{Runtime: rt.id, Endpoint: rt.endpoint, Object: num, Iface: it.Name}
}
