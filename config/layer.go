package config

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// Layering: a config file is laid over the embedded defaults, so that
// adding a notifier or an action never means copying the default rules.
// Its rules: are added to the defaults', a rule named as a default one
// replaces it, `disable:` drops default rules by name, and `defaults:
// false` drops them all (the file's rules alone then run). Other top-level
// sections the defaults may hold are merged by key, the file's winning
// (settings: by setting; a mapping of named blocks by name). The merge is
// done on the YAML trees before decoding, so the file's rules may use
// what the defaults define, and every error still names the file and line
// it comes from: nodes of the defaults report defaults.yaml.

// layerKeys are the top-level keys that steer the layering.
const (
	keyDefaults = "defaults"
	keyDisable  = "disable"
)

// layer lays doc, a config file's top-level mapping, over the embedded
// defaults, in place. It records the defaults' nodes for errors and the
// rules' origins; problems with the layering keys are reported at their
// lines.
func (d *decoder) layer(doc *yaml.Node) {
	if doc == nil || doc.Kind != yaml.MappingNode {
		return
	}
	keep := true
	var disable []string
	var disableNode *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], deref(doc.Content[i+1])
		switch k.Value {
		case keyDefaults:
			if b, ok := d.boolean(v, keyDefaults); ok {
				keep = b
			}
		case keyDisable:
			disableNode = v
			if list, ok := d.strings(v, keyDisable); ok {
				disable = list
			}
		}
	}
	var defRoot yaml.Node
	if err := yaml.Unmarshal(defaultYAML, &defRoot); err != nil || len(defRoot.Content) == 0 {
		panic("embedded defaults are not YAML") // a bug, caught by tests
	}
	defDoc := defRoot.Content[0]
	d.defaultNodes = map[*yaml.Node]bool{}
	markNodes(defDoc, d.defaultNodes)
	if !keep {
		if disableNode != nil {
			d.errorf(disableNode, keyDisable, "nothing to disable: defaults: false already leaves out every default rule")
		}
		// The embedded matchers stay: the vocabulary, not the rules.
		if dm := mappingValue(defDoc, "matchers"); dm != nil {
			um := mappingValue(doc, "matchers")
			switch {
			case um == nil:
				setMappingValue(doc, "matchers", dm)
			case um.Kind == yaml.MappingNode:
				m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: um.Line, Column: um.Column}
				m.Content = append(m.Content, um.Content...)
				for j := 0; j+1 < len(dm.Content); j += 2 {
					if mappingValue(um, dm.Content[j].Value) == nil {
						m.Content = append(m.Content, dm.Content[j], dm.Content[j+1])
					}
				}
				setMappingValue(doc, "matchers", m)
			}
		}
		return
	}

	// The defaults' rules, by name, in their order.
	defRules := mappingValue(defDoc, "rules")
	d.defaultIndex = map[*yaml.Node]int{}
	d.defaultRules = map[string]bool{}
	var defItems []*yaml.Node
	if defRules != nil {
		for i, item := range defRules.Content {
			item = deref(item)
			d.defaultIndex[item] = i
			d.defaultRules[d.ruleName(item)] = true
			defItems = append(defItems, item)
		}
	}
	for i, name := range disable {
		if !d.defaultRules[name] {
			d.errorf(disableNode, keyDisable, "no default rule is named %q (disable[%d]); `sentinel check` lists them", name, i)
		}
	}
	d.disabled = disable

	// The file's rules first, in its order (so that rules[i] in an error
	// is the file's i-th), then the defaults neither replaced nor disabled.
	userRules := mappingValue(doc, "rules")
	merged := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	named := map[string]bool{}
	if userRules != nil && userRules.Kind == yaml.SequenceNode {
		merged.Line, merged.Column = userRules.Line, userRules.Column
		for _, item := range userRules.Content {
			merged.Content = append(merged.Content, item)
			named[d.ruleName(deref(item))] = true
		}
	} else if userRules != nil && !(userRules.Kind == yaml.ScalarNode && userRules.Tag == "!!null") {
		return // not a list: decoding reports it
	}
	for i, name := range disable {
		if named[name] {
			d.errorf(disableNode, keyDisable, "%q (disable[%d]) is also a rule of this file: remove one", name, i)
		}
	}
	for _, item := range defItems {
		if name := d.ruleName(item); !named[name] && !slices.Contains(disable, name) {
			merged.Content = append(merged.Content, item)
		}
	}
	setMappingValue(doc, "rules", merged)

	// Other sections of the defaults: the file's keys win.
	for i := 0; i+1 < len(defDoc.Content); i += 2 {
		key, dv := defDoc.Content[i].Value, deref(defDoc.Content[i+1])
		if key == "rules" {
			continue
		}
		uv := mappingValue(doc, key)
		switch {
		case uv == nil:
			setMappingValue(doc, key, dv)
		case uv.Kind == yaml.MappingNode && dv.Kind == yaml.MappingNode:
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: uv.Line, Column: uv.Column}
			m.Content = append(m.Content, uv.Content...)
			for j := 0; j+1 < len(dv.Content); j += 2 {
				if mappingValue(uv, dv.Content[j].Value) == nil {
					m.Content = append(m.Content, dv.Content[j], dv.Content[j+1])
				}
			}
			setMappingValue(doc, key, m)
		}
	}
}

// fileOf returns the file a node comes from: the embedded defaults', or
// the config file's.
func (d *decoder) fileOf(n *yaml.Node) string {
	if n != nil && d.defaultNodes[n] {
		return DefaultFile
	}
	return d.file
}

// markNodes records n and every node under it.
func markNodes(n *yaml.Node, set map[*yaml.Node]bool) {
	if n == nil || set[n] {
		return
	}
	set[n] = true
	for _, c := range n.Content {
		markNodes(c, set)
	}
}

// mappingValue returns the value of key in mapping m, nil when absent.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

// setMappingValue sets key's value in mapping m, adding the key at the
// end when absent.
func setMappingValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: v.Line}, v)
}

// ruleName returns the name: of a rule item, with its ${NAME} references
// expanded as decoding will (a rule named ${RULE} replaces the default
// that RULE names), "" without one. A bad reference is reported by the
// decoding, not here.
func (d *decoder) ruleName(item *yaml.Node) string {
	n := mappingValue(item, "name")
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	quiet := &decoder{file: d.file, lookup: d.lookup}
	if s, ok := quiet.expand(n, "name", n.Value); ok {
		return s
	}
	return n.Value
}
