package remote

// defaultMaxConns is MaxConns's default: nine tenths of the process's
// limit on open files (raised to its hard limit first), so that a
// server takes as many clients as its file descriptors allow and
// refuses the rest with a clear error, while a tenth is left for its
// listener, its dials to other runtimes, its files and its logs.
func defaultMaxConns() int {
	return maxConnsFor(fdLimit())
}

// defaultMaxConnsUnknown is MaxConns's default where the limit on open
// files cannot be read.
const defaultMaxConnsUnknown = 4096

// maxConnsCap bounds the default for a limit that is huge or infinite:
// past it, memory, not file descriptors, is what runs out first.
const maxConnsCap = 1 << 20

func maxConnsFor(nofile uint64) int {
	if nofile == 0 {
		return defaultMaxConnsUnknown
	}
	return int(max(min(nofile-nofile/10, maxConnsCap), 16))
}
