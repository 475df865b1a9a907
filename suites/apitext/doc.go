// Package apitext holds the sentences of Gateway API that xbcheck's levels
// come from, each with the document and release it is quoted from. Every
// scenario declares the sentence it checks (harness.Scenario.Source), so a vendor
// reading a failure can find the text it rests on; a level that no sentence
// here supports is xbcheck's own judgement and says so.
package apitext
