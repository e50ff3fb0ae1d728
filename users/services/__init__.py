"""Writes of the users app, one module per kind: `accounts` (users and tenants), `passwords` (credentials),
`policy` (the password policy), `roles` (roles, policies and permissions in Guardian), `emails`."""
