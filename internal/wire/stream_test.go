package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// body is a frame's bytes after the length prefix and the kind.
func body(b *Buffer) []byte { return bytes.Clone(b.Bytes()[prefixLen+1:]) }

func openedBody(id uint64) []byte {
	b := GetBuffer(KindItem)
	defer b.Release()
	PutOpened(b, id)
	return body(b)
}

func itemBody(t testing.TB, id uint64, v any) []byte {
	b := GetBuffer(KindItem)
	defer b.Release()
	PutItemHeader(b, id)
	e := NewEncoder(b)
	defer e.Release()
	require.NoError(t, e.Encode(v))
	return body(b)
}

func creditBody(id, n uint64) []byte {
	b := GetBuffer(KindCredit)
	defer b.Release()
	PutCredit(b, id, n)
	return body(b)
}

func TestItemRoundTrip(t *testing.T) {
	d := NewDecoder(openedBody(7))
	id, opened, err := ReadItem(d)
	d.Release()
	require.NoError(t, err)
	assert.Equal(t, uint64(7), id)
	assert.True(t, opened)

	d = NewDecoder(itemBody(t, 1<<40, "hello"))
	defer d.Release()
	id, opened, err = ReadItem(d)
	require.NoError(t, err)
	assert.Equal(t, uint64(1<<40), id)
	assert.False(t, opened)
	require.NoError(t, d.Validate(DefaultLimits))
	n, err := d.DecodeArrayLen()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	s, err := d.DecodeString()
	require.NoError(t, err)
	assert.Equal(t, "hello", s)
}

func TestCreditRoundTrip(t *testing.T) {
	for _, n := range []uint64{1, 0x7f, 0x80, 1 << 16, 1<<64 - 1} {
		id, got, err := ReadCredit(creditBody(42, n))
		require.NoError(t, err, "n=%d", n)
		assert.Equal(t, uint64(42), id)
		assert.Equal(t, n, got)
	}
}

// Hand-made item and credit bodies that no runtime writes get an error
// that says what is wrong with them.
func TestMalformedStreamFrames(t *testing.T) {
	id := openedBody(3)[:idLen] // the fixed-width id of call 3
	items := map[string]struct {
		body []byte
		want string
	}{
		"empty":                {nil, "item: EOF"},
		"compact id":           {[]byte{0x03, 0x90}, "call id has code 0x3, want fixed uint64"},
		"no array":             {id, "item of call 3: EOF"},
		"two values":           {append(bytes.Clone(id), 0x92, 1, 2), "item of call 3 starts with 0x92, want an array of 0 or 1 values"},
		"a map":                {append(bytes.Clone(id), 0x81, 1, 2), "starts with 0x81"},
		"opened, then more":    {append(bytes.Clone(id), 0x90, 0x01), "1 bytes after the stream's opening"},
		"array16 of one value": {append(bytes.Clone(id), 0xdc, 0, 1, 1), "starts with 0xdc"},
	}
	for name, c := range items {
		t.Run("item/"+name, func(t *testing.T) {
			d := NewDecoder(c.body)
			defer d.Release()
			_, _, err := ReadItem(d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	credits := map[string]struct {
		body []byte
		want string
	}{
		"empty":          {nil, "credit: EOF"},
		"compact id":     {[]byte{0x03, 0x01}, "call id has code 0x3"},
		"no count":       {id, "credit of call 3: EOF"},
		"zero":           {append(bytes.Clone(id), 0x00), "grants 0 items, want at least 1"},
		"negative":       {append(bytes.Clone(id), 0xff), "grants -1 items, want at least 1"},
		"negative int64": {append(bytes.Clone(id), 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), "has code 0xd3, want a positive integer"},
		"a string":       {append(bytes.Clone(id), 0xa1, 'x'), "has code 0xa1, want a positive integer"},
		"trailing":       {append(bytes.Clone(id), 0x05, 0x05), "1 trailing bytes"},
		"truncated":      {append(bytes.Clone(id), 0xcf, 0, 0), "credit of call 3:"},
	}
	for name, c := range credits {
		t.Run("credit/"+name, func(t *testing.T) {
			_, _, err := ReadCredit(c.body)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// FuzzReadItem feeds item bodies to the decoder and the validator the
// caller runs before decoding: neither may panic, and what they accept
// is one opening or one list of one value.
func FuzzReadItem(f *testing.F) {
	f.Add(openedBody(1))
	f.Add(itemBody(f, 2, map[string]any{"k": []int{1, 2}}))
	f.Add(itemBody(f, 3, nil))
	f.Add([]byte{0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0x91, 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(data)
		defer d.Release()
		_, opened, err := ReadItem(d)
		if err != nil || opened {
			return
		}
		if err := d.Validate(DefaultLimits); err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrLimit) {
				t.Fatalf("Validate: %v is neither malformed nor a limit", err)
			}
			return
		}
		if n, err := d.DecodeArrayLen(); err != nil || n != 1 {
			t.Fatalf("an accepted item is a list of %d values (%v)", n, err)
		}
	})
}

// FuzzReadCredit: no panic, and what decodes re-encodes to the same
// grant.
func FuzzReadCredit(f *testing.F) {
	f.Add(creditBody(1, 1))
	f.Add(creditBody(1<<63, 1<<64-1))
	f.Add([]byte{0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xcc, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		id, n, err := ReadCredit(data)
		if err != nil {
			return
		}
		if n == 0 {
			t.Fatal("a zero credit was accepted")
		}
		id2, n2, err := ReadCredit(creditBody(id, n))
		if err != nil || id2 != id || n2 != n {
			t.Fatalf("re-encoded credit (%d, %d) reads as (%d, %d, %v)", id, n, id2, n2, err)
		}
	})
}
