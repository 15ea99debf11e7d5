package cli

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"
)

// durationFlag defines a duration flag, as fs.Duration does, whose error
// for a number without a unit ("--timeout 1") says to write one ("1s").
func durationFlag(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	d := durationValue(value)
	fs.Var(&d, name, usage)
	return (*time.Duration)(&d)
}

type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return fmt.Errorf("a duration needs a unit: write %ss (or %sms, %sm)", s, s, s)
		}
		return errors.New("want a duration such as 10s, 500ms or 2m")
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string { return time.Duration(*d).String() }
