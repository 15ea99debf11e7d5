package stub

import (
	"context"
	"reflect"
	"unsafe"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/dispatch"
	"github.com/objrmi/objrmi/internal/iface"
)

// ServerCall is one call that the server code objstub generates is
// serving: the code decodes the arguments with Arg, runs the method once
// Run allows it, hands its error to Return, and encodes the results with
// Result. The runtime makes it; programs never do, and never keep it.
//
// Generated server code calls the method directly, without reflection.
// The runtime still turns a panic into the caller's error, checks the
// arguments against the interface and refuses what exceeds its limits,
// as it does for an interface without generated server code.
type ServerCall struct{ c dispatch.Call }

// Method is the index of the method called, in the interface's sorted
// method order (the index a shell passes to Stub.Invoke).
func (c *ServerCall) Method() int { return c.c.M.Index }

// Run reports whether every argument decoded, so that the method may run.
func (c *ServerCall) Run() bool { return c.c.Run() }

// Return takes the method's error and reports whether the results are to
// be encoded: when err is nil.
func (c *ServerCall) Return(err error) bool { return c.c.Return(err) }

// Arg decodes the call's next argument as a T. Once an argument has
// failed, Arg returns zero values and Run reports false.
func Arg[T any](c *ServerCall) T {
	var v T
	sh, ok := c.c.NextIn()
	if !ok {
		return v
	}
	var err error
	if sh.Walk {
		p := new(T) // not &v: that would move v to the heap on every call
		err = decodeInto(c, sh, p)
		v = *p
	} else {
		v, err = decodePlain[T](c, sh)
	}
	if err != nil {
		c.c.Failed(err)
	}
	return v
}

// decodePlain decodes the plain value of the types msgpack itself
// decodes without reflection, and the others through codec. Only the
// default case allocates: v never has its address taken.
func decodePlain[T any](c *ServerCall, sh *iface.Shape) (v T, err error) {
	d := c.c.D
	switch any(v).(type) {
	case int64, int, uint64, int32, uint32, bool, float64, string:
		if codec.IsNil(d) {
			return v, d.DecodeNil()
		}
	}
	switch any(v).(type) {
	case int64:
		x, err := d.DecodeInt64()
		return any(x).(T), err
	case int:
		x, err := d.DecodeInt()
		return any(x).(T), err
	case uint64:
		x, err := d.DecodeUint64()
		return any(x).(T), err
	case int32:
		x, err := d.DecodeInt32()
		return any(x).(T), err
	case uint32:
		x, err := d.DecodeUint32()
		return any(x).(T), err
	case bool:
		x, err := d.DecodeBool()
		return any(x).(T), err
	case float64:
		x, err := d.DecodeFloat64()
		return any(x).(T), err
	case string:
		x, err := d.DecodeString()
		return any(x).(T), err
	case []byte:
		x, err := d.CopyBytes()
		return any(x).(T), err
	}
	p := new(T)
	err = decodeInto(c, sh, p)
	return *p, err
}

func decodeInto[T any](c *ServerCall, sh *iface.Shape, p *T) error {
	return codec.Decode(c.c.D, sh, reflect.ValueOf(p).Elem(), c.c.Refs)
}

// Result encodes the method's next result, v. Generated code calls it
// for each result, in order, once Return has reported true.
func Result[T any](c *ServerCall, v T) {
	sh, e, ok := c.c.NextOut()
	if !ok {
		return
	}
	var err error
	if sh.Walk { // a remote reference, or any, may hide inside
		err = codec.EncodeOne(e, sh, any(v), c.c.Refs)
		if err != nil {
			c.c.EncodeFailed(err)
		}
		return
	}
	switch x := any(v).(type) {
	case int64:
		err = e.EncodeInt(x) // the wire's encoders use compact integers
	case int:
		err = e.EncodeInt(int64(x))
	case uint64:
		err = e.EncodeUint(x)
	case bool:
		err = e.EncodeBool(x)
	case float64:
		err = e.EncodeFloat64(x)
	case string:
		err = e.EncodeString(x)
	case []byte:
		err = e.EncodeBytes(x)
	default:
		err = codec.EncodeOne(e, sh, any(v), c.c.Refs)
	}
	if err != nil {
		c.c.EncodeFailed(err)
	}
}

// RegisterServer records the server code objstub generates for the
// remote interface T: serve decodes a call's arguments, calls the method
// of obj that it names and encodes its results, without reflection. It
// returns false, before decoding anything, for a method it does not
// serve, which the runtime then serves by reflection. methods are T's
// method names in sorted order, as serve numbers them: if T's methods
// differ (generated code older than the interface), nothing is recorded
// and T is served by reflection. Generated code calls it from init.
func RegisterServer[T any](serve func(ctx context.Context, obj T, c *ServerCall) bool, methods ...string) {
	t := reflect.TypeFor[T]()
	it, err := iface.Of(t)
	if err != nil || len(it.Methods) != len(methods) {
		return
	}
	for i, m := range it.Methods {
		if m.Name != methods[i] {
			return
		}
	}
	dispatch.Register(t, func(obj any) dispatch.Serve {
		o, ok := obj.(T)
		if !ok {
			return nil
		}
		return func(ctx context.Context, dc *dispatch.Call) bool {
			// A ServerCall is its one dispatch.Call field.
			return serve(ctx, o, (*ServerCall)(unsafe.Pointer(dc)))
		}
	})
}
