package connectors

import (
	"errors"
	"strings"
	"testing"

	"github.com/weirsql/weir/sqltypes"
)

func TestCheckMetadata(t *testing.T) {
	s := &Spec{Name: "q", Metadata: []MetadataSpec{
		{Key: "partition", Type: sqltypes.Int},
		{Key: "offset", Type: sqltypes.BigInt},
	}}
	if err := s.CheckMetadata("offset", sqltypes.BigInt); err != nil {
		t.Errorf("offset BIGINT: %v", err)
	}
	cases := []struct {
		key      string
		typ      string
		want     error
		contains []string
	}{
		{"ofset", "BIGINT", ErrUnknownMetadata, []string{"'ofset'", "did you mean 'offset'?", "'partition' INT, 'offset' BIGINT"}},
		{"Offset", "BIGINT", ErrUnknownMetadata, []string{"keys are"}}, // keys match exactly
		{"offset", "INT", ErrMetadataType, []string{"'offset' of connector 'q' is BIGINT, not INT"}},
	}
	for _, c := range cases {
		typ := sqltypes.BigInt
		if c.typ == "INT" {
			typ = sqltypes.Int
		}
		err := s.CheckMetadata(c.key, typ)
		if !errors.Is(err, c.want) {
			t.Errorf("%s %s: %v, want %v", c.key, c.typ, err, c.want)
			continue
		}
		for _, sub := range c.contains {
			if !strings.Contains(err.Error(), sub) {
				t.Errorf("%s %s: %q lacks %q", c.key, c.typ, err, sub)
			}
		}
	}
	none := &Spec{Name: "gen"}
	if err := none.CheckMetadata("x", sqltypes.Int); !errors.Is(err, ErrUnknownMetadata) || !strings.Contains(err.Error(), "has no metadata") {
		t.Errorf("no metadata: %v", err)
	}
}
