import requests

from adapters.transport import redirect_session
from tests.fakes.server import FakeServer, Reply


def test_requests_to_the_real_host_reach_the_base_url_with_path_and_query() -> None:
    fake = FakeServer()
    fake.route("GET", r"/2/users/me", lambda r: Reply(200, {"data": {"id": "1", "q": r.query.get("a")}}))
    fake.start()
    try:
        session = requests.Session()
        redirect_session(session, "https://api.twitter.com", fake.url)
        answer = session.get("https://api.twitter.com/2/users/me?a=b", timeout=5).json()
        assert answer == {"data": {"id": "1", "q": "b"}}
        assert fake.requests[-1].path == "/2/users/me"
    finally:
        fake.stop()
