package faults

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	set, err := Parse(" skip-san-check, ,follow-rebind,skip-san-check")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !set.Has(SkipSANCheck) || !set.Has(FollowRebind) || set.Has(NoSNI) {
		t.Errorf("Parse gave %v, want skip-san-check and follow-rebind only", set)
	}
	if got, want := set.String(), "follow-rebind,skip-san-check"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestParseEmpty(t *testing.T) {
	set, err := Parse("")
	if err != nil || len(set) != 0 || set.String() != "" {
		t.Errorf("Parse(\"\") = %v, %v; want an empty set", set, err)
	}
}

func TestParseUnknownNamesItAndTheValidOnes(t *testing.T) {
	_, err := Parse("no-sni,skip-everything")
	if err == nil {
		t.Fatal("Parse accepted skip-everything")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, `"skip-everything"`) {
		t.Errorf("error %q must be one line naming the unknown fault", msg)
	}
	for _, info := range All() {
		if !strings.Contains(msg, string(info.Name)) {
			t.Errorf("error %q does not list valid fault %s", msg, info.Name)
		}
	}
}

func TestStringRoundTrips(t *testing.T) {
	every := Set{}
	for _, info := range All() {
		every[info.Name] = true
	}
	back, err := Parse(every.String())
	if err != nil || len(back) != len(every) {
		t.Fatalf("Parse(String()) = %v, %v; want all %d faults", back, err, len(every))
	}
}

func TestAllAreDescribedInOneLine(t *testing.T) {
	seen := map[Fault]bool{}
	for _, info := range All() {
		if seen[info.Name] {
			t.Errorf("fault %s listed twice", info.Name)
		}
		seen[info.Name] = true
		if info.Description == "" || strings.Contains(info.Description, "\n") {
			t.Errorf("fault %s: description %q must be one non-empty line", info.Name, info.Description)
		}
	}
	if len(seen) < 35 {
		t.Errorf("%d faults, issue 12 asks for at least 35", len(seen))
	}
}

func TestChoicesHaveTheirSentence(t *testing.T) {
	groups := map[string]int{}
	for _, c := range Choices() {
		where, text, ok := strings.Cut(c.Sentence, ": ")
		if !ok || where == "" || len(text) < 20 || strings.Contains(c.Sentence, "\n") {
			t.Errorf("choice %s: sentence %q must read \"Where: text\" on one line", c.Name, c.Sentence)
		}
		if !Choice(c.Name) || !known(c.Name) {
			t.Errorf("choice %s is not known as a choice", c.Name)
		}
		if c.Group != "" {
			groups[c.Group]++
		}
	}
	for g, n := range groups {
		if n < 2 {
			t.Errorf("group %q has %d choice: a group names choices that exclude each other", g, n)
		}
	}
	if n := len(Choices()); n < 20 {
		t.Errorf("%d choices, issue 21 asks for at least 20", n)
	}
	if Choice(SkipSANCheck) {
		t.Error("a fault is taken for a choice")
	}
}
