package petstore

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
)

// Pet is the example's resource.
type Pet struct {
	ID    int     `json:"id"`
	Type  string  `json:"type"`
	Price float64 `json:"price"`
}

// Store is an in-memory pet store; its methods are the backend logic that both the NATS
// backend and the direct HTTP server (used by `make bench` as the baseline) serve.
type Store struct {
	mu   sync.RWMutex
	pets map[int]Pet
	// encoded holds each pet's JSON, made once when it is added (pets never change), so
	// GET /pets/{petId} does not marshal per request. Callers must not modify it.
	encoded map[int][]byte
	next    int
}

// NewStore returns a store with three pets.
func NewStore() *Store {
	s := &Store{pets: map[int]Pet{}, encoded: map[int][]byte{}, next: 1}
	for _, p := range []Pet{{Type: "dog", Price: 249.99}, {Type: "cat", Price: 124.99}, {Type: "fish", Price: 0.99}} {
		s.add(p)
	}
	return s
}

func (s *Store) add(p Pet) Pet {
	p.ID = s.next
	s.next++
	s.pets[p.ID] = p
	s.encoded[p.ID], _ = json.Marshal(p)
	return p
}

// List answers GET /pets.
func (s *Store) List() []byte {
	s.mu.RLock()
	out := make([]Pet, 0, len(s.pets))
	for _, p := range s.pets {
		out = append(out, p)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Pet) int { return a.ID - b.ID })
	b, _ := json.Marshal(out)
	return b
}

// Get answers GET /pets/{petId}: the body, or ok=false for 404.
func (s *Store) Get(id string) (body []byte, ok bool) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil, false
	}
	s.mu.RLock()
	b, ok := s.encoded[n]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return b, true
}

// Create answers POST /pets; ok=false for an invalid body (400).
func (s *Store) Create(body []byte) ([]byte, bool) {
	var p Pet
	if err := json.Unmarshal(body, &p); err != nil || p.Type == "" {
		return nil, false
	}
	s.mu.Lock()
	p = s.add(p)
	b := s.encoded[p.ID]
	s.mu.Unlock()
	return b, true
}
