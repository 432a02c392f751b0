package api

import "net/http"

// Rotate on demand (issue 26): the log files of a process, of a group's
// processes, or of every process and the activity log, rotated now
// (super.rotateLogs). The answer lists the outcome for each, as the
// group actions do; HTTP 200 even when some failed.

func (h *Handler) rotateProcessLogs(w http.ResponseWriter, q *request) {
	spec, err := processSpec(q)
	if err != nil {
		writeError(w, err)
		return
	}
	h.rotate(w, q, spec, false)
}

func (h *Handler) rotateGroupLogs(w http.ResponseWriter, q *request) {
	h.rotate(w, q, q.params["group"]+":*", false)
}

func (h *Handler) rotateAllLogs(w http.ResponseWriter, q *request) {
	h.rotate(w, q, "", true)
}

func (h *Handler) rotate(w http.ResponseWriter, q *request, spec string, mainLog bool) {
	if err := q.decode(&struct{}{}); err != nil {
		writeError(w, err)
		return
	}
	rs, err := h.rpc.RotateLogs(spec, mainLog)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Results{Results: toResults(rs)})
}
