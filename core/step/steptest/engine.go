package steptest

import "github.com/ksefkit/ksefkit/core/step"

// Engine is the Core of a step.Engine.
type Engine struct{ E *step.Engine }

func (e Engine) Resume(op uint64, answer, data []byte) []byte {
	return e.E.ResumeData(op, answer, data)
}

func (e Engine) EventData(op uint64) []byte {
	b, _ := e.E.EventData(op)
	return b
}

func (e Engine) Cancel(op uint64) []byte { return e.E.Cancel(op) }
