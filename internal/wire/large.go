package wire

import (
	"math/bits"
	"sync"
)

// Frames and buffers above trustedPrefix take their bytes from pools by
// size class (powers of two from 128 KiB to 16 MiB), as grpc-go does for
// its write buffers (grpc/grpc-go#6309): a 1 MiB echo allocated its
// frames and buffers anew on every call, four times the payload. The
// pools are sync.Pools, so what no call uses is freed by the next
// garbage collections; nothing is held per connection.
const (
	minLargeClass = 17 // 128 KiB
	maxLargeClass = 24 // 16 MiB, the default MaxFrameSize
)

var largePools [maxLargeClass + 1]sync.Pool // of *[]byte, by class

// getLarge returns a slice of length n whose capacity is n's class, or
// of exactly n bytes beyond the largest class.
func getLarge(n int) []byte {
	class := max(bits.Len(uint(n-1)), minLargeClass)
	if class > maxLargeClass {
		return make([]byte, n)
	}
	if p, ok := largePools[class].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<class)
}

// putLarge pools p if its capacity is exactly a class, and reports
// whether it did; p must not be used afterwards.
func putLarge(p []byte) bool {
	c := cap(p)
	class := bits.Len(uint(c)) - 1
	if c != 1<<class || class < minLargeClass || class > maxLargeClass {
		return false
	}
	p = p[:0]
	largePools[class].Put(&p)
	return true
}
