"""What ``/assets`` serves (finding 8): front-end files, never package manifests or lock files;
and the API documentation from the installed npm package, not from a CDN."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app, node_modules
from api.settings import Settings


@pytest.fixture
def client(tmp_path: pathlib.Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    if node_modules(app.state.settings) is None:
        pytest.skip("the npm packages are not installed (make install)")
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/assets/npm/.package-lock.json",
        "/assets/npm/leaflet/package.json",
        "/assets/npm/htmx.org/package.json",
        "/assets/npm/swagger-ui-dist/package.json",
    ],
)
def test_manifests_and_lock_files_are_not_served(client: TestClient, path: str) -> None:
    """Package manifests and the lock file (every package and version) answer 404."""
    assert client.get(path).status_code == 404


def test_front_end_files_are_still_served(client: TestClient) -> None:
    """The files pages use still load."""
    assert client.get("/assets/npm/leaflet/dist/leaflet.js").status_code == 200


def test_the_api_docs_load_everything_from_this_site(client: TestClient) -> None:
    """/api/docs refers only to this site's own files, and those files are there."""
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
    assert urls
    for url in urls:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    assert "cdn" not in page.text.lower()
