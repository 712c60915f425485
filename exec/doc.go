// Package exec runs physical plans: operators that pull Messages (Arrow
// record batches, watermarks, checkpoint barriers, end of stream) from their
// inputs, the Source and Sink interfaces connectors implement, and Run, which
// drives a pipeline into a sink. Expressions are evaluated by exec/expr over
// whole arrays.
//
// Every operator states the lifecycle of Operator (open once, pull until
// MsgEnd, close safely twice) and follows one ownership rule: whoever receives
// a Message owns its batch and releases it; an operator that keeps a batch
// calls Retain.
//
// A scan, a filter and a projection compose like this:
//
//	scan := exec.NewScan("bids", src, exec.WatermarkSpec{Column: -1}, nil, ec)
//	filter := exec.NewFilter(scan, pricePositive, ec)
//	project := exec.NewProject(filter, []expr.Expr{doubled}, schema, ec)
//	stats, err := exec.Run(ctx, project, sink, false)
package exec
