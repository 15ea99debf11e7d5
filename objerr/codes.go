package objerr

import (
	"errors"
	"fmt"
	"sync"
)

// Codes maps application sentinels to the string codes that carry them
// across the wire. A server and a client that register the same sentinel
// under the same code see errors.Is work end to end. Each runtime owns one
// Codes; there is no process-wide table.
type Codes struct {
	mu      sync.RWMutex
	entries []codeEntry // registration order: the first match wins
	byCode  map[string]error
}

type codeEntry struct {
	code     string
	sentinel error
}

// Register binds code to sentinel. A code or sentinel has one meaning:
// binding either to something else is an error, because two meanings for
// one code would make errors.Is lie. Registering the same pair again does
// nothing.
func (c *Codes) Register(code string, sentinel error) error {
	if code == "" || sentinel == nil {
		return errors.New("objerr: Register needs a non-empty code and a non-nil error")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, dup := c.byCode[code]; dup {
		if prev == sentinel {
			return nil // a library registering its own codes again
		}
		return fmt.Errorf("objerr: error code %q is already registered", code)
	}
	for _, e := range c.entries {
		if e.sentinel == sentinel {
			return fmt.Errorf("objerr: error %q is already registered as %q", sentinel, e.code)
		}
	}
	if c.byCode == nil {
		c.byCode = make(map[string]error)
	}
	c.byCode[code] = sentinel
	c.entries = append(c.entries, codeEntry{code, sentinel})
	return nil
}

// CodeFor returns the code of the first registered sentinel that err
// matches with errors.Is, or "". The matching (which may run the error's
// own Is method) happens outside the lock.
func (c *Codes) CodeFor(err error) string {
	c.mu.RLock()
	entries := c.entries // append-only: this prefix never changes
	c.mu.RUnlock()
	for _, e := range entries {
		if errors.Is(err, e.sentinel) {
			return e.code
		}
	}
	return ""
}

// Sentinel returns the sentinel registered under code, or nil.
func (c *Codes) Sentinel(code string) error {
	if code == "" {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byCode[code]
}
