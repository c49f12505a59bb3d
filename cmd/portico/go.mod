module github.com/portico/portico/cmd/portico

go 1.26.8

require (
	github.com/portico/portico/pkg v0.0.0
	github.com/portico/portico/services/admin v0.0.0
	github.com/portico/portico/services/authz v0.0.0
	github.com/portico/portico/services/connections v0.0.0
	github.com/portico/portico/services/edge v0.0.0
	github.com/portico/portico/services/ratelimit v0.0.0
)

replace github.com/portico/portico/pkg => ../../pkg

replace github.com/portico/portico/services/edge => ../../services/edge

replace github.com/portico/portico/services/authz => ../../services/authz

replace github.com/portico/portico/services/ratelimit => ../../services/ratelimit

replace github.com/portico/portico/services/connections => ../../services/connections

replace github.com/portico/portico/services/admin => ../../services/admin
