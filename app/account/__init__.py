"""A person's own account, the same for clients and staff: profile, sign-in address, password, MFA, devices."""
