package gwconfig

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// docSource serves one document (nil: fails every fetch).
type docSource struct {
	name string
	data []byte
}

func (d docSource) String() string { return d.name }

func (d docSource) Fetch(context.Context) ([]byte, bool, error) {
	if d.data == nil {
		return nil, false, errors.New("no document")
	}
	return d.data, false, nil
}

// merged is the catalog a servicetag.Set of one source per catalog, in
// order, puts in force (nil entries: a source with no document yet), as
// the Runner compiles against.
func merged(tb testing.TB, cats ...*servicetag.Catalog) *servicetag.Catalog {
	tb.Helper()
	if len(cats) == 0 {
		return nil
	}
	var srcs []servicetag.SourceConfig
	for i, c := range cats {
		src := docSource{name: fmt.Sprintf("source%d", i)}
		if c != nil {
			data, err := servicetag.MarshalDownload(c.Document())
			if err != nil {
				tb.Fatal(err)
			}
			src.data = data
		}
		srcs = append(srcs, servicetag.SourceConfig{Location: src.name, Source: src})
	}
	set, err := servicetag.NewSet(servicetag.SetConfig{Sources: srcs, Log: slog.New(slog.DiscardHandler), Guard: []string{}})
	if err != nil {
		tb.Fatal(err)
	}
	_ = set.Load()
	_, _ = set.Refresh(context.Background())
	return set.Current()
}
