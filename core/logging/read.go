package logging

import (
	"errors"
	"io"
	"os"
)

// Errors of the log readers. Their texts are the XML-RPC fault names 4.2
// raises (BAD_ARGUMENTS 3, NO_FILE 20, FAILED 30); the rpc layer maps them
// with errors.Is. 4.2's NO_FILE fault string carries the path
// ("NO_FILE: /path/x.log"), which the caller knows.
var (
	ErrBadArguments = errors.New("BAD_ARGUMENTS")
	ErrNoFile       = errors.New("NO_FILE")
	ErrFailed       = errors.New("FAILED")
)

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ReadLog is readLog / readProcessStdoutLog / readProcessStderrLog on the
// file at path:
//
//   - path "" (no log file) or missing → ErrNoFile;
//   - offset < 0: the last -offset bytes (fewer if the file is shorter);
//     length must then be 0, else ErrBadArguments;
//   - offset >= 0: length bytes from offset, length 0 meaning to the end;
//     length < 0 → ErrBadArguments;
//   - an offset past the end gives no bytes; an unreadable file ErrFailed.
//
// The bytes are returned as stored; 4.2 decodes them as UTF-8 for the
// XML-RPC string.
func ReadLog(path string, offset, length int64) ([]byte, error) {
	if path == "" || !exists(path) {
		return nil, ErrNoFile
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, ErrFailed
	}
	defer f.Close()
	var start, n int64 // n < 0: to the end
	if offset < 0 {
		if length != 0 {
			return nil, ErrBadArguments
		}
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, ErrFailed
		}
		start = max(size+offset, 0)
		n = -offset
	} else {
		if length < 0 {
			return nil, ErrBadArguments
		}
		start, n = offset, length
		if length == 0 {
			n = -1
		}
	}
	data, err := readAt(f, start, n)
	if err != nil {
		return nil, ErrFailed
	}
	return data, nil
}

// readAt reads n bytes (n < 0: all) from off, fewer at the end of file.
func readAt(f *os.File, off, n int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		if st.IsDir() {
			return nil, errors.New("is a directory")
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return nil, err
		}
		var r io.Reader = f
		if n >= 0 {
			r = io.LimitReader(f, n)
		}
		return io.ReadAll(r)
	}
	avail := st.Size() - off
	if avail < 0 {
		avail = 0
	}
	if n < 0 || n > avail {
		n = avail
	}
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:got], nil
}

// TailLog is tailProcessStdoutLog / tailProcessStderrLog on the file at
// path (4.2's options.tailFile): up to length bytes ending at the end of
// the file, starting no earlier than offset. When the file holds more than
// offset+length bytes, overflow is true and the start moves up so that the
// bytes returned end at the end of the file. next is always the file size,
// the offset to pass on the next call. A missing or unreadable file (or
// path "") gives no bytes, next 0, no overflow for "" or missing, and the
// offset given back for a read error, as 4.2 does.
func TailLog(path string, offset, length int64) (data []byte, next int64, overflow bool) {
	if path == "" || !exists(path) {
		return nil, 0, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, offset, false
	}
	defer f.Close()
	sz, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, offset, false
	}
	if sz > offset+length {
		overflow = true
		offset = sz - 1
	}
	if offset+length > sz {
		if offset > sz-1 {
			length = 0
		}
		offset = sz - length
	}
	offset = max(offset, 0)
	length = max(length, 0)
	if length > 0 {
		data, err = readAt(f, offset, length)
		if err != nil {
			return nil, offset, false
		}
	}
	return data, sz, overflow
}
