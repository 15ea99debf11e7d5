package iface

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/objrmi/objrmi/objerr"
)

// Marks say what a method may be used for, as the interface declares it
// with //objrmi: directives. They are not part of the method's hash:
// changing a mark keeps the method callable by older peers.
type Marks uint8

const (
	// OneWay: the caller sends the call and does not wait; the callee
	// sends no reply. Only a method whose one result is error can be.
	OneWay Marks = 1 << iota
	// ReadOnly: the method changes nothing, so running it again is
	// harmless (it is idempotent too).
	ReadOnly
	// Idempotent: running the method twice has the effect of running it
	// once, so a call whose outcome is unknown may be sent again.
	Idempotent
)

// markWords are the words that may follow //objrmi:, and nothing else.
var markWords = map[string]Marks{"oneway": OneWay, "readonly": ReadOnly, "idempotent": Idempotent}

// MarkDirective opens a mark in a method's comment.
const MarkDirective = "//objrmi:"

// ParseMark reads one word after //objrmi:.
func ParseMark(word string) (Marks, error) {
	if m, ok := markWords[word]; ok {
		return m, nil
	}
	return 0, fmt.Errorf("unknown mark %q: the marks are oneway, readonly and idempotent", word)
}

// Has reports whether all of x are set.
func (m Marks) Has(x Marks) bool { return m&x == x }

// Retryable says a call whose outcome is unknown may be sent again.
func (m Marks) Retryable() bool { return m&(ReadOnly|Idempotent) != 0 }

func (m Marks) String() string {
	var words []string
	for _, w := range []string{"oneway", "readonly", "idempotent"} {
		if m.Has(markWords[w]) {
			words = append(words, w)
		}
	}
	return strings.Join(words, ",")
}

// ParseMarks reads mark specs of the form "Method:word[,word...]", as
// stub.Register and remote.SetMarks take them.
func ParseMarks(specs []string) (map[string]Marks, error) {
	out := map[string]Marks{}
	for _, s := range specs {
		name, words, ok := strings.Cut(s, ":")
		if !ok || name == "" || words == "" {
			return nil, fmt.Errorf("mark %q: want Method:word, such as \"Post:oneway\"", s)
		}
		for w := range strings.SplitSeq(words, ",") {
			m, err := ParseMark(strings.TrimSpace(w))
			if err != nil {
				return nil, fmt.Errorf("method %s: %w", name, err)
			}
			out[name] |= m
		}
	}
	return out, nil
}

// checkMarks applies the rules that tie a method's marks to its
// signature; it returns the broken rule and its fix, or "".
func checkMarks(name string, marks Marks, ft Type) (rule, hint string) {
	if marks.Has(OneWay) && ft.NumOut() != 1 {
		return "a oneway method has no results but its error",
			"the caller does not wait for results: drop them, or drop //objrmi:oneway from " + name
	}
	return "", ""
}

// declared holds the marks given for each interface type, before its
// table is built; a table reads them once.
var declared sync.Map // reflect.Type -> declaredMarks

type declaredMarks struct {
	marks map[string]Marks
	err   error // a spec that did not parse: every use of the type fails with it
}

// SetMarks declares the marks of t's methods from specs (see ParseMarks).
// It must come before t's table is first built (by Export, Dial, StubOf
// or a lookup), as generated code does from init; later, it fails unless
// it declares what the table already has. A spec that does not parse, or
// a mark that does not fit its method, makes every use of t fail with
// an *objerr.InterfaceError that says why, as well as SetMarks.
func SetMarks(t reflect.Type, specs []string) error {
	marks, err := ParseMarks(specs)
	if err != nil {
		err = &objerr.InterfaceError{Interface: t.String(), Rule: err.Error(),
			Hint: "write //objrmi:oneway, //objrmi:readonly or //objrmi:idempotent above the method"}
	}
	if v, ok := tables.Load(t); ok {
		if err != nil {
			return err
		}
		it := v.(*Interface)
		for _, m := range it.Methods {
			if m.Marks != marks[m.Name] {
				return &objerr.InterfaceError{Interface: t.String(), Method: m.Name,
					Rule: "marks changed after the interface was first used",
					Hint: "declare marks from init, before any Export, Dial or StubOf of it"}
			}
		}
		return nil
	}
	declared.Store(t, declaredMarks{marks: marks, err: err})
	if err != nil {
		return err
	}
	_, err = Of(t) // checks each mark against its method now
	return err
}

// marksOf returns the marks declared for t (a reflect type), or the
// error that declaring them gave.
func marksOf(t Type) (map[string]Marks, error) {
	rt := reflectType(t)
	if rt == nil {
		return nil, nil
	}
	v, ok := declared.Load(rt)
	if !ok {
		return nil, nil
	}
	d := v.(declaredMarks)
	return d.marks, d.err
}
