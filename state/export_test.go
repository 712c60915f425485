package state

// SetFailWrite makes every later write of s call f first and fail with its
// error, as a full disk would.
func (s *Store) SetFailWrite(f func() error) { s.failWrite = f }
