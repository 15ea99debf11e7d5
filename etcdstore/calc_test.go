package etcdstore_test

import "github.com/objrmi/objrmi/internal/testsvc"

type calculator = testsvc.Calculator
