package calc

import gocontext "context"

// Job imports context under another name and has a method named Invoke,
// which hides the one the shell embeds.
type Job interface {
	Invoke(ctx gocontext.Context, args ...string) (string, error)
	Status(gocontext.Context) (string, error)
}
