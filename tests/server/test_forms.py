"""Reading a request's fields and parts strictly, by the functions and over real HTTP: a field or part given twice,
an unknown or oddly named part, and a multipart body that does not parse are each refused by name, never silently
ignored."""

from __future__ import annotations

import io

import pytest
import requests
from werkzeug.datastructures import FileStorage, MultiDict

from dreamlayer.errors import InvalidParameter
from dreamlayer.server.errors import ApiError
from dreamlayer.server.forms import picture_parts, single_fields

from ..live_server import TINY, png_bytes


def post(url: str, files: list, fields: dict | None = None) -> requests.Response:
    return requests.post(f"{url}/v1/dreams", files=files, data=fields or TINY, timeout=10)


def error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def image_part() -> tuple:
    return ("image", ("in.png", png_bytes(), "image/png"))


def test_a_duplicated_field_or_a_second_image_is_refused(server):
    twice = error(post(server.url, [image_part()], [*TINY.items(), ("steps", "3")]), 400)
    assert twice["code"] == "duplicate_field" and "'steps'" in twice["message"]
    second = error(post(server.url, [image_part(), image_part()]), 400)
    assert second["code"] == "duplicate_part" and "'image'" in second["message"]
    unknown = error(post(server.url, [image_part(), ("picture", ("p.png", png_bytes(), "image/png"))]), 422)
    assert "Unknown part(s) 'picture'" in unknown["message"]


def test_a_malformed_multipart_body_is_refused_not_read_as_an_empty_form(server):
    for body in (b"--b\r\n[]--b--\r\n", b"", b'--b\r\nContent-Disposition: form-data; name="frames"\r\n\r\n3\r\n'):
        r = requests.post(f"{server.url}/v1/zooms", data=body, headers={"Content-Type": "multipart/form-data; boundary=b"},
                          timeout=5)
        assert error(r, 400)["code"] == "malformed_body", body


@pytest.mark.parametrize("disposition", ['form-data; name=""', "form-data", 'form-data; name="\u00e9t\u00e9"', 'form-data; name="steps"; name="octaves"'])
def test_odd_part_names_are_refused_by_name_never_a_500(server, disposition):
    """Schemathesis once found a part with an empty name answered with 500."""
    boundary = "dreamlayer-test"
    body = (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n3\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="in.png"\r\n'
            f"Content-Type: image/png\r\n\r\n").encode() + png_bytes() + f"\r\n--{boundary}--\r\n".encode()
    r = requests.post(f"{server.url}/v1/dreams", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=10)
    assert r.status_code in (202, 422), r.text
    if r.status_code == 422:
        assert "Unknown setting" in r.json()["error"]["message"]


def test_a_field_given_twice_is_refused_naming_every_such_field():
    assert single_fields(MultiDict([("steps", "3"), ("seed", "1")])) == {"steps": "3", "seed": "1"}
    with pytest.raises(ApiError) as twice:
        single_fields(MultiDict([("steps", "3"), ("seed", "1"), ("steps", "4"), ("seed", "2")]))
    assert (twice.value.status, twice.value.code) == (400, "duplicate_field")
    assert twice.value.message.startswith("'seed', 'steps' given more than once")


def test_picture_parts_take_one_of_each_single_part_any_number_of_a_repeated_one_and_no_other():
    def part(name: str) -> tuple[str, FileStorage]:
        return name, FileStorage(io.BytesIO(b"x"), name + ".png")

    parts = picture_parts(MultiDict([part("frame"), part("frame"), part("image")]), ("image",), ("frame",))
    assert {name: len(files) for name, files in parts.items()} == {"frame": 2, "image": 1}
    with pytest.raises(ApiError) as second:
        picture_parts(MultiDict([part("image"), part("image")]), ("image", "mask"))
    assert (second.value.status, second.value.code) == (400, "duplicate_part")
    with pytest.raises(InvalidParameter, match="Unknown part\\(s\\) 'picture': this request takes the pictures 'image', 'mask'"):
        picture_parts(MultiDict([part("picture")]), ("image", "mask"))
