package registry_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// fillNonZero sets every field of the struct v points at to a non-zero
// value, by reflection, so that a field added to remote.Ref later is
// filled too. A kind it does not know fails the test: teach it the new
// kind rather than leave the field zero.
func fillNonZero(t *testing.T, v reflect.Value, seed *uint64) {
	t.Helper()
	*seed++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*seed%100 + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(*seed%200 + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*seed) + 0.5)
	case reflect.String:
		v.SetString("s" + string(rune('a'+*seed%26)))
	case reflect.Array:
		for i := range v.Len() {
			fillNonZero(t, v.Index(i), seed)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			fillNonZero(t, v.Index(i), seed)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			require.True(t, f.IsExported(), "%s.%s is unexported: the file store saves exported fields only", v.Type(), f.Name)
			fillNonZero(t, v.Field(i), seed)
		}
	default:
		t.Fatalf("fillNonZero: teach it to fill a %s (%s)", v.Kind(), v.Type())
	}
	require.False(t, v.IsZero(), "%s still zero", v.Type())
}

// The file store saves everything in a reference, whatever fields it
// has: every field set, the store closed and reopened, the same Ref.
func TestFileStoreSavesEveryFieldOfARef(t *testing.T) {
	var ref remote.Ref
	seed := uint64(0)
	fillNonZero(t, reflect.ValueOf(&ref).Elem(), &seed)
	t.Logf("ref with every field set: %#v", ref)

	path := filepath.Join(t.TempDir(), "bindings.json")
	store := openStore(t, path)
	bound := time.Now().Round(0).Truncate(time.Microsecond)
	require.NoError(t, store.Create(ctxT(t), registry.Binding{Name: "every/field", Ref: ref, Bound: bound}))
	require.NoError(t, store.Close())

	store = openStore(t, path)
	defer store.Close()
	b, err := store.Get(ctxT(t), "every/field")
	require.NoError(t, err)
	require.Equal(t, ref, b.Ref, "every field of the reference survives the file")
	require.True(t, bound.Equal(b.Bound), "bound %v, got %v", bound, b.Bound)
}

// openStore opens the file store at path.
func openStore(t *testing.T, path string) *registry.FileStore {
	t.Helper()
	s, err := registry.OpenFileStore(path, registry.FileOptions{})
	require.NoError(t, err)
	return s
}
