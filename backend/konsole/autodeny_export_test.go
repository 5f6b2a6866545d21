package konsole

import "time"

// SetAutoDenyUnitForTest shortens a minute of the auto-deny setting.
func SetAutoDenyUnitForTest(d time.Duration) (restore func()) {
	old := autoDenyUnit
	autoDenyUnit = d
	return func() { autoDenyUnit = old }
}
