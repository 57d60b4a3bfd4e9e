// Package dialplan decides what dialled digits mean. One table of patterns
// (extensions, feature codes, trunk prefixes, app numbers) answers digit
// collection's one question: is this number complete, does it need more
// digits, or can it never match? So an analog phone connects the moment its
// number is unambiguous and hears congestion the moment it cannot match.
package dialplan
