package server

import "testing"

func TestMinorOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.33.2", "1.33"}, {"1.34", "1.34"}, {"v1.31.11", "1.31"},
		{"", ""}, {"1", ""}, {"1.x.0", ""}, {"1.33.2.1", ""}, {"1..2", ""},
	}
	for _, tt := range tests {
		if got := minorOf(tt.in); got != tt.want {
			t.Errorf("minorOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
