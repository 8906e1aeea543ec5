import json
import urllib.error
import urllib.request

import pytest

from tests.fakes.server import FakeServer, Fault, Reply


@pytest.fixture
def server():
    fake = FakeServer()
    fake.route("GET", r"/ping/(?P<name>\w+)", lambda r: Reply(200, {"hello": r.params["name"]}))
    fake.start()
    yield fake
    fake.stop()


def test_routes_answer_json_and_log_requests(server: FakeServer) -> None:
    with urllib.request.urlopen(server.url + "/ping/amy?x=1") as response:
        assert json.load(response) == {"hello": "amy"}
    assert server.requests[-1].query == {"x": "1"}


def test_an_injected_fault_answers_once_then_the_route_returns(server: FakeServer) -> None:
    server.inject(Fault(r"^/ping/", Reply(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "99"})))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url + "/ping/amy")
    assert caught.value.code == 429
    assert caught.value.headers["x-rate-limit-reset"] == "99"
    with urllib.request.urlopen(server.url + "/ping/amy") as response:
        assert response.status == 200
