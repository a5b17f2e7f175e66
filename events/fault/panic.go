package fault

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// panicError is a recovered panic. It counts as Transient: the panic may be
// a bug that one input triggers every time, and then the attempt count
// parks the request; or it may not recur, and then a retry succeeds.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// Catch runs f and turns a panic in it into an error, so that one bad event
// cannot take down a process that holds other work. The error is Transient,
// answers [PanicStatus], and its public message names the panic's value;
// onPanic, if not nil, is told the value and the stack first, for the log.
func Catch(f func() error, onPanic func(value any, stack []byte)) (err error) {
	defer func() {
		if v := recover(); v != nil {
			p := &panicError{value: v, stack: debug.Stack()}
			if onPanic != nil {
				onPanic(v, p.stack)
			}
			err = &Error{Kind: Transient, Msg: fmt.Sprintf("the processor failed unexpectedly (%v)", v), Err: p}
		}
	}()
	return f()
}

// Panicked reports whether err came from a panic that [Catch] recovered.
func Panicked(err error) bool { return errors.As(err, new(*panicError)) }
