package servicetag

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of the parse phase.
var (
	// ErrNotJSON is returned (inside a *DocumentError) when a document is
	// not JSON at all, such as an HTML error page served with status 200.
	ErrNotJSON = errors.New("not a JSON document")
	// ErrEmpty is returned (inside a *DocumentError) for a 0-byte or
	// whitespace-only document.
	ErrEmpty = errors.New("empty document")
	// ErrPartial is returned (inside a *DocumentError) by Parse for a
	// discovery-API page whose nextLink is set.
	ErrPartial = errors.New("one page of a paged discovery-API response")
)

// Errors of the refresh phase.
var (
	// ErrRegression is returned by Keeper.Refresh when the fetched document's
	// top-level changeNumber is lower than the one in force and force is false.
	ErrRegression = errors.New("changeNumber regression")
	// ErrNoSource is returned by Keeper.Refresh when the Keeper has no Source.
	ErrNoSource = errors.New("no service-tag source configured")
)

// Errors of a Set's update checks and operator operations.
var (
	// ErrHeld is returned (wrapped with the reasons) when a document was
	// valid but failed the update checks and is held instead of installed.
	ErrHeld = errors.New("service-tag document held")
	// ErrNoHold is returned by Set.Accept when the source holds nothing.
	ErrNoHold = errors.New("no held service-tag document")
	// ErrUnknownSource is returned for a source location the Set lacks.
	ErrUnknownSource = errors.New("no such service-tag source")
	// ErrUnknownVersion is returned by Set.Pin for a tag version the Set
	// has not seen (in force, held, previous, or embedded).
	ErrUnknownVersion = errors.New("service-tag version not seen")
	// ErrNotPinned is returned by Set.Unpin for a tag that is not pinned.
	ErrNotPinned = errors.New("service tag not pinned")
)

// maxProblems caps how many problems one DocumentError lists.
const maxProblems = 20

// DocumentError reports every problem found in one document (up to a cap).
// It unwraps to the individual problems, so errors.Is(err, ErrNotJSON) works.
type DocumentError struct {
	Name     string  // the file name or URL given to Parse
	Problems []error // at most maxProblems, in document order
	Omitted  int     // problems found beyond the cap
}

func (e *DocumentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "parse service tags %q: ", e.Name)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "; and %d more problems", e.Omitted)
	}
	return b.String()
}

// Unwrap returns the listed problems.
func (e *DocumentError) Unwrap() []error { return e.Problems }

// problems collects the errors of one document, capped at maxProblems.
type problems struct {
	errs    []error
	omitted int
}

func (p *problems) add(err error) {
	if len(p.errs) >= maxProblems {
		p.omitted++
		return
	}
	p.errs = append(p.errs, err)
}

func (p *problems) addf(format string, args ...any) { p.add(fmt.Errorf(format, args...)) }

func (p *problems) ok() bool { return len(p.errs) == 0 && p.omitted == 0 }

// err returns nil or a *DocumentError naming name.
func (p *problems) err(name string) error {
	if p.ok() {
		return nil
	}
	return &DocumentError{Name: name, Problems: p.errs, Omitted: p.omitted}
}
