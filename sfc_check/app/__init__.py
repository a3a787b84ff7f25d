"""Use cases: a request in, a typed result out (audit, sign-off, rule examples, profiles)."""
