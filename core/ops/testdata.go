package ops

import (
	"context"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
)

// The TEST environment's /testdata helpers (protocol.md §18). They exist on
// TEST and the simulator only; elsewhere the operations refuse before
// sending anything.

// TestSubjectInput is the input of "testdata.subject.create".
type TestSubjectInput struct {
	Nip         string        `json:"nip"`
	SubjectType string        `json:"subjectType" doc:"EnforcementAuthority, VatGroup or JST"`
	Description string        `json:"description" doc:"5–256 characters"`
	Subunits    []api.Subunit `json:"subunits,omitempty" doc:"[{subjectNip, description}]"`
}

// TestPersonInput is the input of "testdata.person.create".
type TestPersonInput struct {
	Nip         string `json:"nip"`
	Pesel       string `json:"pesel"`
	Description string `json:"description"`
	IsBailiff   bool   `json:"isBailiff,omitempty" doc:"also EnforcementOperations"`
	IsDeceased  bool   `json:"isDeceased,omitempty" doc:"authentication as this person then ends with 470"`
}

// TestPermissionsInput is the input of "testdata.permissions.grant".
type TestPermissionsInput struct {
	Nip         string   `json:"nip" doc:"the context (a NIP) the permissions are granted in"`
	To          string   `json:"to" doc:"who receives them: a NIP, a PESEL or a certificate fingerprint"`
	ToType      string   `json:"toType" doc:"Nip, Pesel or Fingerprint"`
	Permissions []string `json:"permissions" doc:"InvoiceRead, InvoiceWrite, Introspection, CredentialsRead, CredentialsManage, EnforcementOperations, SubunitManage"`
	Description string   `json:"description,omitempty" doc:"per permission (default: granted by ksefkit)"`
}

// TestdataResult answers the testdata.* operations.
type TestdataResult struct {
	Done string `json:"done" doc:"the endpoint that accepted the request"`
}

func testDataOnly(c *ksef.Client) error {
	if !c.Environment().TestData {
		return errs.Invalid("environment", "the /testdata endpoints exist only on TEST and the simulator, not on %s", c.Environment().Name)
	}
	return nil
}

// testdataOp registers one /testdata operation: a TEST-only guard, then the call.
func testdataOp[In any](name, summary, route string, call func(ctx context.Context, a *api.Client, in *In) error) {
	register(name, summary, true, true, func(ctx context.Context, c *ksef.Client, in *In) (*TestdataResult, error) {
		if err := testDataOnly(c); err != nil {
			return nil, err
		}
		if err := call(ctx, c.API(), in); err != nil {
			return nil, err
		}
		return &TestdataResult{Done: route}, nil
	})
}

func init() {
	testdataOp("testdata.subject.create", "TEST only: create a special subject (VAT group, local government unit, enforcement authority) with optional subunits.", "POST /testdata/subject",
		func(ctx context.Context, a *api.Client, in *TestSubjectInput) error {
			if err := ids.ValidateNIP(in.Nip); err != nil {
				return errs.Wrap(errs.InputInvalid, err, "nip")
			}
			return a.CreateTestSubject(ctx, &api.SubjectCreateRequest{SubjectNip: in.Nip, SubjectType: in.SubjectType, Description: in.Description, Subunits: in.Subunits})
		})
	testdataOp("testdata.person.create", "TEST only: link a PESEL to a NIP — the person becomes the NIP's owner.", "POST /testdata/person",
		func(ctx context.Context, a *api.Client, in *TestPersonInput) error {
			if err := ids.ValidateNIP(in.Nip); err != nil {
				return errs.Wrap(errs.InputInvalid, err, "nip")
			}
			if err := ids.ValidatePESEL(in.Pesel); err != nil {
				return errs.Wrap(errs.InputInvalid, err, "pesel")
			}
			return a.CreateTestPerson(ctx, &api.PersonCreateRequest{Nip: in.Nip, Pesel: in.Pesel, Description: in.Description, IsBailiff: in.IsBailiff, IsDeceased: in.IsDeceased})
		})
	testdataOp("testdata.permissions.grant", "TEST only: grant permissions in a NIP context to a NIP, PESEL or certificate fingerprint (the paper ZAW-FA form).", "POST /testdata/permissions",
		func(ctx context.Context, a *api.Client, in *TestPermissionsInput) error {
			if err := ids.ValidateNIP(in.Nip); err != nil {
				return errs.Wrap(errs.InputInvalid, err, "nip")
			}
			if len(in.Permissions) == 0 {
				return errs.Invalid("permissions", "at least one permission is required")
			}
			desc := in.Description
			if desc == "" {
				desc = "granted by ksefkit"
			}
			req := &api.TestPermissionsRequest{
				ContextIdentifier:    api.Identifier{Type: "Nip", Value: in.Nip},
				AuthorizedIdentifier: api.Identifier{Type: in.ToType, Value: in.To},
			}
			for _, p := range in.Permissions {
				req.Permissions = append(req.Permissions, api.TestPermission{PermissionType: p, Description: desc})
			}
			return a.GrantTestPermissions(ctx, req)
		})
	testdataOp("testdata.context.block", "TEST only: block authentication in a context (it then ends with status 480).", "POST /testdata/context/block",
		func(ctx context.Context, a *api.Client, in *ContextInput) error {
			ci, err := in.Resolve()
			if err != nil {
				return err
			}
			return a.BlockTestContext(ctx, ci)
		})
	testdataOp("testdata.context.unblock", "TEST only: unblock authentication in a context.", "POST /testdata/context/unblock",
		func(ctx context.Context, a *api.Client, in *ContextInput) error {
			ci, err := in.Resolve()
			if err != nil {
				return err
			}
			return a.UnblockTestContext(ctx, ci)
		})
}
