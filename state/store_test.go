package state_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/weirsql/weir/state"
)

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func open(t *testing.T, dir string) *state.Store {
	t.Helper()
	s, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "weir-state")
	s := open(t, dir)
	if m, data, err := s.Load("q1"); err != nil || m != nil || data != nil {
		t.Fatalf("empty store: %v %v %v", m, data, err)
	}
	small := []byte("hello")
	big := randBytes(1, 3*1<<20+123) // several chunks
	if err := s.Save("q1", state.Manifest{ID: 1, Fingerprint: "fp", Query: "SELECT 1"}, small); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("q2", state.Manifest{ID: 7, Final: true, Fingerprint: "fp2"}, big); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("q1", state.Manifest{ID: 2, Fingerprint: "fp", Query: "SELECT 1"}, big[:1<<20]); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("q1", state.Manifest{ID: 2}, small); err == nil {
		t.Fatal("saving the same id twice succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	m, data, err := s.Load("q1")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 2 || m.Final || m.Fingerprint != "fp" || m.Query != "SELECT 1" || !bytes.Equal(data, big[:1<<20]) {
		t.Fatalf("q1: manifest %+v, %d bytes", m, len(data))
	}
	m, data, err = s.Load("q2")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 7 || !m.Final || !bytes.Equal(data, big) {
		t.Fatalf("q2: manifest %+v, %d bytes", m, len(data))
	}
	if err := s.Drop("q2"); err != nil {
		t.Fatal(err)
	}
	if m, _, err := s.Load("q2"); err != nil || m != nil {
		t.Fatalf("after Drop: %v %v", m, err)
	}
}

// TestFullDisk: a write that fails keeps the last good checkpoint.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	if err := s.Save("q", state.Manifest{ID: 1}, []byte("good")); err != nil {
		t.Fatal(err)
	}
	for calls := 1; calls <= 2; calls++ {
		n := 0
		s.SetFailWrite(func() error {
			n++
			if n == calls {
				return syscall.ENOSPC
			}
			return nil
		})
		err := s.Save("q", state.Manifest{ID: uint64(1 + calls)}, randBytes(2, 2<<20))
		if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "disk is full") || !strings.Contains(err.Error(), dir) {
			t.Fatalf("failing write %d: %v", calls, err)
		}
		s.SetFailWrite(nil)
		m, data, err := s.Load("q")
		if err != nil || m.ID != 1 || string(data) != "good" {
			t.Fatalf("after a failed save: %+v %q %v", m, data, err)
		}
	}
	// The chunks of the failed saves are gone after Load, and a later save
	// works.
	if err := s.Save("q", state.Manifest{ID: 9}, []byte("next")); err != nil {
		t.Fatal(err)
	}
	if m, data, err := s.Load("q"); err != nil || m.ID != 9 || string(data) != "next" {
		t.Fatalf("%+v %q %v", m, data, err)
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	_, err := state.Open(dir)
	if !errors.Is(err, state.ErrLocked) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another weir") {
		t.Fatalf("second open: %v", err)
	}
	if !strings.Contains(err.Error(), "process ") {
		t.Errorf("the message does not name the holder: %v", err)
	}
}

func TestNotCreatable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := state.Open(filepath.Join(file, "state"))
	if err == nil || !strings.Contains(err.Error(), "cannot be created") || !strings.Contains(err.Error(), "--state-dir") {
		t.Fatalf("open under a file: %v", err)
	}
}

func TestNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	_, err := state.Open(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("open a read-only directory: %v", err)
	}
}

// TestCorrupt damages the files of a closed store: opening or loading must
// fail with ErrCorrupt naming the directory, never panic or return wrong
// data.
func TestCorrupt(t *testing.T) {
	data := randBytes(3, 200<<10) // in the value log
	for _, target := range []string{"MANIFEST", ".vlog", ".sst"} {
		t.Run(target, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir)
			if err := s.Save("q", state.Manifest{ID: 1}, data); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			damaged := 0
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), target) {
					continue
				}
				p := filepath.Join(dir, e.Name())
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				for i := 16; i < len(b); i += 97 {
					b[i] ^= 0xff
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				damaged++
			}
			if damaged == 0 {
				t.Skipf("no %s file", target)
			}
			s, err := state.Open(dir)
			if err == nil {
				defer s.Close()
				var m *state.Manifest
				var got []byte
				m, got, err = s.Load("q")
				if err == nil {
					if m != nil && bytes.Equal(got, data) {
						return // the damage missed the data (a preallocated tail)
					}
					t.Fatalf("damaged store loaded %v, %d bytes", m, len(got))
				}
			}
			if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("damaged %s: %v", target, err)
			}
		})
	}
}

// TestDiskUseBounded saves many large checkpoints: the space of replaced
// ones is given back, so disk use stays near one checkpoint's size.
func TestDiskUseBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	const size = 4 << 20
	for id := uint64(1); id <= 50; id++ {
		if err := s.Save("q", state.Manifest{ID: id}, randBytes(id, size)); err != nil {
			t.Fatal(err)
		}
	}
	used, err := state.DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("disk use after 50 checkpoints of %d MB, before compaction: %.1f MB", size>>20, float64(used)/(1<<20))
	if used > 16*size {
		t.Fatalf("disk use %d bytes after 50 checkpoints of %d: replaced checkpoints are not reclaimed", used, size)
	}
	if err := s.Flatten(); err != nil {
		t.Fatal(err)
	}
	used, err = state.DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("disk use after 50 checkpoints of %d MB: %.1f MB", size>>20, float64(used)/(1<<20))
	if used > 24*size {
		t.Fatalf("disk use %d bytes after 50 checkpoints of %d: garbage is not collected", used, size)
	}
}
