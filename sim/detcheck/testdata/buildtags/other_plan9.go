package buildtags

import "time"

// Plan9Now is built on plan9 only.
func Plan9Now() time.Time { return time.Now() }
