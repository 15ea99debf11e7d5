package skeleton

// WithoutGenerated makes the skeletons built until restore is called
// serve by reflection alone, even for interfaces with generated server
// code, so that tests can compare the two paths.
func WithoutGenerated() (restore func()) {
	generated = false
	return func() { generated = true }
}
