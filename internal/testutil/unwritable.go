package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// MakeUnwritable makes dir refuse new files until the test ends: by
// chmod 0555, or, where that does not stop writes (root ignores it), by
// the immutable attribute (chattr +i). It skips the test, saying why, if
// neither works.
func MakeUnwritable(t testing.TB, dir string) {
	t.Helper()
	writable := func() bool {
		f, err := os.CreateTemp(dir, "probe")
		if err != nil {
			return false
		}
		f.Close()
		os.Remove(f.Name())
		return true
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if !writable() {
		return
	}
	t.Logf("chmod 0555 does not stop writes here (uid %d): using chattr +i", os.Getuid())
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		t.Skipf("cannot make %s unwritable: chmod does not stop uid %d, and there is no chattr", dir, os.Getuid())
	}
	if out, err := exec.Command(chattr, "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s unwritable: chmod does not stop uid %d, and chattr +i failed: %v: %s", dir, os.Getuid(), err, out)
	}
	t.Cleanup(func() { exec.Command(chattr, "-i", dir).Run() })
	if writable() {
		t.Skipf("cannot make %s unwritable: neither chmod nor chattr +i stops uid %d", dir, os.Getuid())
	}
}
