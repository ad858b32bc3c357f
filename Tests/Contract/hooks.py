"""Schemathesis hooks for scripts/api-contract-test.sh: real face photos and real ids for some of the generated
requests, so that the contract test reaches the 200/201 answers and not only the 400s of random bytes.

Loaded by schemathesis through SCHEMATHESIS_HOOKS (set by the script). It reads:
  FACEMATRIX_CONTRACT_URL     the service's base URL (the hooks enrol and look up people through the API itself)
  FACEMATRIX_CONTRACT_PHOTOS  the folder of the shared example photos (obama.jpg, biden.jpg, ...)

Everything is decided in `before_call`, which schemathesis runs for every request of every phase, after generation
and before sending. Only positive cases (schema-valid as generated) are touched, and only values that are valid
where they stand are replaced, by other valid values: the case stays exactly as valid as it was generated. (A photo
put into a negative case could replace the very value that made it invalid, and negative_data_rejection would then
blame the server for accepting a valid request.) Schemathesis revalidates a case whose containers a hook changed,
but it cannot validate a multipart body holding a binary and would call such a body invalid; so after its edits the
hook tells schemathesis that the containers are the case's starting state (Case._record_starting_state, in the
pinned version; without it the hooks change nothing). Containers are replaced, never edited in place: schemathesis
shares them between cases (a negative DELETE once got the id written into a positive GET's path parameters). The
choice is a per-operation counter, not a random draw: with one worker and a fixed seed the same cases get the same
substitutions on every run. When a call the hooks make themselves fails, the case goes out as generated.

People the hooks manage:
  - the "anchor": obama.jpg, enrolled once (or found, when the database already has him; enrolled again when a
    generated DELETE erased him); GET /users/{id}, POST /verify and POST /users/{id}/faces sometimes get his id, so
    they answer 200/201;
  - the "scratch" identity: alex-lacamoire.png, sent by no generated request except through the hooks. Its
    enrollment keys feed JSON add_user (201), and its user is what DELETE /users/{id} sometimes erases (200).
"""

from __future__ import annotations

import collections
import os
import pathlib

import requests
import schemathesis

BASE_URL = os.environ.get("FACEMATRIX_CONTRACT_URL", "http://127.0.0.1:8080").rstrip("/")
PHOTO_DIR = pathlib.Path(
    os.environ.get("FACEMATRIX_CONTRACT_PHOTOS", "../shared/testdata/faces/face_recognition/examples")
)

ANCHOR_PHOTO = "obama.jpg"
SCRATCH_PHOTO = "alex-lacamoire.png"
# Photos a generated multipart request may carry, in the order they are handed out. Small ones first: every photo
# costs a detection. two_people.jpg exercises all_faces=true with more than one face.
GENERAL_PHOTOS = [
    "obama2.jpg", "biden.jpg", "two_people.jpg", "obama_small.jpg", "lin-manuel-miranda.png", "obama-240p.jpg"
]
# Faces added to the anchor: only his own, so that no other person's photo starts matching him.
ANCHOR_PHOTOS = ["obama2.jpg", "obama-240p.jpg", "obama_small.jpg"]

# One in EVERY eligible requests of an operation gets a photo / a real id.
PHOTO_EVERY = 2
ID_EVERY = 2
DELETE_EVERY = 3
KEY_EVERY = 3

TIMEOUT = 30

_photos: dict[str, bytes] = {}
_counters: collections.Counter[str] = collections.Counter()
_state: dict[str, str] = {}
_session = requests.Session()
_session.trust_env = False  # loopback only: no proxy from the environment


def _photo(name: str) -> bytes:
    if name not in _photos:
        _photos[name] = (PHOTO_DIR / name).read_bytes()
    return _photos[name]


def _turn(key: str, every: int) -> int | None:
    """The n-th eligible call of `key` (0-based) when it is its turn, else None."""
    count = _counters[key]
    _counters[key] += 1
    return count // every if count % every == 0 else None


def _recognise(photo: str) -> dict:
    response = _session.post(
        f"{BASE_URL}/api/v1/recognise_user", files={"image": (photo, _photo(photo))}, timeout=TIMEOUT
    )
    response.raise_for_status()
    return response.json()


def _enrol_by_key(req_id: str, name: str) -> str:
    response = _session.post(
        f"{BASE_URL}/api/v1/add_user",
        json={"name": name, "birthdate": "1970-01-01", "req_id": req_id},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    return response.json()["user_id"]


def _anchor_id() -> str:
    """The anchor's user id, enrolling him when the database does not have him (yet, or any more: a generated
    request may have learnt his id from an answer and deleted him)."""
    if "anchor" in _state:
        known = _session.get(f"{BASE_URL}/api/v1/users/{_state['anchor']}", timeout=TIMEOUT)
        if known.status_code != 200:
            del _state["anchor"]
    if "anchor" not in _state:
        answer = _recognise(ANCHOR_PHOTO)
        if answer.get("user_info"):
            _state["anchor"] = answer["user_info"]["id"]
        else:
            _state["anchor"] = _enrol_by_key(answer["req_id"], "Contract Anchor")
    return _state["anchor"]


def _scratch_key() -> str | None:
    """A fresh enrollment key of the scratch face; its earlier user, if any, is erased first."""
    anchor = _anchor_id()
    for _ in range(2):
        answer = _recognise(SCRATCH_PHOTO)
        if answer.get("req_id"):
            return answer["req_id"]
        matched = (answer.get("user_info") or {}).get("id")
        if not matched or matched == anchor:
            return None
        _session.delete(f"{BASE_URL}/api/v1/users/{matched}", timeout=TIMEOUT)
    return None


def _scratch_user() -> str | None:
    """A user that may be deleted: the scratch face's user, enrolled now when there is none."""
    answer = _recognise(SCRATCH_PHOTO)
    matched = (answer.get("user_info") or {}).get("id")
    if matched:
        return None if matched == _anchor_id() else matched
    return _enrol_by_key(answer["req_id"], "Contract Scratch") if answer.get("req_id") else None


def _is_positive(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and not meta.generation.mode.is_negative


def _is_multipart(case) -> bool:
    return (case.media_type or "").startswith("multipart/form-data") and isinstance(case.body, dict)


def _swap_image(case, photo: str) -> None:
    """Put a photo where the generated binary is, as the same kind of object (schemathesis' Binary)."""
    current = case.body.get("image")
    if type(current).__name__ == "Binary":
        case.body = {**case.body, "image": type(current)(_photo(photo))}


def _set_path_id(case, user_id: str) -> None:
    case.path_parameters = {**case.path_parameters, "id": user_id}


@schemathesis.hook
def before_call(context, case, kwargs):
    # Without a way to keep the case's validity as generated, an edit would turn it negative: change nothing then.
    if not hasattr(case, "_record_starting_state") or not _is_positive(case):
        return
    try:
        _substitute(case)
    except (requests.RequestException, KeyError, ValueError):
        return  # a call of the hooks' own failed: the case goes out as generated (its containers are untouched)
    case._record_starting_state()


def _substitute(case) -> None:
    label = case.operation.label
    path = case.operation.path
    method = case.method.upper()

    if path == "/api/v1/users/{id}" and isinstance(case.path_parameters, dict) and "id" in case.path_parameters:
        if method == "DELETE":
            if _turn(label, DELETE_EVERY) is not None:
                user = _scratch_user()
                if user:
                    _set_path_id(case, user)
        elif _turn(label, ID_EVERY) is not None:
            _set_path_id(case, _anchor_id())
        return

    if path == "/api/v1/users/{id}/faces" and isinstance(case.path_parameters, dict) and "id" in case.path_parameters:
        turn = _turn(label, ID_EVERY)
        if turn is not None:
            _set_path_id(case, _anchor_id())
            if _is_multipart(case):
                _swap_image(case, ANCHOR_PHOTOS[turn % len(ANCHOR_PHOTOS)])
        return

    if path == "/api/v1/add_user" and (case.media_type or "").startswith("application/json"):
        body = case.body
        wants_key = isinstance(body, dict) and isinstance(body.get("req_id"), str)
        if wants_key and _turn(label + " json", KEY_EVERY) is not None:
            key = _scratch_key()
            if key:
                case.body = {**body, "req_id": key}
        return

    if _is_multipart(case):
        user_id = case.body.get("user_id")
        if path == "/api/v1/verify" and isinstance(user_id, str) and _turn(label + " user", ID_EVERY) is not None:
            case.body = {**case.body, "user_id": _anchor_id()}
        if type(case.body.get("image")).__name__ == "Binary":
            turn = _turn(label, PHOTO_EVERY)
            if turn is not None:
                _swap_image(case, GENERAL_PHOTOS[turn % len(GENERAL_PHOTOS)])
