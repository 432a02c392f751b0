package xmlrpc

import (
	"context"
	"errors"
	"fmt"
)

// Multicall runs calls the way Supervisor 4.2's system.multicall does, for
// whoever registers system.multicall:
//
//   - each call is a struct {methodName, params}; calls run in order, each
//     finishing (including any wait) before the next starts;
//   - each result is the method's bare return value — not wrapped in a
//     one-element array, whatever the XML-RPC multicall convention says —
//     or a fault as a {faultCode, faultString} struct (a *Fault value);
//   - a missing methodName is INCORRECT_PARAMETERS "No methodName", a nested
//     system.multicall is INCORRECT_PARAMETERS "Recursive system.multicall
//     forbidden", a non-fault error is FAILED with the error's text.
//
// A call that is not a struct makes the whole request fail (Supervisor
// answers it with HTTP 500); Multicall returns a non-fault error then.
func (r *Registry) Multicall(ctx context.Context, calls []Value) ([]Value, error) {
	results := make([]Value, 0, len(calls))
	for _, c := range calls {
		call, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("system.multicall: call is a %T, not a struct", c)
		}
		results = append(results, r.callOne(ctx, call))
	}
	return results, nil
}

func (r *Registry) callOne(ctx context.Context, call map[string]any) Value {
	nameV, ok := call["methodName"]
	if !ok || nameV == nil {
		return NewFaultf(FaultIncorrectParameters, "No methodName")
	}
	name, ok := nameV.(string)
	if !ok {
		return &Fault{Code: FaultFailed, String: fmt.Sprintf("FAILED: methodName is a %T, not a string", nameV)}
	}
	if name == "system.multicall" {
		return NewFaultf(FaultIncorrectParameters, "Recursive system.multicall forbidden")
	}
	var params []Value
	switch p := call["params"].(type) {
	case nil:
		params = []Value{}
	case []any:
		params = p
	default:
		return NewFault(FaultIncorrectParameters)
	}
	v, err := r.Call(ctx, name, params)
	if err != nil {
		var f *Fault
		if errors.As(err, &f) {
			return f
		}
		return &Fault{Code: FaultFailed, String: "FAILED: " + err.Error()}
	}
	return v
}
