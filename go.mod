module github.com/ksefkit/ksefkit

go 1.26
