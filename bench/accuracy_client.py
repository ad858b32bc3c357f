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


def main():
    rows = list(csv.DictReader(open(folder / "labels.csv")))
    photos = {}
    for row in sorted(rows, key=lambda r: r["file"]):
        if row["identity"] not in ("none", "multiple"):
            photos.setdefault(row["identity"], []).append(row["file"])
    people = sorted(photos)
    enrolled = set(people[0::2])
    started = time.monotonic()
    outcome = {"enrolled": 0, "no_face": 0, "refused_quality": 0, "refused_duplicate": 0, "taken_for_someone": 0,
               "never_enrolled": 0, "errors": 0}
    genuine = []  # (identity, user_id, probe path)
    thresholds = []
    for number, person in enumerate(sorted(enrolled)):
        remaining = list(photos[person])
        user_id = None
        while remaining and user_id is None:
            path = remaining.pop(0)
            status, answer = recognise(path)
            if status == 400 and answer.get("error_code") == 601:
                outcome["no_face"] += 1
                continue  # as a person would, try another photo
            key = answer.get("req_id")
            if status == 200 and key:
                added = session.post(f"{base}/api/v1/add_user", json={
                    "name": person.replace("_", " "), "birthdate": "1970-01-01", "req_id": key}, timeout=60)
            elif status == 200:
                # Taken for someone already enrolled: the person says "that is not me" and enrols with the photo.
                outcome["taken_for_someone"] += 1
                with open(folder / path, "rb") as image:
                    added = session.post(f"{base}/api/v1/add_user", data={
                        "name": person.replace("_", " "), "birthdate": "1970-01-01"},
                        files={"image": (path, image, "image/jpeg")}, timeout=60)
            else:
                outcome["errors"] += 1
                break
            if added.status_code == 201:
                user_id = added.json()["user_id"]
                outcome["enrolled"] += 1
            elif added.status_code == 422:
                outcome["refused_quality"] += 1  # the gate asks for a better photo: try the next one
            elif added.status_code == 409:
                outcome["refused_duplicate"] += 1
                break
            else:
                outcome["errors"] += 1
                break
        if user_id is None:
            outcome["never_enrolled"] += 1
            continue  # not enrolled: neither a genuine query nor a stranger
        if remaining:
            genuine.append((person, user_id, remaining[0]))
        if number % 100 == 0:
            print(f"enrolled {number}/{len(enrolled)} people", file=sys.stderr)

    def ask(item):
        person, user_id, path = item
        status, answer = recognise(path)
        matched = status == 200 and answer.get("message") == "Match found"
        metadata = answer.get("metadata") or {}
        return person, user_id, matched, (metadata.get("user_id") if matched else None), status, metadata

    strangers = [(person, None, path) for person in people if person not in enrolled for path in photos[person]]
    with ThreadPoolExecutor(4) as pool:
        genuine_answers = list(pool.map(ask, genuine))
        stranger_answers = list(pool.map(ask, strangers))
    false_rejects = sum(1 for _, user, matched, who, _, _ in genuine_answers if not (matched and who == user))
    false_accepts = sum(1 for _, _, matched, _, _, _ in stranger_answers if matched)
    per_person = {}
    for person, _, matched, _, _, _ in stranger_answers:
        accepted, total = per_person.get(person, (0, 0))
        per_person[person] = (accepted + matched, total + 1)
    for *_, status, metadata in genuine_answers + stranger_answers:
        if status == 200 and metadata:
            thresholds.append((metadata.get("gallery_size"), metadata.get("threshold"), metadata.get("target_far")))
    result = {
        "protocol": "every other person (name order) enrolled with their first photo via recognise_user -> add_user;"
                    " FRR over their second photo, FAR over every photo of the others",
        "people": len(people), "enrolment": outcome,
        "genuine_queries": len(genuine_answers), "false_rejects": false_rejects,
        "frr": false_rejects / max(len(genuine_answers), 1),
        "impostor_queries": len(stranger_answers), "false_accepts": false_accepts,
        "far": false_accepts / max(len(stranger_answers), 1),
        "person_far": sum(a / t for a, t in per_person.values()) / max(len(per_person), 1),
        "wrong_person": sum(1 for _, user, matched, who, _, _ in genuine_answers if matched and who != user),
        "errors": sum(1 for *_, status, _ in genuine_answers + stranger_answers if status >= 500),
        "service_threshold": thresholds[0][1] if thresholds else None,
        "service_gallery_size": thresholds[0][0] if thresholds else None,
        "service_target_far": thresholds[0][2] if thresholds else None,
        "requests": len(genuine_answers) + len(stranger_answers),
        "seconds": round(time.monotonic() - started, 1),
    }
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


main()
