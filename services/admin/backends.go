package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// GET /portico/backends: the backends on the bus, found as nats micro services answer
// $SRV.STATS (every pkg/backend service does), and, for every stage's bus integration
// (NATS_PROXY, NATS, AWS_PROXY to a Lambda function), how many of those instances serve its
// subject. An integration with none answers 503 at the edge until one starts.

// Bounds of a discovery round.
const (
	discoverWait  = 2 * time.Second        // the longest a round takes
	discoverQuiet = 250 * time.Millisecond // a round ends this long after the last answer
	maxBackends   = 1000                   // instances read at most
)

type backendView struct {
	Name      string             `json:"name"`
	ID        string             `json:"id"`
	Version   string             `json:"version"`
	Started   time.Time          `json:"started"`
	Endpoints []backendEndpointV `json:"endpoints"`
}

type backendEndpointV struct {
	Name                  string `json:"name"`
	Subject               string `json:"subject"`
	QueueGroup            string `json:"queueGroup,omitempty"`
	Requests              int    `json:"requests"`
	Errors                int    `json:"errors"`
	LastError             string `json:"lastError,omitempty"`
	AverageProcessingTime string `json:"averageProcessingTime"`
}

type integrationHealth struct {
	APIID     string `json:"apiId"`
	Stage     string `json:"stage"`
	Route     string `json:"route"`
	Type      string `json:"type"`
	Subject   string `json:"subject"`
	Instances int    `json:"instances"`
}

func (s *Service) backends(ctx context.Context, st *store, _ *http.Request, _ []byte) (int, any, error) {
	found, err := discoverBackends(ctx, s.nc)
	if err != nil {
		return 0, nil, err
	}
	health, err := integrationSubjects(ctx, st)
	if err != nil {
		return 0, nil, err
	}
	for i := range health {
		for _, b := range found {
			if slices.ContainsFunc(b.Endpoints, func(e backendEndpointV) bool { return subjectMatches(e.Subject, health[i].Subject) }) {
				health[i].Instances++
			}
		}
	}
	return http.StatusOK, map[string]any{"backends": found, "integrations": health}, nil
}

// discoverBackends asks every micro service on the bus for its stats.
func discoverBackends(ctx context.Context, nc *nats.Conn) ([]backendView, error) {
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	subject, err := micro.ControlSubject(micro.StatsVerb, "", "")
	if err != nil {
		return nil, err
	}
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, discoverWait)
	defer cancel()
	out := []backendView{}
	for len(out) < maxBackends {
		wait, cancelWait := context.WithTimeout(ctx, discoverQuiet)
		m, err := sub.NextMsgWithContext(wait)
		cancelWait()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				break
			}
			return nil, err
		}
		var stats micro.Stats
		if json.Unmarshal(m.Data, &stats) != nil || stats.Type != micro.StatsResponseType {
			continue
		}
		b := backendView{Name: stats.Name, ID: stats.ID, Version: stats.Version, Started: stats.Started, Endpoints: []backendEndpointV{}}
		for _, e := range stats.Endpoints {
			if e == nil {
				continue
			}
			b.Endpoints = append(b.Endpoints, backendEndpointV{Name: e.Name, Subject: e.Subject, QueueGroup: e.QueueGroup,
				Requests: e.NumRequests, Errors: e.NumErrors, LastError: e.LastError,
				AverageProcessingTime: e.AverageProcessingTime.String()})
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b backendView) int { return strings.Compare(a.Name+"/"+a.ID, b.Name+"/"+b.ID) })
	return out, nil
}

// integrationSubjects lists every stage's bus integrations with their subjects (stage
// variables in the uri filled in).
func integrationSubjects(ctx context.Context, st *store) ([]integrationHealth, error) {
	stages, err := readAll[model.Stage](ctx, st, wire.KeyStagesPrefix+">")
	if err != nil {
		return nil, err
	}
	out := []integrationHealth{}
	deps := map[string]*model.Deployment{}
	for _, sg := range stages {
		k := wire.KeyDeployment(sg.APIID, sg.DeploymentID)
		d, ok := deps[k]
		if !ok {
			var err error
			if d, _, err = read[model.Deployment](ctx, st, k, errNotFound); err != nil {
				if errors.Is(err, errNotFound) {
					continue
				}
				return nil, err
			}
			deps[k] = d
		}
		add := func(route string, in *model.Integration) {
			if subject, ok := busSubject(in, sg.Variables); ok {
				out = append(out, integrationHealth{APIID: sg.APIID, Stage: sg.StageName, Route: route, Type: in.Type, Subject: subject})
			}
		}
		for _, res := range d.API.Resources {
			for verb, m := range res.ResourceMethods {
				if m.MethodIntegration != nil {
					add(verb+" "+res.Path, m.MethodIntegration)
				}
			}
		}
		for _, r := range d.API.Routes {
			if r.Integration != nil {
				add(r.RouteKey, r.Integration)
			}
		}
	}
	slices.SortFunc(out, func(a, b integrationHealth) int {
		return strings.Compare(a.APIID+"/"+a.Stage+"/"+a.Route, b.APIID+"/"+b.Stage+"/"+b.Route)
	})
	return out, nil
}

// busSubject is the NATS subject an integration calls, false for one that is not on the bus.
func busSubject(in *model.Integration, vars map[string]string) (string, bool) {
	uri := in.URI
	for k, v := range vars {
		uri = strings.ReplaceAll(uri, "${stageVariables."+k+"}", v)
	}
	switch in.Type {
	case model.IntegrationNATSProxy, model.IntegrationNATS:
		return uri, uri != ""
	case model.IntegrationAWSProxy:
		if fn := wire.LambdaFunction(uri); fn != "" {
			return wire.LambdaSubject(fn), true
		}
	}
	return "", false
}

// subjectMatches reports whether a subscription subject (with * and > wildcards) takes subject.
func subjectMatches(pattern, subject string) bool {
	for {
		p, prest, pmore := strings.Cut(pattern, ".")
		t, trest, tmore := strings.Cut(subject, ".")
		switch {
		case p == ">":
			return t != ""
		case p != "*" && p != t:
			return false
		case !pmore || !tmore:
			return pmore == tmore
		}
		pattern, subject = prest, trest
	}
}
