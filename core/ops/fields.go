package ops

import (
	"reflect"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/secret"
)

// Field documents one JSON field of an operation's input or output.
type Field struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Optional bool   `json:"optional,omitempty"`
	// Secret marks a token, key or password: never printed, logged or put in
	// an error. In an output it is there because returning it is the
	// operation's purpose (auth.tokens.export, certs.generate_test).
	Secret bool    `json:"secret,omitempty"`
	Doc    string  `json:"doc,omitempty"`
	Fields []Field `json:"fields,omitempty"`
}

var (
	timeType         = reflect.TypeFor[time.Time]()
	secretStringType = reflect.TypeFor[secret.String]()
	secretBytesType  = reflect.TypeFor[secret.Bytes]()
)

// isSecret reports a field that holds a secret: of a secret type, or a
// plain string tagged secret:"exported" in a result that carries one out.
func isSecret(f reflect.StructField) bool {
	return f.Type == secretStringType || f.Type == secretBytesType || f.Tag.Get("secret") != ""
}

// Fields describes the JSON shape of t from its struct tags (json, doc).
func Fields(t reflect.Type) []Field { return fields(t, 0) }

func fields(t reflect.Type, depth int) []Field {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || depth > 4 {
		return nil
	}
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, fields(f.Type, depth)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		fd := Field{Name: name, Type: typeName(ft), Optional: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") || ft.Kind() == reflect.Pointer,
			Secret: isSecret(f), Doc: f.Tag.Get("doc")}
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != timeType && !isScalarStruct(ft) {
			fd.Fields = fields(ft, depth+1)
		}
		out = append(out, fd)
	}
	return out
}

// isScalarStruct reports struct types that marshal to a JSON scalar: the
// secret types (a string) and time.Time wrappers such as api.Time (a
// date-time). Other structs with a MarshalJSON keep their fields' shape.
func isScalarStruct(t reflect.Type) bool {
	if t == secretStringType || t == secretBytesType {
		return true
	}
	if _, ok := reflect.New(t).Interface().(interface{ MarshalJSON() ([]byte, error) }); !ok {
		return false
	}
	return t.NumField() == 1 && t.Field(0).Anonymous && t.Field(0).Type == timeType
}

func typeName(t reflect.Type) string {
	switch t {
	case secretStringType:
		return "string"
	case secretBytesType:
		return "base64"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64"
		}
		return typeName(t.Elem()) + "[]"
	case reflect.Map:
		return "object"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return "number"
	case reflect.Interface:
		return "any"
	case reflect.Struct:
		if t == timeType || isScalarStruct(t) {
			return "date-time"
		}
		return "object"
	}
	return t.Kind().String()
}
