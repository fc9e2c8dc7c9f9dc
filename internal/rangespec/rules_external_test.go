package rangespec

import (
	"strings"
	"testing"
)

// feedTags is testTags plus tags of other clouds' feeds (FeedIndex).
type feedTags struct{ fakeTags }

var testFeedTags = feedTags{append(fakeTags{"GitHub.Actions", "GitHub.Hooks", "AWS.EC2", "Fastly", "Cloudflare"}, testTags...)}

func (f feedTags) TagFeed(name string) string {
	c, ok := f.LookupTag(name)
	if !ok {
		return ""
	}
	switch p, _, _ := strings.Cut(c, "."); p {
	case "GitHub", "AWS", "Fastly", "Cloudflare":
		return strings.ToLower(p)
	}
	return ""
}

var _ FeedIndex = feedTags{}

// TestRulesExternalTags: EnableExternalServiceTagsPreview lets a managed
// cluster name tags of other feeds, up to 4 in all, of which still one
// Azure tag; without it AKS's rules hold exactly and a non-Azure tag is
// refused naming the feature, with AKS's two answers (code
// PreviewFeatureNotRegistered, then BadRequest until the provider is
// registered again).
func TestRulesExternalTags(t *testing.T) {
	seed := Options{Mode: ModeServer, ServiceTagsEnabled: true, Tags: testFeedTags}
	ext := with(seed, func(o *Options) { o.ExternalTagsEnabled = true })
	extOnly := with(ext, func(o *Options) { o.ServiceTagsEnabled = false })
	none := with(seed, func(o *Options) { o.ServiceTagsEnabled = false })
	cases := []ruleCase{
		{name: "no external feature/github tag refused naming it", opt: seed, in: "github.actions,20.20.20.20", index: 0,
			reason: ErrExternalTagsNotEnabled, nerr: 1, err: "Preview feature Microsoft.ContainerService/EnableExternalServiceTagsPreview not registered."},
		{name: "no feature at all/github tag names the external feature", opt: none, in: "github.actions", reason: ErrExternalTagsNotEnabled,
			err: MsgExternalFeatureNotRegistered},
		{name: "external registered, provider not re-registered", opt: with(seed, func(o *Options) { o.ExternalFeatureRegistered = true }), in: "GitHub.Actions",
			reason: ErrExternalTagsNotEnabled, err: "Feature Microsoft.ContainerService/EnableExternalServiceTagsPreview is not enabled. Please see https://aka.ms/aks/previews for how to enable features."},
		{name: "no external feature/azure tag as before", opt: seed, in: "AzureCloud,20.20.20.20", want: []string{"AzureCloud", "20.20.20.20/32"}},
		{name: "no external feature/two azure tags: the seed's exact rule", opt: seed, in: "AzureCloud,Storage", index: 1, reason: ErrTooManyTags,
			err: `authorizedIPRanges[1] "Storage": only one service tag is allowed in authorizedIPRanges; "AzureCloud" is already given`},
		{name: "external/github tag accepted, canonical", opt: ext, in: "github.actions", want: []string{"GitHub.Actions"}},
		{name: "external/four tags", opt: ext, in: "AzureCloud,GitHub.Actions,aws.ec2,20.20.20.20,Fastly",
			want: []string{"AzureCloud", "GitHub.Actions", "AWS.EC2", "20.20.20.20/32", "Fastly"}},
		{name: "external/five tags refused", opt: ext, in: "AzureCloud,GitHub.Actions,AWS.EC2,Fastly,Cloudflare", index: 4, reason: ErrTooManyTags, nerr: 1,
			err: `authorizedIPRanges[4] "Cloudflare": at most 4 service tags are allowed in authorizedIPRanges with Microsoft.ContainerService/EnableExternalServiceTagsPreview; "AzureCloud", "GitHub.Actions", "AWS.EC2" and "Fastly" are already given`},
		{name: "external/the same tag twice counts once", opt: ext, in: "GitHub.Actions,github.actions,GitHub.Hooks,AWS.EC2,Fastly",
			want: []string{"GitHub.Actions", "GitHub.Hooks", "AWS.EC2", "Fastly"}},
		{name: "external/still one azure tag", opt: ext, in: "GitHub.Actions,AzureCloud,Storage", index: 2, reason: ErrTooManyTags,
			err: `authorizedIPRanges[2] "Storage": only one Azure service tag is allowed in authorizedIPRanges; "AzureCloud" is already given`},
		{name: "external only/github tag accepted", opt: extOnly, in: "GitHub.Actions", want: []string{"GitHub.Actions"}},
		{name: "external only/azure tag needs the seed's flag", opt: extOnly, in: "AzureCloud", reason: ErrTagsNotEnabled,
			err: MsgPreviewFeatureNotRegistered},
		{name: "external/vnet integration still refuses tags", opt: with(ext, func(o *Options) { o.VnetIntegration = true }), in: "GitHub.Actions",
			reason: ErrTagWithVnetIntegration},
		{name: "standalone/any number of tags of any feed", opt: Options{Mode: ModeStandalone, Tags: testFeedTags},
			in:   "AzureCloud,Storage,GitHub.Actions,GitHub.Hooks,AWS.EC2,Fastly,Cloudflare",
			want: []string{"AzureCloud", "Storage", "GitHub.Actions", "GitHub.Hooks", "AWS.EC2", "Fastly", "Cloudflare"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec, err := c.parse()
			if c.err != "" || c.errSub != "" || c.reason != nil {
				checkRuleError(t, c, spec, err)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := strings.Join(spec.Strings(), ","); got != strings.Join(c.want, ",") {
				t.Errorf("Strings() = %q, want %q", got, c.want)
			}
		})
	}
}

// TestExternalGateCodes: the external feature's gate answers with the
// seed's codes.
func TestExternalGateCodes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		registered bool
		want       string
	}{
		{name: "flag not registered", want: CodePreviewFeatureNotRegistered},
		{name: "provider not registered again", registered: true, want: CodeFeatureNotEnabled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := Options{Mode: ModeServer, ServiceTagsEnabled: true, ExternalFeatureRegistered: tc.registered, Tags: testFeedTags}
			_, err := ParseList([]string{"GitHub.Actions"}, opt)
			if fe := FirstError(err); fe == nil || fe.Code != tc.want || fe.Index != 0 {
				t.Fatalf("ParseList: %v, want code %s at index 0", err, tc.want)
			}
		})
	}
}
