package parser

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/weirsql/weir/diag"
)

var posType = reflect.TypeOf(diag.Pos{})

// stripPos zeroes every position in the tree under v, so that trees parsed
// from differently laid out text compare equal.
func stripPos(v any) {
	stripValue(reflect.ValueOf(v))
}

func stripValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripValue(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stripValue(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == posType {
			if v.CanSet() {
				v.Set(reflect.Zero(posType))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			stripValue(v.Field(i))
		}
	}
}

// dump prints a tree compactly for test failures and expectations: type
// names, then the fields that are not zero, positions left out.
//
//	Binary{Op:"+" Left:ColumnRef{Column:a} Right:Literal{Kind:LitInt Value:"1"}}
func dump(v any) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(v))
	return b.String()
}

var litKinds = map[LitKind]string{LitNull: "LitNull", LitBool: "LitBool", LitInt: "LitInt", LitFloat: "LitFloat", LitString: "LitString"}

func dumpValue(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("nil")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dumpValue(b, v.Elem())
	case reflect.Slice:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			dumpValue(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.Struct:
		if id, ok := v.Interface().(Ident); ok {
			if id.Quoted {
				b.WriteString(quoteIdent(id.Name))
			} else {
				b.WriteString(id.Name)
			}
			return
		}
		b.WriteString(v.Type().Name() + "{")
		first := true
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if f.Type() == posType || f.IsZero() {
				continue
			}
			if !first {
				b.WriteString(" ")
			}
			first = false
			b.WriteString(v.Type().Field(i).Name + ":")
			dumpValue(b, f)
		}
		b.WriteString("}")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	case reflect.Int:
		switch k := v.Interface().(type) {
		case LitKind:
			b.WriteString(litKinds[k])
		case JoinKind:
			b.WriteString(k.String())
		default:
			fmt.Fprint(b, v.Interface())
		}
	default:
		fmt.Fprint(b, v.Interface())
	}
}

// parenthesize prints an expression with every operator application in
// parentheses, to test precedence and associativity.
func parenthesize(e Expr) string {
	switch e := e.(type) {
	case *Binary:
		return "(" + parenthesize(e.Left) + " " + e.Op + " " + parenthesize(e.Right) + ")"
	case *Unary:
		return "(" + e.Op + " " + parenthesize(e.X) + ")"
	case *IsNull:
		return "(" + parenthesize(e.X) + " IS " + not(e.Not) + "NULL)"
	case *IsBool:
		return "(" + parenthesize(e.X) + " IS " + not(e.Not) + strings.ToUpper(fmt.Sprint(e.Value)) + ")"
	case *In:
		var items []string
		for _, x := range e.List {
			items = append(items, parenthesize(x))
		}
		return "(" + parenthesize(e.X) + " " + not(e.Not) + "IN [" + strings.Join(items, ", ") + "])"
	case *Between:
		return "(" + parenthesize(e.X) + " " + not(e.Not) + "BETWEEN " + parenthesize(e.Lo) + " AND " + parenthesize(e.Hi) + ")"
	case *Like:
		s := "(" + parenthesize(e.X) + " " + not(e.Not) + "LIKE " + parenthesize(e.Pattern)
		if e.Escape != nil {
			s += " ESCAPE " + parenthesize(e.Escape)
		}
		return s + ")"
	}
	return Format(e)
}

// sortedKeys is for stable test output.
func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
