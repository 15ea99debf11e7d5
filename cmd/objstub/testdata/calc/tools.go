//go:build ignore

// This file is not part of the package: objstub must skip it.
package main

type Calculator struct{}
