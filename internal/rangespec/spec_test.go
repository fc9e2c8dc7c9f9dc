package rangespec

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// roundTripInputs are lists each mode accepts; their normalised Strings()
// must parse back to the same Spec.
var roundTripInputs = []struct {
	name string
	opt  Options
	in   string
}{
	{"cli bare and cidr", optCLI, "20.20.20.20, 40.0.0.0/8"},
	{"cli netmask form", optCLI, "20.1.2.0/255.255.255.0"},
	{"cli egress", optCLI, "0.0.0.0/32"},
	{"cli disabled", optCLI, ""},
	{"preview tags and typos", optPreview, "AzureCloud,1.2.3.4/24,20.20.20.20"},
	{"server tag case", optServer, "azurecloud.EastUS,20.20.20.20,2001:4860::1"},
	{"server duplicates", optServer, "20.20.20.20,20.20.20.20/32"},
	{"server egress", optServer, "0.0.0.0"},
	{"server disabled", optServer, ""},
	{"standalone private and tags", optStandalone, "10.0.0.0/8,AzureCloud,storage,fd00::1"},
}

func TestRoundTrip(t *testing.T) {
	for _, tt := range roundTripInputs {
		t.Run(tt.name, func(t *testing.T) {
			checkRoundTrip(t, tt.in, tt.opt)
		})
	}
}

// TestRoundTripPythonGolden round-trips every golden input a mode accepts.
func TestRoundTripPythonGolden(t *testing.T) {
	for _, c := range loadPyCases(t) {
		for _, opt := range []Options{optCLI, optPreview, optServer, optStandalone} {
			if _, err := ParseString(c.In, opt); err == nil {
				checkRoundTrip(t, c.In, opt)
			}
		}
	}
}

func checkRoundTrip(tb testing.TB, in string, opt Options) {
	tb.Helper()
	spec, err := ParseString(in, opt)
	if err != nil {
		tb.Fatalf("ParseString(%q, %v): %v", in, opt.Mode, err)
	}
	again, err := ParseList(spec.Strings(), opt)
	if err != nil {
		tb.Fatalf("re-parse %q of %q (%v): %v", spec.Strings(), in, opt.Mode, err)
	}
	if spec.Disabled {
		// Strings() of a disabled list is [], which parses as disabled.
		if !again.Disabled {
			tb.Errorf("disabled %q re-parsed as %+v", in, again)
		}
		return
	}
	if !again.Equal(spec) {
		tb.Errorf("%q (%v): %q re-parsed as %q", in, opt.Mode, spec.Strings(), again.Strings())
	}
	if !slices.Equal(again.Strings(), spec.Strings()) {
		tb.Errorf("Strings() not stable: %q then %q", spec.Strings(), again.Strings())
	}
}

func TestSpecHelpers(t *testing.T) {
	spec, err := ParseString(" azurecloud , 20.20.20.20 ", optServer)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := spec.Raws(), []string{"azurecloud", "20.20.20.20"}; !slices.Equal(got, want) {
		t.Errorf("Raws() = %q, want %q", got, want)
	}
	if got, want := spec.Tags(), []string{"AzureCloud"}; !slices.Equal(got, want) {
		t.Errorf("Tags() = %q, want %q", got, want)
	}
	if !spec.Entries[0].IsTag() || spec.Entries[1].IsTag() {
		t.Errorf("IsTag wrong: %+v", spec.Entries)
	}
	other, _ := ParseString("AzureCloud,20.20.20.21", optServer)
	if spec.Equal(other) {
		t.Errorf("%q Equal %q", spec.Strings(), other.Strings())
	}
	for m, want := range map[Mode]string{ModeCLI: "cli", ModePreviewCLI: "preview-cli", ModeServer: "server", ModeStandalone: "standalone", Mode(9): "mode(?)"} {
		if m.String() != want {
			t.Errorf("Mode(%d).String() = %q", int(m), m.String())
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	_, err := ParseList([]string{"10.0.0.0/8", "AzureClod", "1.2.3.4/24"}, optServer)
	all := Errors(err)
	if len(all) != 3 {
		t.Fatalf("Errors() = %d errors: %v", len(all), err)
	}
	for i, e := range all {
		if e.Index != i {
			t.Errorf("error %d has Index %d", i, e.Index)
		}
	}
	if FirstError(err) != all[0] {
		t.Error("FirstError is not Errors()[0]")
	}
	if !errors.Is(err, ErrNotGlobal) || !errors.Is(err, ErrUnknownTag) || !errors.Is(err, ErrHostBits) {
		t.Errorf("errors.Is does not see every reason in %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e != all[0] {
		t.Errorf("errors.As gives %v", e)
	}
	wrapped := fmt.Errorf("put cluster %q: %w", "c1", err)
	if FirstError(wrapped) != all[0] {
		t.Error("FirstError does not see through a wrap")
	}
	if FirstError(nil) != nil || FirstError(errors.New("other")) != nil {
		t.Error("FirstError of nil or a foreign error is not nil")
	}
	if _, err := ParseString("1.2.3.4", Options{Mode: Mode(42)}); FirstError(err) == nil {
		t.Errorf("unknown mode: %v", err)
	}
}

func TestErrorsThroughWrap(t *testing.T) {
	_, err := ParseString("10.0.0.0/8,AzureClod", optServer)
	wrapped := fmt.Errorf("validate: %w", err)
	if got := len(Errors(wrapped)); got != 2 {
		t.Errorf("Errors(wrapped) = %d errors, want 2", got)
	}
}
