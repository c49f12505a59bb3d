package jwks

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Errors of Fetcher.
var (
	ErrUnknownKey = errors.New("jwks: no key with that kid")
	ErrInsecure   = errors.New("jwks: URL is not https")
	ErrTooMany    = errors.New("jwks: too many key set URLs")
)

// FetcherConfig bounds a Fetcher.
type FetcherConfig struct {
	Timeout    time.Duration // one HTTP request
	Refresh    time.Duration // a key set older than this is fetched again
	MinRefresh time.Duration // an unknown kid refetches at most this often per URL
	MaxBytes   int64         // one key set or discovery document
	MaxURLs    int           // key sets and issuers kept
	AllowHTTP  bool          // accept http:// URLs (tests, loopback issuers)
}

// Fetcher fetches key sets and OpenID Connect discovery documents, caches them and refetches
// them when they age or when a token names a kid they lack (key rotation). A failed refetch
// keeps serving the last good set. It is safe for concurrent use.
type Fetcher struct {
	cfg    FetcherConfig
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	sets    map[string]*setEntry
	issuers map[string]*issuerEntry
}

type setEntry struct {
	mu      sync.Mutex // held during a fetch: one fetch per URL at a time
	set     *Set
	fetched time.Time // last attempt
}

type issuerEntry struct {
	mu      sync.Mutex
	jwksURI string
	fetched time.Time
}

// NewFetcher returns a fetcher. client may be nil (a client with cfg.Timeout is made).
func NewFetcher(cfg FetcherConfig, client *http.Client, now func() time.Time) *Fetcher {
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	if now == nil {
		now = time.Now
	}
	return &Fetcher{cfg: cfg, client: client, now: now, sets: map[string]*setEntry{}, issuers: map[string]*issuerEntry{}}
}

// Key returns the key kid of the key set at uri.
func (f *Fetcher) Key(ctx context.Context, uri, kid string) (crypto.PublicKey, error) {
	if err := f.checkURL(uri); err != nil {
		return nil, err
	}
	f.mu.Lock()
	e, ok := f.sets[uri]
	if !ok {
		if len(f.sets) >= f.cfg.MaxURLs {
			f.mu.Unlock()
			return nil, ErrTooMany
		}
		e = &setEntry{}
		f.sets[uri] = e
	}
	f.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := f.now()
	age := now.Sub(e.fetched)
	if e.set != nil && age < f.cfg.Refresh {
		if k, ok := e.set.Key(kid); ok {
			return k, nil
		}
		if age < f.cfg.MinRefresh {
			return nil, ErrUnknownKey
		}
	}
	e.fetched = now
	set, err := f.fetchSet(ctx, uri)
	if err != nil {
		if e.set != nil {
			if k, ok := e.set.Key(kid); ok {
				return k, nil // stale but good
			}
		}
		return nil, err
	}
	e.set = set
	if k, ok := set.Key(kid); ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// JWKSURI returns the jwks_uri of issuer's OpenID Connect discovery document.
func (f *Fetcher) JWKSURI(ctx context.Context, issuer string) (string, error) {
	if err := f.checkURL(issuer); err != nil {
		return "", err
	}
	f.mu.Lock()
	e, ok := f.issuers[issuer]
	if !ok {
		if len(f.issuers) >= f.cfg.MaxURLs {
			f.mu.Unlock()
			return "", ErrTooMany
		}
		e = &issuerEntry{}
		f.issuers[issuer] = e
	}
	f.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := f.now()
	if e.jwksURI != "" && now.Sub(e.fetched) < f.cfg.Refresh {
		return e.jwksURI, nil
	}
	if e.jwksURI == "" && now.Sub(e.fetched) < f.cfg.MinRefresh {
		return "", fmt.Errorf("jwks: discovery of %s failed recently", issuer)
	}
	e.fetched = now
	body, err := f.get(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		if e.jwksURI != "" {
			return e.jwksURI, nil
		}
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("jwks: discovery document of %s: %w", issuer, err)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("jwks: discovery document of %s has no jwks_uri", issuer)
	}
	if err := f.checkURL(doc.JWKSURI); err != nil {
		return "", err
	}
	e.jwksURI = doc.JWKSURI
	return e.jwksURI, nil
}

func (f *Fetcher) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("jwks: bad URL %q", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && f.cfg.AllowHTTP:
		return nil
	default:
		return fmt.Errorf("%w: %q", ErrInsecure, raw)
	}
}

func (f *Fetcher) fetchSet(ctx context.Context, uri string) (*Set, error) {
	body, err := f.get(ctx, uri)
	if err != nil {
		return nil, err
	}
	return Parse(body)
}

func (f *Fetcher) get(ctx context.Context, uri string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: fetching %s: %w", uri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: fetching %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwks: reading %s: %w", uri, err)
	}
	if int64(len(body)) > f.cfg.MaxBytes {
		return nil, fmt.Errorf("jwks: %s is larger than %d bytes", uri, f.cfg.MaxBytes)
	}
	return body, nil
}
