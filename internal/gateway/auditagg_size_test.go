package gateway

import (
	"testing"
	"unsafe"
)

// TestAuditAggSize reports the size of one audit collapse entry (auditAgg,
// up to maxAuditKeys of them under a flood), the figure docs/bench/memory.md
// quotes, and fails if it grows past 256 bytes (it was 480 with the server
// name in an inline 256-byte array):
//
//	go test ./internal/gateway -run TestAuditAggSize -v
func TestAuditAggSize(t *testing.T) {
	size := unsafe.Sizeof(auditAgg{})
	t.Logf("auditAgg: %d bytes; %d entries: %.2f MiB", size, maxAuditKeys, float64(size)*maxAuditKeys/(1<<20))
	if size > 256 {
		t.Errorf("auditAgg is %d bytes, want at most 256", size)
	}
}
