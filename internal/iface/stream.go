package iface

import (
	"errors"
	"reflect"
	"strings"
)

// A method streams its results when its one result besides error is an
// iter.Seq2[T, error]:
//
//	Events(ctx context.Context, since int64) (iter.Seq2[Event, error], error)
//
// The error result says the call failed before any item was sent; the
// iterator's error pairs report a failure during the stream. T follows
// the rules of any result: values by copy, remote interfaces by
// reference. A stream cannot be a parameter, nor sit inside a value: it
// is a sequence of frames on one call, not a value that can be copied.
//
// Both sources of types recognise the iterator the same way, by package
// path and name (reflect and objstub's go/types write the name of an
// instance as "Seq2[T,error]"), so no new question is asked of Type.

// iterPkg is where iter.Seq and iter.Seq2 are declared.
const iterPkg = "iter"

// iterOf reports which of package iter's sequences t is an instance of:
// "Seq2", "Seq", or "" for any other type.
func iterOf(t Type) string {
	if t.Kind() != reflect.Func || t.PkgPath() != iterPkg {
		return ""
	}
	name := t.Name()
	switch {
	case strings.HasPrefix(name, "Seq2["):
		return "Seq2"
	case strings.HasPrefix(name, "Seq["):
		return "Seq"
	}
	return ""
}

const streamHint = "declare a stream as the one result besides error: Events(ctx context.Context, ...) (iter.Seq2[Event, error], error)"

// errStreamValue refuses an iterator where a value must go: a parameter,
// a field, an element.
var errStreamValue = errors.New("a stream (iter.Seq2) can only be a method's one result besides error, never a parameter or part of a value")

// stream returns the shape of the items of t, the stream result of a
// method with n results besides error, or the rule it breaks and how to
// fix it.
func (b *builder) stream(t Type, n int) (item *Shape, rule, hint string) {
	if n != 1 {
		return nil, "a stream (" + t.String() + ") must be the method's only result besides error", streamHint
	}
	if iterOf(t) != "Seq2" {
		return nil, "result " + t.String() + " cannot stream: each item may fail, so a stream is an iter.Seq2[T, error]", streamHint
	}
	// iter.Seq2[K, V] is func(yield func(K, V) bool).
	yield := t.In(0)
	if yield.In(1).Special() != Error {
		return nil, "a stream (" + t.String() + ") must pair each item with an error: iter.Seq2[T, error]", streamHint
	}
	item, err := b.shape(yield.In(0))
	if err != nil {
		return nil, "the items of the stream (" + t.String() + ") cannot cross the wire: " + err.Error(), hintFor(err)
	}
	return item, "", ""
}

// hintFor is the hint for a type that cannot cross the wire: how to
// declare a stream, if a stream is why.
func hintFor(err error) string {
	if errors.Is(err, errStreamValue) {
		return streamHint
	}
	return shapeHint
}
