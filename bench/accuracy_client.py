"""`make bench-accuracy`: the replaced system's FRR/FAR protocol, black-box through the HTTP API.

Every other person of the labelled folder (in name order, starting with the first) is enrolled with their first
photo through recognise_user -> add_user (a photo without a face, or one the quality gate refuses, is followed by
the person's next photo, as they would retry at the camera; a face taken for someone else is enrolled with add_user
and the photo); FRR is the share of enrolled people whose following photo is not answered "Match found" with that
person; FAR the share of all photos of the never-enrolled people answered "Match found".
`facematrix evaluate` computes the same split offline (OriginalProtocol), so the two must agree.

Usage: accuracy_client.py BASE_URL FOLDER OUT_JSON
"""
import csv
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

base, folder, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
session = requests.Session()


def recognise(path):
    with open(folder / path, "rb") as image:
        answer = session.post(f"{base}/api/v1/recognise_user", files={"image": (path, image, "image/jpeg")}, timeout=60)
    return answer.status_code, answer.json()


def labelled_photos():
    """identity -> their photos in file-name order, for every labelled person (not "none" or "multiple")."""
    rows = list(csv.DictReader(open(folder / "labels.csv")))
    photos = {}
    for row in sorted(rows, key=lambda r: r["file"]):
        if row["identity"] not in ("none", "multiple"):
            photos.setdefault(row["identity"], []).append(row["file"])
    return photos


def add_user(person, path, status, answer, outcome):
    """Enrols ``person`` after recognise_user answered ``status``/``answer`` for ``path``: with its req_id, or with
    the photo when it was taken for someone else. None (counted as an error) when recognise_user failed."""
    key = answer.get("req_id")
    if status == 200 and key:
        return session.post(f"{base}/api/v1/add_user", json={
            "name": person.replace("_", " "), "birthdate": "1970-01-01", "req_id": key}, timeout=60)
    if status == 200:
        # Taken for someone already enrolled: the person says "that is not me" and enrols with the photo.
        outcome["taken_for_someone"] += 1
        with open(folder / path, "rb") as image:
            return session.post(f"{base}/api/v1/add_user", data={
                "name": person.replace("_", " "), "birthdate": "1970-01-01"},
                files={"image": (path, image, "image/jpeg")}, timeout=60)
    outcome["errors"] += 1
    return None


# add_user's refusals: status -> (what it counts as, whether the person tries their next photo); any other status
# than these and 201 is an error that ends the person's enrolment.
REFUSALS = {
    422: ("refused_quality", True),  # the gate asks for a better photo: try the next one
    409: ("refused_duplicate", False),
}


def enrol(person, remaining, outcome):
    """Enrols ``person`` with the first of their ``remaining`` photos that works, as they would retry at the camera;
    the photos tried are taken off ``remaining``. Returns their user_id, or None."""
    while remaining:
        path = remaining.pop(0)
        status, answer = recognise(path)
        if status == 400 and answer.get("error_code") == 601:
            outcome["no_face"] += 1
            continue  # as a person would, try another photo
        added = add_user(person, path, status, answer, outcome)
        if added is None:
            return None
        if added.status_code == 201:
            user_id = added.json()["user_id"]
            outcome["enrolled"] += 1
            return user_id
        counted, retry = REFUSALS.get(added.status_code, ("errors", False))
        outcome[counted] += 1
        if not retry:
            return None
    return None


def enrol_all(photos, enrolled, outcome):
    """Enrols every person of ``enrolled``; returns the genuine queries: (identity, user_id, probe path)."""
    genuine = []
    for number, person in enumerate(sorted(enrolled)):
        remaining = list(photos[person])
        user_id = enrol(person, remaining, outcome)
        if user_id is None:
            outcome["never_enrolled"] += 1
            continue  # not enrolled: neither a genuine query nor a stranger
        if remaining:
            genuine.append((person, user_id, remaining[0]))
        if number % 100 == 0:
            print(f"enrolled {number}/{len(enrolled)} people", file=sys.stderr)
    return genuine


def ask(item):
    """recognise_user on a query (identity, expected user_id or None, path): whether it matched, and whom."""
    person, user_id, path = item
    status, answer = recognise(path)
    matched = status == 200 and answer.get("message") == "Match found"
    metadata = answer.get("metadata") or {}
    return person, user_id, matched, (metadata.get("user_id") if matched else None), status, metadata


def person_far(stranger_answers):
    """The mean over the never-enrolled people of the share of their photos answered "Match found"."""
    per_person = {}
    for person, _, matched, _, _, _ in stranger_answers:
        accepted, total = per_person.get(person, (0, 0))
        per_person[person] = (accepted + matched, total + 1)
    return sum(a / t for a, t in per_person.values()) / max(len(per_person), 1)


def service_settings(answers):
    """(gallery_size, threshold, target_far) from the first successful answer with metadata; Nones without one."""
    for *_, status, metadata in answers:
        if status == 200 and metadata:
            return metadata.get("gallery_size"), metadata.get("threshold"), metadata.get("target_far")
    return None, None, None


def genuine_failures(genuine_answers):
    """(false rejects, wrong person): the genuine queries not matched with their own user, and those of them matched
    with someone else."""
    false_rejects = sum(1 for _, user, matched, who, _, _ in genuine_answers if not (matched and who == user))
    wrong_person = sum(1 for _, user, matched, who, _, _ in genuine_answers if matched and who != user)
    return false_rejects, wrong_person


def summary(people, outcome, genuine_answers, stranger_answers, started):
    """The result document: enrolment outcome, FRR, FAR and what the service reported about its threshold."""
    answers = genuine_answers + stranger_answers
    false_rejects, wrong_person = genuine_failures(genuine_answers)
    false_accepts = sum(1 for _, _, matched, _, _, _ in stranger_answers if matched)
    gallery_size, threshold, target_far = service_settings(answers)
    return {
        "protocol": "every other person (name order) enrolled with their first photo via recognise_user -> add_user;"
                    " FRR over their second photo, FAR over every photo of the others",
        "people": len(people), "enrolment": outcome,
        "genuine_queries": len(genuine_answers), "false_rejects": false_rejects,
        "frr": false_rejects / max(len(genuine_answers), 1),
        "impostor_queries": len(stranger_answers), "false_accepts": false_accepts,
        "far": false_accepts / max(len(stranger_answers), 1),
        "person_far": person_far(stranger_answers),
        "wrong_person": wrong_person,
        "errors": sum(1 for *_, status, _ in answers if status >= 500),
        "service_threshold": threshold,
        "service_gallery_size": gallery_size,
        "service_target_far": target_far,
        "requests": len(answers),
        "seconds": round(time.monotonic() - started, 1),
    }


def main():
    photos = labelled_photos()
    people = sorted(photos)
    enrolled = set(people[0::2])
    started = time.monotonic()
    outcome = {"enrolled": 0, "no_face": 0, "refused_quality": 0, "refused_duplicate": 0, "taken_for_someone": 0,
               "never_enrolled": 0, "errors": 0}
    genuine = enrol_all(photos, enrolled, outcome)
    strangers = [(person, None, path) for person in people if person not in enrolled for path in photos[person]]
    with ThreadPoolExecutor(4) as pool:
        genuine_answers = list(pool.map(ask, genuine))
        stranger_answers = list(pool.map(ask, strangers))
    result = summary(people, outcome, genuine_answers, stranger_answers, started)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))

main()
