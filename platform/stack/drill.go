//go:build !pixmill_faults

package stack

// drill does nothing: the broker-restart drill is built only into the test
// binary (drill_faults.go).
func (e *embeddedQueue) drill() (stop func()) { return func() {} }
