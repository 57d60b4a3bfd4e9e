package cdr

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
)

// load reads one file's records into the index, oldest first. It returns
// the file's size and the end of its last whole line (less when the file
// ends in a torn record); err when the file exists but cannot be read.
func (s *Store) load(path string) (size, end int64, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	rd := bufio.NewReaderSize(f, maxLine)
	var (
		ln        line
		bad, read int
		torn      bool
	)
	for {
		b, rerr := rd.ReadSlice('\n')
		size += int64(len(b))
		long := false
		for errors.Is(rerr, bufio.ErrBufferFull) { // longer than any record: skip to its end
			long = true
			b, rerr = rd.ReadSlice('\n')
			size += int64(len(b))
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				return size, end, rerr
			}
			torn = size > end
			break
		}
		end = size
		if long || len(bytes.TrimSpace(b)) == 0 {
			bad++
			continue
		}
		ln = line{}
		if err := json.Unmarshal(b, &ln); err != nil {
			bad++
			continue
		}
		r, err := ln.record()
		if err != nil {
			bad++
			continue
		}
		s.index.push(r)
		s.lastID = max(s.lastID, r.ID)
		read++
	}
	if bad > 0 || torn {
		s.log.Warn("cdr: skipped unreadable records", "file", path, "lines", bad, "torn_end", torn, "read", read)
	}
	return size, end, nil
}
