package proslic

import "time"

// Sleeper waits. Drivers take it as a dependency so that simulated chips run
// on simulated time and real ones on the wall clock; drivers never read the
// time, they count polls of a known interval.
type Sleeper interface {
	Sleep(d time.Duration)
}

// SleeperFunc adapts a function to Sleeper.
type SleeperFunc func(time.Duration)

// Sleep calls f(d).
func (f SleeperFunc) Sleep(d time.Duration) { f(d) }
