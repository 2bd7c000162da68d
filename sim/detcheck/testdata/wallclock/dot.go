package wallclock

import . "time"

// Seconds reads the clock through a dot import.
func Seconds() int64 { return Now().Unix() } // want "wall-clock"
