package stress

import "unsafe"

// unsafePointer reads a kernel record (an inotify event) in place.
func unsafePointer(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }
