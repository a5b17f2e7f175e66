//go:build !race

package faces

const raceEnabled = false
