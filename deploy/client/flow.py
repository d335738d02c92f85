"""A front-end's first session, through a Python client generated from the
gateway's served OpenAPI document (openapi-python-client): sign up, make a
grid, add links, reorder them, read the public profile, sign in on a second
device and end that session from the first, delete the account.
Every step checks the typed answer; any surprise exits non-zero."""
import sys
import time
import uuid

from gridlink_public_api_client import AuthenticatedClient, Client
from gridlink_public_api_client.api.auth import login, signup
from gridlink_public_api_client.api.sessions import end_session, list_sessions
from gridlink_public_api_client.api.grids import create_grid
from gridlink_public_api_client.api.links import create_link, list_links, reorder_links
from gridlink_public_api_client.api.profiles import profile
from gridlink_public_api_client.api.users import delete_me, get_me
from gridlink_public_api_client.models import (
    CreateGrid,
    CreateLink,
    DeleteAccountRequest,
    GridView,
    LinkPage,
    LinkView,
    LoginRequest,
    LoginResponse,
    PrivateUser,
    Profile,
    ReorderLinks,
    SessionList,
    SignupRequest,
    SignupResponse,
)

PASSWORD = "a generated client's passphrase"


def expect(response, status, kind=None):
    if response.status_code != status or (kind and not isinstance(response.parsed, kind)):
        sys.exit(f"client-flow: expected {status} {kind.__name__ if kind else ''}, "
                 f"got {response.status_code}: {response.content[:300]!r}")
    return response.parsed


def main(base):
    started = time.monotonic()
    anonymous = Client(base_url=base)
    name = "client_" + uuid.uuid4().hex[:12]
    account = expect(
        signup.sync_detailed(
            client=anonymous,
            body=SignupRequest(username=name, email=f"{name}@client.example", password=PASSWORD),
        ),
        201,
        SignupResponse,
    )
    user = AuthenticatedClient(base_url=base, token=account.access_token)
    me = expect(get_me.sync_detailed(client=user), 200, PrivateUser)
    assert me.username == name, me

    grid = expect(
        create_grid.sync_detailed(client=user, body=CreateGrid(title="From a generated client")),
        201,
        GridView,
    )
    links = [
        expect(
            create_link.sync_detailed(
                client=user,
                body=CreateLink(grid=grid.slug, title=f"link {i}", url=f"https://example.com/{i}"),
            ),
            201,
            LinkView,
        )
        for i in range(3)
    ]
    reversed_slugs = [link.slug for link in reversed(links)]
    expect(
        reorder_links.sync_detailed(client=user, body=ReorderLinks(grid=grid.slug, links=reversed_slugs)),
        204,
    )
    page = expect(list_links.sync_detailed(client=user, grid=grid.slug), 200, LinkPage)
    assert [link.slug for link in page.items] == reversed_slugs, page
    assert page.next_cursor is None, page

    shown = expect(profile.sync_detailed(client=anonymous, username=name), 200, Profile)
    assert shown.user.username == name, shown
    assert [g.slug for g in shown.grids] == [grid.slug], shown
    assert [link.title for link in shown.grids[0].links] == ["link 2", "link 1", "link 0"], shown

    laptop = expect(
        login.sync_detailed(client=anonymous, body=LoginRequest(login=name, password=PASSWORD)),
        200,
        LoginResponse,
    )
    assert laptop.user.username == name and laptop.device_token, laptop
    laptop_user = AuthenticatedClient(base_url=base, token=laptop.access_token)
    sessions = expect(list_sessions.sync_detailed(client=user), 200, SessionList)
    others = [s for s in sessions.items if not s.current]
    assert len(sessions.items) == 2 and len(others) == 1, sessions
    expect(end_session.sync_detailed(client=user, id=others[0].id), 204)
    # The ended session's access token is refused within a second.
    deadline = time.monotonic() + 1
    while get_me.sync_detailed(client=laptop_user).status_code != 401:
        if time.monotonic() > deadline:
            sys.exit("client-flow: an ended session's token still works after 1 s")
        time.sleep(0.02)

    expect(delete_me.sync_detailed(client=user, body=DeleteAccountRequest(password=PASSWORD)), 202)
    expect(profile.sync_detailed(client=anonymous, username=name), 404)
    print(f"client-flow: signup, grid, 3 links, reorder, profile, login, sessions, deletion: all as documented "
          f"({(time.monotonic() - started) * 1000:.0f} ms)")


if __name__ == "__main__":
    main(sys.argv[1])
