package exec

import "context"

// windowedNext is the Next of the windowed aggregates: it pulls input until
// there is output, feeding batches to consume, closing windows on each
// watermark (the watermark follows the rows it closes), and at the end of
// input closing every window. Barriers pass through in order.
//
// Windows over processing time (procTime set: it reads the query's
// processing-time clock) close on the clock instead of on watermarks: after
// each batch and each watermark from the input, every window that ends at
// or before the clock's reading closes. Event-time watermarks still pass
// through.
func windowedNext(ctx context.Context, input Operator, pending *[]Message, done *bool,
	consume func(Message) error, advance func(int64) error, procTime func() int64) (Message, error) {
	for len(*pending) == 0 {
		if *done {
			return EndMessage(), nil
		}
		m, err := input.Next(ctx)
		if err != nil {
			return Message{}, err
		}
		switch m.Kind {
		case MsgBatch:
			err := consume(m)
			m.Release()
			if err != nil {
				return Message{}, err
			}
			if procTime != nil {
				if err := advance(procTime()); err != nil {
					return Message{}, err
				}
			}
		case MsgWatermark:
			wm := m.Watermark
			if procTime != nil {
				wm = procTime()
			}
			if err := advance(wm); err != nil {
				return Message{}, err
			}
			*pending = append(*pending, m)
		case MsgEnd:
			if err := advance(WatermarkMax); err != nil {
				return Message{}, err
			}
			*done = true
		default:
			*pending = append(*pending, m)
		}
	}
	m := (*pending)[0]
	*pending = (*pending)[1:]
	return m, nil
}
