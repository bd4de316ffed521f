//go:build race

package cf

// raceEnabled: Hogwild's lock-free updates are data races by design, which the race detector reports.
const raceEnabled = true
