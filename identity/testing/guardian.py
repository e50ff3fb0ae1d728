"""Contract fake of the Guardian RBAC service (docs/integrations.md §2): records calls, grants/denies, fails on
demand."""

import threading
import time
import uuid

from identity.testing.fakeserver import PROCEED, FakeRequest, FakeServer


class GuardianFake(FakeServer):
    def __init__(self):
        self.lock = threading.Lock()
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.calls: list[FakeRequest] = []
            self.mode = "grant"  # grant | deny | fail | hang | drop | invalid_json | trickle | deny_400
            # (resource_name, operation) → granted; looked up with the check-access body's values, None when absent.
            self.rules: dict[tuple[str | None, str | None], bool] = {}
            self.reason = "Permission denied by policy"
            self.hang_seconds = 2.0
            self.trickle_seconds = 1.5
            self.roles: dict[str, dict] = {}
            self.user_roles: dict[str, dict] = {}
            self.role_policies: dict[str, list] = {}
            self.policy_permissions: dict[str, list] = {}
            # Look-ups only (every call but /check-access): a failure mode, a delay per first path segment
            # ("user-roles", "roles", "policies"), canned answers per (method, path), and which list replies are
            # wrapped in an object ({"roles": [...]}) rather than sent as a bare list.
            self.upstream_mode: str | None = None  # fail | hang | drop | invalid_json | trickle
            self.delays: dict[str, float] = {}
            self.answers: dict[tuple[str, str], tuple[int, object]] = {}
            # Look-ups being answered at the same moment, per first path segment: now and the most seen.
            self.in_flight: dict[str, int] = {}
            self.max_in_flight: dict[str, int] = {}
            self.wrap = {"roles": False, "policies": True, "permissions": False}

    # --- what tests read --------------------------------------------------------------
    def checks(self) -> list[dict]:
        """The bodies of the check-access calls received, in order."""
        return [call.json() for call in self.calls if call.path == "/check-access"]

    def lookups(self) -> list[FakeRequest]:
        """The calls received other than check-access, in order."""
        return [call for call in self.calls if call.path != "/check-access"]

    def deny(self, resource_name: str, operation: str):
        self.rules[(resource_name, operation)] = False

    def trickle(self, seconds: float = 1.5, *, lookups_only: bool = False):
        """Answer rightly but one byte every `seconds`: every call, or (`lookups_only`) every call but check-access."""
        self.trickle_seconds = seconds
        if lookups_only:
            self.upstream_mode = "trickle"
        else:
            self.mode = "trickle"

    # --- the wire ---------------------------------------------------------------------
    def handle(self, request: FakeRequest):
        with self.lock:
            self.calls.append(request)
            mode = self.mode
        outcome = self.fault(mode, request, failure=(500, {"error": "internal"}, {}))
        if outcome is not PROCEED:
            return outcome
        if request.path == "/check-access" and request.method == "POST":
            return self._check_access(request, mode)
        return self._lookup(request)

    def _lookup(self, request: FakeRequest):
        segment = request.path.strip("/").split("/")[0]
        delay = self.delays.get(segment)
        if delay:
            with self.lock:
                self.in_flight[segment] = self.in_flight.get(segment, 0) + 1
                self.max_in_flight[segment] = max(self.max_in_flight.get(segment, 0), self.in_flight[segment])
            time.sleep(delay)
            with self.lock:
                self.in_flight[segment] -= 1
        outcome = self.fault(self.upstream_mode, request, failure=(503, {"error": "unavailable"}, {}))
        if outcome is not PROCEED:
            return outcome
        canned = self.answers.get((request.method, request.path))
        if canned is not None:
            return canned[0], canned[1], {}
        return self._rbac(request)

    def _list(self, key: str, items: list):
        return {key: items} if self.wrap.get(key) else items

    def _check_access(self, request: FakeRequest, mode: str | None):
        body = request.json() or {}
        if request.cookie_token is None:
            return 401, {"access_granted": False, "reason": "Missing token"}, {}
        granted = self.rules.get((body.get("resource_name"), body.get("operation")), mode != "deny")
        if mode == "deny_400":
            return 400, {"access_granted": False, "reason": self.reason, "status": 400}, {}
        if granted:
            return 200, {"access_granted": True, "reason": "Access granted", "status": 200}, {}
        return 200, {"access_granted": False, "reason": self.reason, "status": 403}, {}

    def _rbac(self, request: FakeRequest):
        parts = request.path.strip("/").split("/")
        if parts == ["user-roles"] and request.method == "GET":
            user_id = request.query.get("user_id")
            return 200, self._list("roles", [ur for ur in self.user_roles.values() if ur["user_id"] == user_id]), {}
        if parts == ["user-roles"] and request.method == "POST":
            body = request.json() or {}
            if body.get("role_id") not in self.roles:
                return 400, {"error": "Invalid role"}, {}
            if any(
                ur["user_id"] == body.get("user_id") and ur["role_id"] == body["role_id"]
                for ur in self.user_roles.values()
            ):
                return 409, {"error": "Role already assigned"}, {}
            assignment = {
                "id": str(uuid.uuid4()),
                "user_id": body.get("user_id"),
                "role_id": body["role_id"],
                "created_at": "2026-01-01T00:00:00Z",
            }
            self.user_roles[assignment["id"]] = assignment
            return 201, assignment, {}
        if len(parts) == 2 and parts[0] == "user-roles":
            held = self.user_roles.get(parts[1])
            if held is None:
                return 404, {"error": "Not found"}, {}
            if request.method == "DELETE":
                del self.user_roles[parts[1]]
                return 204, b"", {}
            return 200, held, {}
        if len(parts) == 2 and parts[0] == "roles":
            role = self.roles.get(parts[1])
            return (200, role, {}) if role else (404, {"error": "Not found"}, {})
        if len(parts) == 3 and parts[0] == "roles" and parts[2] == "policies":
            if parts[1] not in self.role_policies:
                return 404, {"error": "Not found"}, {}
            return 200, self._list("policies", self.role_policies[parts[1]]), {}
        if len(parts) == 3 and parts[0] == "policies" and parts[2] == "permissions":
            if parts[1] not in self.policy_permissions:
                return 404, {"error": "Not found"}, {}
            return 200, self._list("permissions", self.policy_permissions[parts[1]]), {}
        return 404, {"error": "Not found"}, {}
