package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// slogSink is the audit queue's sink when Config.Audit is unset: it turns
// the queued JSON lines back into records of Config.Logger's handler, so
// audit through a Logger gets the same bounded, collapsing, non-blocking
// queue. Only the queue's writer goroutine calls it.
type slogSink struct{ h slog.Handler }

// auditJSON is one queued line, as appendAuditLine writes it.
type auditJSON struct {
	Time   time.Time `json:"time"`
	Msg    string    `json:"msg"`
	Route  string    `json:"route"`
	Client string    `json:"client"`
	// ClientPrefix is set on a collapsed IPv6 line only.
	ClientPrefix string `json:"clientPrefix"`
	Peer         string `json:"peer"`
	SNI          string `json:"sni"`
	Reason       string `json:"reason"`
	Version      string `json:"version"`
	Count        int    `json:"count"`
}

// Write hands each line of p to the handler as an INFO record with the
// line's own time. A line that does not decode is skipped (it cannot
// happen: the encoder is fuzzed against slog's).
func (s slogSink) Write(p []byte) (int, error) {
	n := len(p)
	ctx := context.Background()
	for len(p) > 0 {
		var line []byte
		line, p, _ = bytes.Cut(p, []byte{'\n'})
		var l auditJSON
		if err := json.Unmarshal(line, &l); err != nil {
			continue
		}
		rec := slog.NewRecord(l.Time, slog.LevelInfo, l.Msg, 0)
		rec.AddAttrs(slog.String("route", l.Route), slog.String("client", l.Client))
		if l.ClientPrefix != "" {
			rec.AddAttrs(slog.String("clientPrefix", l.ClientPrefix))
		}
		rec.AddAttrs(
			slog.String("peer", l.Peer),
			slog.String("sni", l.SNI),
			slog.String("reason", l.Reason),
			slog.String("version", l.Version),
			slog.Int("count", l.Count),
		)
		s.h.Handle(ctx, rec)
	}
	return n, nil
}
