package servicetag

import (
	"context"
	"testing"
)

// FuzzSetFeedNames offers fuzzed documents to an Azure source beside a
// GitHub feed in force (a tiny meta document). Properties: whatever
// arrives, GitHub's tags keep their prefixes and platform, and the Azure
// source never has in force a name the GitHub feed defines (a clash is
// refused, never merged; a GitHub-looking name GitHub does not define is
// Azure's to use).
func FuzzSetFeedNames(f *testing.F) {
	// An Azure document of its own names.
	f.Add(tinyDoc(f, "Public", 5, map[string]int{"AzureCloud": 3}))
	// An Azure document defining GitHub.Actions and github.hooks.
	f.Add([]byte(`{"changeNumber":6,"cloud":"Public","values":[{"name":"GitHub.Actions","id":"GitHub.Actions","properties":{"changeNumber":1,"addressPrefixes":["10.0.0.0/24"]}},` +
		`{"name":"github.hooks","id":"x","properties":{"changeNumber":1,"addressPrefixes":["10.0.1.0/24"]}}]}`))
	// A download document claiming to be GitHub's.
	f.Add([]byte(`{"changeNumber":0,"cloud":"GitHub","values":[{"name":"GitHub.New","id":"GitHub.New","properties":{"changeNumber":1,"platform":"GitHub","addressPrefixes":["10.0.2.0/24"]}}]}`))
	// GitHub meta itself (not the download format).
	f.Add([]byte(`{"actions":["10.0.3.0/24"]}`))
	meta := []byte(`{"actions":["192.0.2.0/24","2001:db8::/32"],"hooks":["198.51.100.0/24"]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		gh, az := &seqSource{}, &seqSource{}
		log, _ := testLog()
		s, err := NewSet(SetConfig{Log: log, Sources: []SourceConfig{
			{Feed: FeedGitHub, Location: "github", Source: gh}, {Location: "azure", Source: az}}})
		if err != nil {
			t.Fatal(err)
		}
		gh.push(fetchResult{data: meta})
		if _, err := s.RefreshSource(context.Background(), "github"); err != nil {
			t.Fatal(err)
		}
		az.push(fetchResult{data: data})
		_, _ = s.RefreshSource(context.Background(), "azure")
		cat := s.Current()
		for name, n := range map[string]int{"GitHub.Actions": 2, "GitHub.Hooks": 1} {
			got, ok := cat.Lookup(name)
			if !ok || len(got.Prefixes) != n || got.Platform != "GitHub" {
				t.Fatalf("%s in force: %v %+v", name, ok, got)
			}
		}
		if st := s.Status(); st.Sources[1].Tags > 0 {
			az := s.members[1].keeper.Current()
			for _, name := range []string{"GitHub.Actions", "GitHub.Hooks"} {
				if _, clash := az.Lookup(name); clash {
					t.Fatalf("the Azure source has %s in force beside the GitHub feed", name)
				}
			}
		}
	})
}
