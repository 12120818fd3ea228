package cmdutil

import "path/filepath"

// absPath makes a path given on the command line absolute, so that a
// profile saved from it works from any directory (ksef2 reads relative
// paths from the current directory).
func absPath(p string) string {
	if p == "" || filepath.IsAbs(p) || p[0] == '~' {
		return p
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
