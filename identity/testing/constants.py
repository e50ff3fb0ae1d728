"""Named values the tests share: the fixture users' password and ids that no row of the database holds."""

PASSWORD = "Correct-horse-9"  # the password of every user the root conftest creates

# An id of the right shape that names no row: a body's read-only `id`, an unknown parent, a missing object.
UNKNOWN_ID = "5b0c6c49-5c80-4d9c-a7b1-6d0d7a5d1f11"

# Guardian's ids of role assignments (`user_role_id`), held by the Guardian fake.
ASSIGNMENT_ID = "0e5a1c1e-0000-4000-8000-000000000001"
SECOND_ASSIGNMENT_ID = "0e5a1c1e-0000-4000-8000-000000000002"
OTHER_USERS_ASSIGNMENT_ID = "0e5a1c1e-0000-4000-8000-000000000009"
