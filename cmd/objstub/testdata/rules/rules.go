// Package rules is a table of remote interfaces, valid and not, that
// objstub's TestRulesMatchExport runs through objstub (go/types) and
// through iface.Of (reflect, what Export runs): both must accept the
// same ones and refuse the others with the same message.
package rules

import (
	"context"
	"io"
	"iter"
	"math/big"
	"time"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/objrmi/objrmi/remote"
)

type Box[T any] struct{ V T }

type Pair[K comparable, V any] struct {
	K K
	V V
}

type Point struct {
	X, Y int64 `msgpack:"x"`
	note string
}

type inner struct{ V any }

type HidesInEmbed struct {
	inner
	N int
}

type concrete struct{ N int }

type ConcreteEmbed struct {
	concrete
	N2 int
}

// TextOnly encodes itself but has no decoder: msgpack would decode V.
type TextOnly struct{ V any }

func (TextOnly) MarshalText() ([]byte, error) { return nil, nil }

// PtrText encodes itself by a pointer method, and decodes itself too.
type PtrText struct{ V any }

func (*PtrText) MarshalText() ([]byte, error) { return nil, nil }
func (*PtrText) UnmarshalText([]byte) error   { return nil }

// MsgOnly brings a msgpack encoder and no decoder.
type MsgOnly struct{ V []any }

func (MsgOnly) EncodeMsgpack(*msgpack.Encoder) error { return nil }

// MsgBoth brings both, so nothing inside it is msgpack's to decode.
type MsgBoth struct{ V []any }

func (MsgBoth) EncodeMsgpack(*msgpack.Encoder) error  { return nil }
func (*MsgBoth) DecodeMsgpack(*msgpack.Decoder) error { return nil }

// WrongSig has a MarshalText that msgpack would not call.
type WrongSig struct{ V any }

func (WrongSig) MarshalText() (string, error) { return "", nil }

type WithFunc struct {
	Name string
	F    func(int) error
}

type WithErr struct{ E error }

type Callback func()

type MyCtx context.Context

type AliasCtx = context.Context

type Valid interface {
	Add(ctx context.Context, a, b int64) (sum int64, err error)
	Again(ctx AliasCtx) (Valid, error)
	All(ctx context.Context, p Point, at time.Time, n *big.Int, raw msgpack.RawMessage, v any) error
	Boxes(ctx context.Context, b Box[int], p Pair[string, []Box[time.Time]]) ([3]uint8, map[string][]int, error)
	Embeds(ctx context.Context, c ConcreteEmbed, pt []PtrText, m MsgBoth, w map[string]WrongSig) error
	Ref(ctx context.Context, r remote.Ref, rs ...*remote.Ref) error
	// Streams: items by value, by reference, and through an alias.
	Stream(ctx context.Context, since int64) (iter.Seq2[Box[Point], error], error)
	StreamRefs(ctx context.Context) (iter.Seq2[Valid, error], error)
	StreamAlias(ctx context.Context) (Points, error)
	Tagged(ctx context.Context, v struct {
		A int `msgpack:"a"`
		B string
		c chan int
	}) error
}

type ChanParam interface {
	Do(ctx context.Context, c chan int) error
}

type ChanDirs interface {
	Do(ctx context.Context, c chan (<-chan int)) error
}

type FuncParam interface {
	Do(ctx context.Context, f func(int, ...string) (int, error)) error
}

type NamedFunc interface {
	Do(ctx context.Context, cb Callback) error
}

type ReaderResult interface {
	Open(ctx context.Context, name string) (io.Reader, error)
}

type FuncInStruct interface {
	Do(ctx context.Context, s WithFunc) error
}

type ErrParam interface {
	Do(ctx context.Context, e error) error
}

type ErrInStruct interface {
	Do(ctx context.Context, s []WithErr) error
}

type UnnamedIface interface {
	Do(ctx context.Context, s interface {
		String() string
		m()
	}) error
}

type Unexported interface {
	Ping(ctx context.Context) error
	do(ctx context.Context) error
}

// NonASCII breaks two rules; reflect lists exported methods first, so
// Ñame is the one reported.
type NonASCII interface {
	a(ctx context.Context) error
	Ñame(n int) error
}

type NoCtx interface {
	Do(n int) error
}

type DefinedCtx interface {
	Do(ctx MyCtx) error
}

type NoErr interface {
	Do(ctx context.Context) int
}

type ErrFirst interface {
	Do(ctx context.Context) (error, int)
}

type Complex interface {
	Do(ctx context.Context, c complex64) error
}

type Uintptr interface {
	Do(ctx context.Context) (uintptr, error)
}

type UnsafePtr interface {
	Do(ctx context.Context, p unsafe.Pointer) error
}

type RemoteMapKey interface {
	Do(ctx context.Context, m map[Valid]int) error
}

// Nested is refused, and so is every interface that passes it.
type Nested interface {
	Do(ctx context.Context, c chan int) error
}

type PassesNested interface {
	Get(ctx context.Context) ([]Nested, error)
}

type HiddenEmbed interface {
	Do(ctx context.Context, v HidesInEmbed) error
}

type SelfEncNoDec interface {
	Do(ctx context.Context, v []TextOnly) error
}

type MsgEncNoDec interface {
	Do(ctx context.Context, v map[string]MsgOnly) error
}

type GenericChan interface {
	Do(ctx context.Context, b Box[chan int]) error
}

type GenericArgs interface {
	Do(ctx context.Context, p Pair[*big.Int, Box[Point]], q Pair[int, func()]) error
}

type GenericStruct interface {
	Do(ctx context.Context, b Box[struct {
		x int
		inner
		*Point
		F func() `msgpack:"f"`
	}]) error
}

type AnonStruct interface {
	Do(ctx context.Context, v struct {
		A int `msgpack:"a"`
		B chan<- int
	}) error
}

type Variadic interface {
	Do(ctx context.Context, cs ...chan int) error
}

type ArrayOfFunc interface {
	Do(ctx context.Context) ([2]map[string]func() error, error)
}

// OneWayResult: a oneway method cannot have results (its caller does not
// wait for them).
type OneWayResult interface {
	//objrmi:oneway
	Get(ctx context.Context) (int, error)
}

type Points = iter.Seq2[Point, error]

// A stream is a result, never a value: not a parameter, not a field,
// not beside another result; and it is an iter.Seq2[T, error].
type StreamParam interface {
	Do(ctx context.Context, in iter.Seq2[int, error]) error
}

type StreamInStruct interface {
	Do(ctx context.Context) (Box[iter.Seq2[int, error]], error)
}

type StreamAndValue interface {
	Do(ctx context.Context) (iter.Seq2[int, error], int, error)
}

type SeqResult interface {
	Do(ctx context.Context) (iter.Seq[Point], error)
}

type Seq2NoError interface {
	Do(ctx context.Context) (iter.Seq2[Point, bool], error)
}

type StreamOfStreams interface {
	Do(ctx context.Context) (iter.Seq2[iter.Seq2[int, error], error], error)
}

type StreamOfFuncs interface {
	Do(ctx context.Context) (iter.Seq2[Callback, error], error)
}

type OneWayStream interface {
	//objrmi:oneway
	Do(ctx context.Context) (iter.Seq2[int, error], error)
}
