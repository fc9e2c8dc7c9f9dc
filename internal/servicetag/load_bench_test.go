package servicetag

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
)

// BenchmarkLoadMemory measures what putting the 4 MB public document in
// force costs in memory, as a Set does when a source brings it: Parse
// (decode and validation) and NewCatalog. Besides B/op and allocs/op it
// reports:
//
//   - retained-MiB: live heap the Catalog keeps (heap in use after a GC,
//     minus before the load);
//   - peak-rss-MiB: growth of the process's resident set during the load
//     (VmHWM after the load minus VmRSS before it, with the high-water mark
//     reset through /proc/self/clear_refs), what the gateway's VmHWM pays
//     at start on top of the binary. It is left out where /proc cannot
//     reset the mark.
//
// The data is read once, outside the loop: a Source hands the Set bytes.
func BenchmarkLoadMemory(b *testing.B) {
	data := sharedFile(b, "azure-public-2025-10-13.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var retained, peak float64
	peakOK := true
	var keep *Catalog
	for b.Loop() {
		keep = nil
		b.StopTimer()
		before, rss0, ok := settle()
		b.StartTimer()
		doc, err := Parse("bench", data)
		if err != nil {
			b.Fatal(err)
		}
		keep = NewCatalog(doc)
		b.StopTimer()
		hwm, err := procStatusKB("VmHWM")
		peakOK = peakOK && ok && err == nil
		peak = max(peak, float64(hwm-rss0)/1024)
		after := liveHeap()
		retained = max(retained, float64(int64(after)-int64(before))/(1<<20))
		b.StartTimer()
	}
	runtime.KeepAlive(keep)
	b.ReportMetric(retained, "retained-MiB")
	if peakOK {
		b.ReportMetric(peak, "peak-rss-MiB")
	}
}

// settle collects garbage, returns freed memory to the OS and resets the
// resident-set high-water mark, and returns the live heap and VmRSS (kB)
// then. ok is false when the mark could not be reset.
func settle() (live uint64, rssKB int64, ok bool) {
	live = liveHeap()
	debug.FreeOSMemory()
	ok = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	rssKB, err := procStatusKB("VmRSS")
	return live, rssKB, ok && err == nil
}

// liveHeap returns the bytes of live heap objects after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// procStatusKB reads one "Name: N kB" field of /proc/self/status.
func procStatusKB(field string) (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read /proc/self/status: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(field+":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("parse /proc/self/status line %q: want N kB", sc.Text())
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, fmt.Errorf("read /proc/self/status: no %s line", field)
}
