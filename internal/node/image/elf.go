package image

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// libraryDirs are searched, in order, for the shared libraries an
// executable needs (Debian's multiarch folders first).
func libraryDirs() []string {
	return []string{
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
		"/lib64", "/usr/lib64", "/lib", "/usr/lib",
	}
}

// Executable returns the files an image needs to run the executable at
// path as dest: the executable itself and, when it is dynamically linked,
// its ELF interpreter and every shared library it loads (directly or
// through other libraries), each at the path where the host has it.
func Executable(path, dest string) ([]File, error) {
	files := []File{{Path: dest, Source: path}}
	interp, needed, err := dynamic(path)
	if err != nil {
		return nil, err
	}
	if interp == "" {
		return files, nil
	}
	files = append(files, File{Path: interp, Source: interp})
	seen := map[string]bool{}
	for len(needed) > 0 {
		lib := needed[0]
		needed = needed[1:]
		if seen[lib] {
			continue
		}
		seen[lib] = true
		found, err := findLibrary(lib)
		if err != nil {
			return nil, fmt.Errorf("%s needs %s: %w", path, lib, err)
		}
		files = append(files, File{Path: found, Source: found})
		_, more, err := dynamic(found)
		if err != nil {
			return nil, err
		}
		needed = append(needed, more...)
	}
	return files, nil
}

// dynamic reads an ELF file's interpreter and the libraries it names.
func dynamic(path string) (interp string, needed []string, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("read %s as an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", nil, fmt.Errorf("read the interpreter of %s: %w", path, err)
			}
			interp = string(b[:len(b)-1])
		}
	}
	needed, err = f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return "", nil, fmt.Errorf("read the libraries of %s: %w", path, err)
	}
	return interp, needed, nil
}

func findLibrary(lib string) (string, error) {
	for _, d := range libraryDirs() {
		p := filepath.Join(d, lib)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found in %v", libraryDirs())
}
