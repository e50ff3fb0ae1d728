"""Named values the tests share: the fixture users' password and ids that no row of the database holds."""

PASSWORD = "Correct-horse-9"  # the password of every user the root conftest creates

# An id of the right shape that names no row: a body's read-only `id`, an unknown parent, a missing object.
UNKNOWN_ID = "5b0c6c49-5c80-4d9c-a7b1-6d0d7a5d1f11"

# Guardian's ids of role assignments (`user_role_id`), held by the Guardian fake.
ASSIGNMENT_ID = "0e5a1c1e-0000-4000-8000-000000000001"
SECOND_ASSIGNMENT_ID = "0e5a1c1e-0000-4000-8000-000000000002"
OTHER_USERS_ASSIGNMENT_ID = "0e5a1c1e-0000-4000-8000-000000000009"

# The keys of a user's representation as docs/behaviour.md §6.6 lists them: stated here once for the tests, apart
# from the serializer's own `keys`, so that a test compares the code with the documented shape.
USER_REPRESENTATION_KEYS = frozenset(
    {
        "id",
        "email",
        "first_name",
        "last_name",
        "language",
        "phone_number",
        "avatar_file_id",
        "has_avatar",
        "is_active",
        "is_verified",
        "last_login_at",
        "position_id",
        "company_id",
        "password_reset_required",
        "last_password_change",
        "created_at",
        "updated_at",
    }
)

# The path parameters of the schema that name an object of the `directory_a` fixture, and that object's key there.
PATH_OBJECTS = {
    "company_id": "company",
    "user_id": "user",
    "unit_id": "unit",
    "position_id": "position",
    "customer_id": "customer",
    "subcontractor_id": "subcontractor",
}
