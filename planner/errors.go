package planner

import (
	"errors"

	"github.com/weirsql/weir/diag"
)

// Sentinel kinds of planning errors; every planning error is a *diag.Error
// wrapping one of them, so tests check errors.Is(err, planner.ErrUnknownColumn).
var (
	ErrUnknownColumn   = errors.New("unknown column")
	ErrUnknownTable    = errors.New("unknown source or view")
	ErrUnknownFunction = errors.New("unknown function")
	ErrAmbiguous       = errors.New("ambiguous name")
	ErrType            = errors.New("type error")
	ErrDuplicate       = errors.New("duplicate name")
	ErrUnsupported     = errors.New("not supported")
	ErrConnector       = errors.New("connector error")
	ErrInvalid         = errors.New("invalid statement")
)

func errorf(kind error, pos diag.Pos, format string, args ...any) *diag.Error {
	return diag.Errorf(kind, pos, format, args...)
}
