module github.com/portico/portico/services/connections

go 1.26.8

require github.com/portico/portico/pkg v0.0.0

replace github.com/portico/portico/pkg => ../../pkg
