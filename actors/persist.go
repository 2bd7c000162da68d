package actors

import (
	"github.com/stackworld/stackworld/persist"
)

// The frames and messages of this package, registered with persist under stable names.
// Their field layouts and resume points are part of the save format. Generic types are
// registered for the instantiations this package uses; register your own instantiations
// (Actor[M, H, *H], Ask[Q, R], Receive[M], Timer[M], Request[Q, R], Reply[R]) the same way;
// Ask's resume points are "send" and "wait". The generated frames (Trader, Customer, ...)
// register themselves in their *_frame.go files.
func init() {
	persist.RegisterInterface[Template]()
	persist.Register[Wander]("actors.Wander", "tick")
	persist.Register[Chase]("actors.Chase", "start", "tick")
	persist.Register[Flee]("actors.Flee", "start", "tick")
	persist.Register[Supervisor]("actors.Supervisor", "start", "wait")
	persist.Register[PriceQuery]("actors.PriceQuery")
	persist.Register[Quote]("actors.Quote")
	persist.Register[ShopRequest]("actors.ShopRequest")
	persist.Register[Reply[Quote]]("actors.Reply.Quote")
	persist.Register[Ask[PriceQuery, Quote]]("actors.Ask.PriceQuery.Quote", "send", "wait")
}
