package waf

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
)

// Validate checks an IP set: its name, IP version and every address, which must be a CIDR range
// (not /0) of that version. The error is a *ValidationError.
func (s *IPSet) Validate() error {
	if err := checkName("IP_SET", s.Name); err != nil {
		return err
	}
	if len(s.Description) > MaxDescriptionLen {
		return invalid("IP_SET", s.Description, fmt.Sprintf("The description must be at most %d characters", MaxDescriptionLen))
	}
	if s.IPAddressVersion != "IPV4" && s.IPAddressVersion != "IPV6" {
		return invalid("IP_ADDRESS_VERSION", s.IPAddressVersion, "IPAddressVersion must be IPV4 or IPV6")
	}
	if len(s.Addresses) > MaxIPSetAddresses {
		return invalid("ENTITY_LIMIT", strconv.Itoa(len(s.Addresses)), fmt.Sprintf("An IP set can hold at most %d addresses", MaxIPSetAddresses))
	}
	for _, a := range s.Addresses {
		if _, err := parseCIDR(a, s.IPAddressVersion == "IPV6"); err != nil {
			return err
		}
	}
	return nil
}

func parseCIDR(a string, v6 bool) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(a)
	if err != nil {
		return p, invalid("IP_ADDRESS", a, "An address must be a CIDR range such as 192.0.2.0/24 or 2001:db8::/32")
	}
	if p.Addr().Zone() != "" {
		return p, invalid("IP_ADDRESS", a, "An address must not carry a zone")
	}
	if p.Addr().Is4() == v6 {
		return p, invalid("IP_ADDRESS", a, "The address is not of the IP set's IPAddressVersion")
	}
	if p.Bits() == 0 {
		return p, invalid("IP_ADDRESS", a, "A /0 range is not allowed")
	}
	return p.Masked(), nil
}

// ipTable holds an IP set's ranges as masked prefixes, looked up once per prefix length in use.
type ipTable struct {
	v6       bool
	prefixes map[netip.Prefix]struct{}
	bits     []int // distinct prefix lengths, longest first
}

func newIPTable(s *IPSet) (*ipTable, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("IP set %s: %w", s.ARN, err)
	}
	t := &ipTable{v6: s.IPAddressVersion == "IPV6", prefixes: make(map[netip.Prefix]struct{}, len(s.Addresses))}
	for _, a := range s.Addresses {
		p, _ := parseCIDR(a, t.v6)
		if !slices.Contains(t.bits, p.Bits()) {
			t.bits = append(t.bits, p.Bits())
		}
		t.prefixes[p] = struct{}{}
	}
	slices.Sort(t.bits)
	slices.Reverse(t.bits)
	return t, nil
}

// contains reports whether a is in one of the ranges. An IPv4-mapped IPv6 address counts as IPv4.
func (t *ipTable) contains(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.Is6() != t.v6 {
		return false
	}
	for _, b := range t.bits {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		if _, ok := t.prefixes[p]; ok {
			return true
		}
	}
	return false
}
