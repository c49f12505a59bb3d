// Package jwks parses JSON Web Key Sets (RFC 7517) into public keys and fetches them over
// HTTP(S) with a bounded cache, as a JWT authorizer needs them.
package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// Limits of a key set.
const (
	MaxKeys    = 100
	maxRSABits = 8192
	minRSABits = 2048
)

// ErrMalformed is returned for a key set that does not parse.
var ErrMalformed = errors.New("jwks: malformed key set")

// Set is a parsed key set: the usable signing keys by key id. Keys without a kid are kept
// apart and tried for tokens without one.
type Set struct {
	byKID  map[string]crypto.PublicKey
	noKID  []crypto.PublicKey
	length int
}

// Len is the number of usable keys.
func (s *Set) Len() int { return s.length }

// Key returns the key for kid. With an empty kid it returns the only key without a kid, or
// the only key of the set.
func (s *Set) Key(kid string) (crypto.PublicKey, bool) {
	if kid != "" {
		k, ok := s.byKID[kid]
		return k, ok
	}
	if len(s.noKID) == 1 {
		return s.noKID[0], true
	}
	if s.length == 1 {
		for _, k := range s.byKID {
			return k, true
		}
	}
	return nil, false
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// Parse decodes a key set. Keys that are not for signatures ("use" other than "sig"), or of a
// type or curve it does not know, are skipped; a key of a known type that does not decode
// fails the whole set.
func Parse(data []byte) (*Set, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(doc.Keys) > MaxKeys {
		return nil, fmt.Errorf("%w: %d keys, at most %d", ErrMalformed, len(doc.Keys), MaxKeys)
	}
	s := &Set{byKID: map[string]crypto.PublicKey{}}
	for i, raw := range doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrMalformed, i, err)
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub, err := k.public()
		if err != nil {
			return nil, fmt.Errorf("%w: key %d (%q): %v", ErrMalformed, i, k.Kid, err)
		}
		if pub == nil {
			continue
		}
		if k.Kid == "" {
			s.noKID = append(s.noKID, pub)
		} else {
			if _, dup := s.byKID[k.Kid]; dup {
				return nil, fmt.Errorf("%w: duplicate kid %q", ErrMalformed, k.Kid)
			}
			s.byKID[k.Kid] = pub
		}
		s.length++
	}
	return s, nil
}

func (k *jwk) public() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64int(k.N)
		if err != nil {
			return nil, fmt.Errorf("n: %w", err)
		}
		e, err := b64int(k.E)
		if err != nil {
			return nil, fmt.Errorf("e: %w", err)
		}
		if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("RSA modulus of %d bits", bits)
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, errors.New("RSA exponent out of range")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, nil
		}
		x, err := b64bytes(k.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		y, err := b64bytes(k.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, errors.New("EC coordinates of the wrong size")
		}
		point := make([]byte, 0, 1+2*size)
		point = append(point, 4)
		point = append(point, x...)
		point = append(point, y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, err
		}
		return pub, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, nil
		}
		x, err := b64bytes(k.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("Ed25519 key of the wrong size")
		}
		return ed25519.PublicKey(x), nil
	default:
		return nil, nil
	}
}

func b64bytes(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	return base64.RawURLEncoding.DecodeString(s)
}

func b64int(s string) (*big.Int, error) {
	b, err := b64bytes(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}
