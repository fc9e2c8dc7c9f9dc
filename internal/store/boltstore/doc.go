// Package boltstore implements store.Store in a single bbolt file: tagwall's
// embedded default.
//
// The file holds three buckets: "kv" maps each key to its value with its
// create and mod revisions; "log" maps each revision (8 bytes, big endian)
// to the event written at it; "meta" holds the store-wide revision counter
// and the compaction point. Every write is one bbolt transaction that checks
// its condition, takes the next revision, updates "kv", appends to "log" and
// trims "log" to the retention (WithRetention, default 10,000 revisions);
// a Watch from a revision older than what "log" keeps fails with
// store.ErrCompacted. Because the log is in the file, a Watch after a restart
// resumes from the revision the caller last saw.
//
// Watchers read the log themselves, in batches and outside any write, and
// are woken after each commit (no polling), so a slow watcher never blocks a
// writer; a watcher that falls behind the retention has its channel closed.
//
// Durability: by default every commit is fsynced before the write returns.
// WithNoSync trades that for speed: a crash may lose the latest writes (the
// file stays consistent). Store is safe for concurrent use; only one process
// may open a file at a time (Open waits WithOpenTimeout, default 1s, for the
// file lock, then fails with an *InUseError naming the holder's pid, found
// in /proc/locks or in the "<file>.pid" file Open writes).
//
// Damage is reported, not crashed on. Open locks an existing file and
// checks it before bbolt maps it: a structural walk with ordinary reads
// (valid meta page, a high-water mark the file covers, a well-formed
// freelist, B+tree pages whose ids, types and element offsets stay inside
// the file), then bbolt's Tx.Check and the decoding of every record. Files
// above DefaultQuickCheckAbove (64 MiB) get the quick mode: meta pages,
// freelist and bucket root pages only. Any problem is an *CorruptError
// (ErrCorrupt) naming the file and what to do; bbolt panics and memory
// faults during the check are recovered into one. A single invalid meta
// page (a commit cut by a crash) is bbolt's normal recovery and is only a
// note (Store.Notes). Check and BackupFile do the same without writing,
// for `tagwall store check` and `tagwall store backup`.
package boltstore
