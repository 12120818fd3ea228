// Package profile reads and writes ksefkit's profiles — named, non-secret
// connection settings in a TOML file — and resolves the settings of one
// invocation from command-line flags, environment variables and a profile.
// Every binding, the C ABI and the ksef command resolve through this one
// implementation (operations profile.*, auth.profile; ksef.FromProfile).
//
// # The file
//
// The schema is exactly that of ksef2 / ksef2-cli (stacking-hq), so a file
// written by either tool is read by the other:
//
//	active_profile = "acme-test"
//
//	[profiles.acme-test]
//	environment = "test"          # test | demo | production
//	nip = "5265877635"            # the context value
//	poll_interval = 1.0           # seconds between authentication status checks
//	max_poll_attempts = 60        # ksef2: gives up after attempts × interval
//
//	[profiles.acme-test.auth]
//	type = "token"                # token | test_certificate | xades_pem | xades_p12
//	token_env = "ACME_KSEF_TOKEN" # the NAME of the variable holding the token
//	context_type = "nip"          # nip | internal_id | nip_vat_ue | peppol_id
//	# xades_pem: cert, key, key_password_env; xades_p12: p12, p12_password_env
//
//	[profiles.acme-test.ksefkit]  # ksefkit's own settings; ksef2 ignores this table
//	base_url = "http://127.0.0.1:8080/v2"   # the simulator, a proxy
//	poll_max = 5.0                # seconds; the wait grows ×1.5 from poll_interval up to this
//	poll_timeout = 300.0          # seconds; wins over max_poll_attempts
//	request_timeout = 30.0        # seconds per HTTP attempt
//	max_attempts = 5              # attempts per request, the first included
//
// ksef2's models ignore keys they do not know (pydantic's default; its
// profile loader says "other unknown keys stay ignored"), which is why
// ksefkit's settings live in a table of their own. ksef2 does reject the
// whole file for an environment other than test/demo/production, a missing
// nip or auth, a context_type outside its four spellings and poll values
// below its minimums, so ksefkit writes only values ksef2 accepts: a
// custom base URL goes to [ksefkit] base_url with environment = "test".
// When reading, an environment may also be a URL. ksefkit keeps every key
// it does not know when it writes a file back; ksef2 rewrites the file
// from its models and drops ksefkit's table when it saves.
//
// Secrets are never written: a profile names the environment variables
// that hold them (token_env, key_password_env, p12_password_env). A missing
// variable is an error that names it and never shows a value.
//
// Default location: $KSEF_CONFIG (or ksef2's $KSEF2_CONFIG), else
// $XDG_CONFIG_HOME/ksefkit/config.toml, else ~/.config/ksefkit/config.toml.
// ksef2's own file (~/.config/ksef2/config.toml, legacy
// ~/.config/ksef2-cli/config.toml) can be imported (Import).
//
// # Precedence
//
// Each setting comes from the first layer that has it: flags (the ksef
// command's flags; a binding's explicit arguments) > environment variables >
// the profile > defaults. Where ksefkit's variable is unset or empty, ksef2's
// KSEF2_ twin is read, so existing ksef2 deployments work unchanged.
//
//	setting            flag                          environment                      profile
//	profile name       --profile                     KSEF_PROFILE, KSEF2_PROFILE      active_profile
//	config file        --config                      KSEF_CONFIG, KSEF2_CONFIG        (default location)
//	environment +      --env NAME|URL, --base-url    KSEF_ENV (NAME|URL),             environment,
//	  base URL (one)                                 KSEF_BASE_URL (+ KSEF2_)         [ksefkit] base_url
//	NIP                --nip                         KSEF_NIP, KSEF2_NIP              nip
//	context type       --context-type                KSEF_CONTEXT_TYPE (+ KSEF2_)     auth.context_type (nip)
//	auth method        --token-env | --test-cert |   KSEF_TOKEN, KSEF2_TOKEN          auth.type
//	                   --cert --key | --p12            (set: token authentication)
//	KSeF token         (never a flag)                KSEF_TOKEN, KSEF2_TOKEN          variable auth.token_env
//	key password       (never a flag)                KSEF_KEY_PASSWORD (+ KSEF2_)     variable auth.key_password_env
//	PKCS#12 password   (never a flag)                KSEF_P12_PASSWORD (+ KSEF2_)     variable auth.p12_password_env
//	polling            --auth-poll-interval,         —                                poll_interval, max_poll_attempts,
//	                   --auth-timeout                                                 [ksefkit] poll_max, poll_timeout
//
// The environment and its base URL are one setting: the first layer that
// names either decides both, so KSEF_ENV=demo never combines with a
// profile's simulator URL. Likewise the auth method: a layer that names a
// method brings that method's paths and variable names with it.
package profile
