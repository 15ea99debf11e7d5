// Package dispatch is the bridge between the server code objstub
// generates (through stub.RegisterServer, stub.Arg and stub.Result) and
// the skeleton that runs it: a call served by generated code decodes its
// arguments into typed variables and calls the method directly, with no
// reflect.Value.Call and no []reflect.Value on the hot path.
//
// Call keeps the state the skeleton needs to answer exactly as its
// reflection path does: which argument failed to decode, the method's
// error, where a panic happened, and the reply being encoded.
package dispatch

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
)

// Step is where a call is, for reporting a panic truthfully.
type Step uint8

const (
	StepDecode  Step = iota // before the method: it did not run
	StepMethod              // inside the method
	StepResults             // after it: its error or results were being sent
)

// Call is one call being served by generated code.
type Call struct {
	M    *iface.Method
	D    *wire.Decoder
	Refs codec.Refs
	ID   uint64
	Step Step
	// Err is the first argument that did not decode, or a wrong count.
	Err error
	// Ret is the error the method returned.
	Ret error
	// EncErr is the first result that did not encode.
	EncErr error

	b       *wire.Buffer
	e       *wire.Encoder
	next    int  // the argument decoded next
	started bool // the argument list's length has been read
	out     int  // the result encoded next
}

// Serve serves one call to the object it was made for; it returns false,
// touching nothing, for a method it does not serve (the skeleton then
// uses reflection).
type Serve func(ctx context.Context, c *Call) bool

// Maker binds generated server code to one object; it returns nil if obj
// is not of the interface the code serves.
type Maker func(obj any) Serve

// servers maps a remote interface type to its generated server code.
// Like stub's shells, it is derived from the program's types and filled
// at init, so it is process-wide.
var servers sync.Map // reflect.Type -> Maker

// Register records the generated server code of the interface t.
func Register(t reflect.Type, mk Maker) { servers.Store(t, mk) }

// Lookup returns the generated server code of t, or nil.
func Lookup(t reflect.Type) Maker {
	mk, _ := servers.Load(t)
	m, _ := mk.(Maker)
	return m
}

// Touched reports whether generated code began serving c.
func (c *Call) Touched() bool { return c.started || c.Step != StepDecode }

// NextIn returns the shape of the argument to decode next, or false if
// the arguments have failed already (later ones are then not decoded).
func (c *Call) NextIn() (*iface.Shape, bool) {
	if c.Err != nil || c.Step != StepDecode {
		return nil, false
	}
	if !c.begin() {
		return nil, false
	}
	if c.next >= len(c.M.In) {
		c.Err = fmt.Errorf("%w: the generated server decodes more than %d (regenerate it with objstub)", codec.ErrCount, len(c.M.In))
		return nil, false
	}
	c.next++
	return c.M.In[c.next-1], true
}

// Failed records err as the decoding error of the argument NextIn gave.
func (c *Call) Failed(err error) {
	i := c.next - 1
	c.Err = fmt.Errorf("value %d (%s): %w", i, c.M.In[i].Type, err)
}

func (c *Call) begin() bool {
	if !c.started {
		c.started = true
		if err := codec.ListLen(c.D, len(c.M.In)); err != nil {
			c.Err = err
			return false
		}
	}
	return true
}

// Run reports whether the method may run: every argument decoded.
func (c *Call) Run() bool {
	if c.Err == nil && c.begin() && c.next != len(c.M.In) {
		c.Err = fmt.Errorf("%w: the generated server decoded %d, want %d (regenerate it with objstub)", codec.ErrCount, c.next, len(c.M.In))
	}
	c.Step = StepMethod
	return c.Err == nil
}

// Return records the method's error and, if it is nil, starts the reply.
// It reports whether the results are to be encoded.
func (c *Call) Return(err error) bool {
	c.Step = StepResults
	if err != nil {
		c.Ret = err
		return false
	}
	c.b = wire.GetBuffer(wire.KindReturn)
	c.e = wire.NewEncoder(c.b)
	wire.PutReturn(c.b, c.e, wire.ReturnHeader{ID: c.ID})
	if err := c.e.EncodeArrayLen(len(c.M.Out)); err != nil {
		c.EncErr = err
	}
	return true
}

// NextOut returns the shape of the result to encode next, and the
// encoder, or false if there is nothing to encode into.
func (c *Call) NextOut() (*iface.Shape, *wire.Encoder, bool) {
	if c.e == nil || c.EncErr != nil {
		return nil, nil, false
	}
	if c.out >= len(c.M.Out) {
		c.EncErr = fmt.Errorf("%w: the generated server encodes more than %d (regenerate it with objstub)", codec.ErrCount, len(c.M.Out))
		return nil, nil, false
	}
	c.out++
	return c.M.Out[c.out-1], c.e, true
}

// EncodeFailed records err as the encoding error of the result NextOut gave.
func (c *Call) EncodeFailed(err error) {
	i := c.out - 1
	c.EncErr = fmt.Errorf("value %d (%s): %w", i, c.M.Out[i].Type, err)
}

// Reply returns the encoded reply, or nil with EncErr set if the results
// did not all encode. It hands the buffer to the caller.
func (c *Call) Reply() *wire.Buffer {
	if c.e != nil && c.EncErr == nil && c.out != len(c.M.Out) {
		c.EncErr = fmt.Errorf("%w: the generated server encoded %d, want %d (regenerate it with objstub)", codec.ErrCount, c.out, len(c.M.Out))
	}
	b := c.b
	c.b = nil
	c.release()
	if c.EncErr != nil && b != nil {
		b.Release()
		return nil
	}
	return b
}

// release frees what c holds (after a panic too).
func (c *Call) release() {
	if c.e != nil {
		c.e.Release()
		c.e = nil
	}
	if c.b != nil {
		c.b.Release()
		c.b = nil
	}
}

var pool = sync.Pool{New: func() any { return new(Call) }}

// Get returns a pooled Call for method m of the call id, decoding from d.
func Get(m *iface.Method, id uint64, d *wire.Decoder, refs codec.Refs) *Call {
	c := pool.Get().(*Call)
	c.M, c.ID, c.D, c.Refs = m, id, d, refs
	return c
}

// Put releases c and returns it to the pool.
func Put(c *Call) {
	c.release()
	*c = Call{}
	pool.Put(c)
}
