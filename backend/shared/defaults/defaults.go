// Package defaults fills the zero fields of an options struct: the one
// rule the bridge, its hub and the SSH tunnel share for their durations
// and sizes (zero or negative takes the default).
package defaults

// Number is what Set fills: a size, or a duration (an int64 underneath).
type Number interface {
	~int | ~int64 | ~float64
}

// Set sets *p to v when *p is zero or negative, so that an option left
// out (or set to nonsense below zero) takes its default.
func Set[T Number](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}
