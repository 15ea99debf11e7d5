package main

import (
	"go/types"
	"reflect"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/cmd/objstub/testdata/rules"
	objiface "github.com/objrmi/objrmi/internal/iface"
)

// ruleCases are the interfaces of testdata/rules, compiled in, so that
// iface.Of, which Export runs, can judge them.
var ruleCases = map[string]reflect.Type{
	"Valid":         reflect.TypeFor[rules.Valid](),
	"ChanParam":     reflect.TypeFor[rules.ChanParam](),
	"ChanDirs":      reflect.TypeFor[rules.ChanDirs](),
	"FuncParam":     reflect.TypeFor[rules.FuncParam](),
	"NamedFunc":     reflect.TypeFor[rules.NamedFunc](),
	"ReaderResult":  reflect.TypeFor[rules.ReaderResult](),
	"FuncInStruct":  reflect.TypeFor[rules.FuncInStruct](),
	"ErrParam":      reflect.TypeFor[rules.ErrParam](),
	"ErrInStruct":   reflect.TypeFor[rules.ErrInStruct](),
	"UnnamedIface":  reflect.TypeFor[rules.UnnamedIface](),
	"Unexported":    reflect.TypeFor[rules.Unexported](),
	"NonASCII":      reflect.TypeFor[rules.NonASCII](),
	"NoCtx":         reflect.TypeFor[rules.NoCtx](),
	"DefinedCtx":    reflect.TypeFor[rules.DefinedCtx](),
	"NoErr":         reflect.TypeFor[rules.NoErr](),
	"ErrFirst":      reflect.TypeFor[rules.ErrFirst](),
	"Complex":       reflect.TypeFor[rules.Complex](),
	"Uintptr":       reflect.TypeFor[rules.Uintptr](),
	"UnsafePtr":     reflect.TypeFor[rules.UnsafePtr](),
	"RemoteMapKey":  reflect.TypeFor[rules.RemoteMapKey](),
	"Nested":        reflect.TypeFor[rules.Nested](),
	"PassesNested":  reflect.TypeFor[rules.PassesNested](),
	"HiddenEmbed":   reflect.TypeFor[rules.HiddenEmbed](),
	"SelfEncNoDec":  reflect.TypeFor[rules.SelfEncNoDec](),
	"MsgEncNoDec":   reflect.TypeFor[rules.MsgEncNoDec](),
	"GenericChan":   reflect.TypeFor[rules.GenericChan](),
	"GenericArgs":   reflect.TypeFor[rules.GenericArgs](),
	"GenericStruct": reflect.TypeFor[rules.GenericStruct](),
	"AnonStruct":    reflect.TypeFor[rules.AnonStruct](),
	"Variadic":      reflect.TypeFor[rules.Variadic](),
	"ArrayOfFunc":   reflect.TypeFor[rules.ArrayOfFunc](),
	"OneWayResult":  reflect.TypeFor[rules.OneWayResult](),
	// Streams (iter.Seq2 results).
	"StreamParam":     reflect.TypeFor[rules.StreamParam](),
	"StreamInStruct":  reflect.TypeFor[rules.StreamInStruct](),
	"StreamAndValue":  reflect.TypeFor[rules.StreamAndValue](),
	"SeqResult":       reflect.TypeFor[rules.SeqResult](),
	"Seq2NoError":     reflect.TypeFor[rules.Seq2NoError](),
	"StreamOfStreams": reflect.TypeFor[rules.StreamOfStreams](),
	"StreamOfFuncs":   reflect.TypeFor[rules.StreamOfFuncs](),
	"OneWayStream":    reflect.TypeFor[rules.OneWayStream](),
}

// ruleMarks are the marks the //objrmi: directives of testdata/rules
// declare, as generated code declares them to Export.
var ruleMarks = map[string][]string{"OneWayResult": {"Get:oneway"}, "OneWayStream": {"Do:oneway"}}

var position = regexp.MustCompile(`^\S+\.go:\d+:\d+: `)

// TestRulesMatchExport runs every interface of testdata/rules through
// objstub and through objiface.Of (internal/iface), which Export and stub.Register run:
// objstub must generate a shell exactly for those Export accepts, and
// refuse the others with Export's message, at the method's position.
func TestRulesMatchExport(t *testing.T) {
	const dir = "testdata/rules"
	p, err := load(dir)
	require.NoError(t, err)
	tpkg, err := p.checked()
	require.NoError(t, err)
	// Every interface of the package is in the table, but MyCtx, which
	// objstub refuses from its declaration: it is not an interface type
	// literal ("defined from an interface" in TestRefusals).
	for _, name := range tpkg.Scope().Names() {
		tn, ok := tpkg.Scope().Lookup(name).(*types.TypeName)
		if ok && !tn.IsAlias() && types.IsInterface(tn.Type()) && name != "MyCtx" {
			require.Contains(t, ruleCases, name, "add %s to ruleCases", name)
		}
	}
	refused := 0
	for name, rt := range ruleCases {
		t.Run(name, func(t *testing.T) {
			if marks := ruleMarks[name]; marks != nil {
				_ = objiface.SetMarks(rt, marks) // its error is Of's, below
			}
			_, want := objiface.Of(rt)
			_, got := p.generate([]string{name})
			if want == nil {
				require.NoError(t, got)
				return
			}
			refused++
			require.Error(t, got, "Export refuses %s: %v", name, want)
			require.Regexp(t, position, got.Error())
			require.Equal(t, want.Error(), position.ReplaceAllString(got.Error(), ""))
		})
	}
	require.Equal(t, len(ruleCases)-1, refused, "only Valid is valid")
}
