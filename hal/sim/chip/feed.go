package chip

import "github.com/hookswitch/hookswitch/hal"

// Feed is what a ProSLIC linefeed code puts on the pair (both families use
// the same codes, Si3220 datasheet Table 18). Tip open and ring open leave no
// loop for a phone to draw battery from.
func Feed(lf byte) hal.Feed {
	switch lf {
	case 1:
		return hal.FeedForward
	case 2:
		return hal.FeedOHT
	case 4:
		return hal.FeedRinging
	case 5:
		return hal.FeedReverse
	case 6:
		return hal.FeedReverseOHT
	}
	return hal.FeedOpen
}
