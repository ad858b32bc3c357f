"""The benchmarks' gallery (`make soak`, `make bench-load`): enrols people of a labelled folder through the API.

The people with two photos or more, in name order: the first photo through add_user (one the service refuses -- no
face, quality, duplicate -- gives way to the next one, as long as one is left to query with), the others become
the person's query photos. A query photo in which the service finds no face (400/601: a property of the photo, not
of the service) would fail every time it is drawn, so it is left out, and counted; a person left without a query
photo is erased again and skipped.

Usage: enrol_lfw.py BASE_URL FOLDER COUNT|all WORK SETTING
Writes WORK/people.json ([{user_id, identity, first, count}]: person i's photos are queries[first ..< first +
count]), WORK/queries.json ([{user_id, file, jpeg_b64}]) and WORK/enrolment.json (the summary). SETTING names the
setting COUNT came from, for the message when fewer people can be enrolled than it asks for.
"""
import base64
import csv
import json
import sys

import requests

session = requests.Session()


def labelled_photos(folder):
    """{identity: [file, ...]} of the people with two photos or more, files in name order."""
    photos = {}
    for row in sorted(csv.DictReader(open(f"{folder}/labels.csv")), key=lambda r: r["file"]):
        if row["identity"] not in ("none", "multiple"):
            photos.setdefault(row["identity"], []).append(row["file"])
    return {identity: files for identity, files in sorted(photos.items()) if len(files) >= 2}


def post(base, folder, path, data=None, image=None):
    """(status, JSON body or {}) of a POST, with the photo as the multipart field `image`."""
    files = None
    if image is not None:
        files = {"image": (image.rsplit("/", 1)[-1], open(f"{folder}/{image}", "rb").read(), "image/jpeg")}
    answer = session.post(f"{base}{path}", data=data, files=files, timeout=60)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, {}


def enrol(base, folder, identity, remaining, summary):
    """The user id of the person enrolled from the first photo the service takes (removed from remaining)."""
    refused = summary["enrolment_photos_refused"]
    while len(remaining) >= 2:
        photo = remaining.pop(0)
        person = {"name": identity.replace("_", " "), "birthdate": "1970-01-01"}
        status, answer = post(base, folder, "/api/v1/add_user", person, photo)
        if status == 201:
            return answer["user_id"]
        if status not in (400, 409, 422):
            sys.exit(f"add_user answered {status} for {photo}: {answer}")
        reason = answer.get("error", str(status))
        refused[reason] = refused.get(reason, 0) + 1
    return None


def queryable(base, folder, photos, summary):
    """The photos in which the service finds a face (the others are counted in the summary)."""
    kept = []
    for photo in photos:
        status, answer = post(base, folder, "/api/v1/recognise_user", image=photo)
        if status == 400 and answer.get("error_code") == 601:
            summary["query_photos_without_face"].append(photo)
        elif status == 200:
            kept.append(photo)
        else:
            sys.exit(f"recognise_user answered {status} for {photo}: {answer}")
    return kept


def enrol_person(base, folder, identity, photos, summary):
    """(user id, query photos) of one person, or None when the person cannot be enrolled with a photo to query."""
    remaining = list(photos)
    user_id = enrol(base, folder, identity, remaining, summary)
    kept = queryable(base, folder, remaining, summary) if user_id else []
    if user_id and not kept:
        session.delete(f"{base}/api/v1/users/{user_id}", timeout=60).raise_for_status()
    if not kept:
        summary["people_skipped"].append(identity)
        return None
    return user_id, kept


def main():
    base, folder, wanted, work, setting = sys.argv[1:6]
    limit = None if wanted == "all" else int(wanted)
    photos = labelled_photos(folder)
    people, queries = [], []
    summary = {"people": 0, "people_with_two_photos_or_more": len(photos), "people_skipped": [],
               "enrolment_photos_refused": {}, "query_photos": 0, "query_photos_without_face": []}
    for identity, files in photos.items():
        if len(people) == limit:
            break
        enrolled = enrol_person(base, folder, identity, files, summary)
        if enrolled is None:
            continue
        user_id, kept = enrolled
        people.append({"user_id": user_id, "identity": identity, "first": len(queries), "count": len(kept)})
        for photo in kept:
            jpeg = base64.b64encode(open(f"{folder}/{photo}", "rb").read()).decode()
            queries.append({"user_id": user_id, "file": photo, "jpeg_b64": jpeg})
    if limit is not None and len(people) < limit:
        sys.exit(f"only {len(people)} people of {folder} could be enrolled with a photo left to query with; "
                 f"{setting}={wanted} asks for more")
    summary["people"], summary["query_photos"] = len(people), len(queries)
    json.dump(people, open(f"{work}/people.json", "w"))
    json.dump(queries, open(f"{work}/queries.json", "w"))
    json.dump(summary, open(f"{work}/enrolment.json", "w"), indent=2)
    print(f"{len(people)} people enrolled, {len(queries)} query photos "
          f"({len(summary['query_photos_without_face'])} without a face left out)", file=sys.stderr)


if __name__ == "__main__":
    main()
