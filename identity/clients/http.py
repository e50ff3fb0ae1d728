"""One kept-alive `requests.Session` per outside service."""

import requests
from requests.adapters import HTTPAdapter

from identity.metrics import instrument_session

_sessions: dict[str, requests.Session] = {}


def session_for(service: str) -> requests.Session:
    """The process-wide session of `service` (connections are pooled and kept alive)."""
    session = _sessions.get(service)
    if session is None:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.trust_env = False
        instrument_session(session, service)
        _sessions[service] = session
    return session
