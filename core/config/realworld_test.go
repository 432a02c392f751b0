package config

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"super/core/testbin"
)

// Every real-world config (see testbin.RealworldConfigs) loads as under
// 4.2: refused with 4.2's error (super's additions masked: the key and
// line, and advice after it), or accepted with the same model. core/stress
// runs them too.
func TestRealworldConfigsLoadAsUnder42(t *testing.T) {
	_, files := testbin.RealworldConfigs(t)
	want := oracle(t, "load", files...)
	for i, f := range files {
		base := filepath.Base(f)
		cfg, err := Load(f)
		w := normalizeOracle(want[i])
		if pyErr, ok := w["error"].(string); ok {
			if err == nil {
				t.Errorf("%s: super accepts, 4.2 refuses: %s", base, pyErr)
			} else if !strings.HasPrefix(testbin.MaskConfigLocation(err.Error()), pyErr) {
				t.Errorf("%s: error text differs\n super: %s\n 4.2:   %s", base, err, pyErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: super refuses, 4.2 accepts: %v", base, err)
			continue
		}
		gb, _ := json.Marshal(jsonRoundTrip(t, serverView(cfg)))
		wb, _ := json.Marshal(jsonRoundTrip(t, w))
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s: loads differently\n super: %s\n 4.2:   %s", base, gb, wb)
		}
	}
}
