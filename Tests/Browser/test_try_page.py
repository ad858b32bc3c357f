"""The try-it page at / in a real browser: Debian's headless Chromium driven by Selenium.

Needs a running service (FACEMATRIX_URL, its base URL) that serves the page, and the shared photos in
../shared/testdata/faces. scripts/browser-test.sh installs the browser and this test's venv and runs it.
The happy path enrols one person under a unique name and deletes them again, also when a step fails; the group
test ("Every face in the photo") enrols two people from the list of faces and deletes them the same way. The other
tests enrol nobody: a face too small to enrol (an LFW photo scaled down in the browser), answers without an
enrollment key (the real answer, rewritten in the page), and a photo the browser cannot display (HEIC).
"""

import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
FACES = ROOT.parent / "shared" / "testdata" / "faces" / "face_recognition" / "examples"
# Two photos of one person (labels.csv: barack_obama); the first must not be enrolled yet.
PHOTO_1 = FACES / "obama.jpg"
PHOTO_2 = FACES / "obama2.jpg"
# Two people (Obama and Biden), neither of whom may be enrolled yet.
GROUP_PHOTO = FACES / "two_people.jpg"
# An LFW photo (250 × 250, the face about 90 px wide), scaled down to SMALL_SIZE² so that the face (about 23 px) is
# still found but too small to enrol.
SMALL_SOURCE = ROOT.parent / "shared" / "testdata" / "faces" / "lfw" / "images" / "Brenda_van_Dam" / \
    "Brenda_van_Dam_0001.jpg"
SMALL_SIZE = 60
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 60  # recognition takes well under a second; the margin is for a loaded CI machine

# Selenium Manager is never needed (the driver and the browser are given) and must never download anything.
os.environ.setdefault("SE_OFFLINE", "true")


@pytest.fixture(scope="module")
def base_url():
    url = os.environ.get("FACEMATRIX_URL", "").rstrip("/")
    if not url:
        pytest.fail("FACEMATRIX_URL is not set: the base URL of a running service, e.g. http://127.0.0.1:8080")
    return url


@pytest.fixture(scope="module")
def driver():
    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.access(path, os.X_OK), f"{path} is missing: apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


def call_api(base_url, method, path):
    """A direct API call (for checks and clean-up): (HTTP status, JSON body)."""
    request = urllib.request.Request(base_url + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait(driver):
    return WebDriverWait(driver, WAIT_S)


def visible(driver, element_id):
    return wait(driver).until(EC.visibility_of_element_located((By.ID, element_id)))


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def page_summary(driver):
    """What the result panel says, for failure messages."""
    result = driver.find_element(By.ID, "result")
    error = driver.find_element(By.ID, "error")
    return (f"state={result.get_attribute('data-state')!r} decision={text(driver, 'decision')!r} "
            f"error={error.text if error.is_displayed() else None!r}")


def recognise(driver, photo):
    """Chooses the photo in the page and waits for the answer; returns the result state."""
    result = driver.find_element(By.ID, "result")
    before = result.get_attribute("data-seq")
    driver.find_element(By.ID, "photo").send_keys(str(photo))
    wait(driver).until(lambda d: result.get_attribute("data-seq") != before
                       and result.get_attribute("data-state") not in ("busy", "idle"))
    return result.get_attribute("data-state")


def record_answers(driver, rewrite=None):
    """Wraps the page's fetch: every request is kept in window.seenRequests with its all_faces field (null when not
    sent) and, for a recognition, the answer's JSON. `rewrite`, a JavaScript function body of `answer`, changes the
    answer the page gets (the recorded one is the service's own). Lasts until the page is loaded again."""
    driver.execute_script("""
        window.seenRequests = [];
        const rewrite = arguments[0] ? new Function('answer', arguments[0]) : null;
        window.unwrappedFetch = window.unwrappedFetch || window.fetch;  // wrapped again: not twice
        const realFetch = window.unwrappedFetch;
        window.fetch = async (url, init) => {
            const body = init && init.body;
            const seen = {url: String(url), allFaces: body instanceof FormData ? body.get('all_faces') : null,
                          answer: null};
            window.seenRequests.push(seen);
            const response = await realFetch(url, init);
            if (!seen.url.includes('/recognise_user')) return response;
            try { seen.answer = await response.clone().json(); } catch { return response; }
            if (!rewrite) return response;
            const changed = rewrite(JSON.parse(JSON.stringify(seen.answer)));
            return new Response(JSON.stringify(changed),
                {status: response.status, statusText: response.statusText, headers: response.headers});
        };""", rewrite)


def recognitions(driver):
    """The recognition requests window.seenRequests recorded: [{url, allFaces, answer}]."""
    return [seen for seen in driver.execute_script("return window.seenRequests || []")
            if "/recognise_user" in seen["url"]]


def severe_console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def canvas_drawing(driver):
    """How the canvas was drawn, and the colour of a pixel on the face box's left edge."""
    return driver.execute_script("""
        const c = document.getElementById('canvas');
        const out = {drawn: c.dataset.drawn, width: c.width, height: c.height, label: c.getAttribute('aria-label'),
                     color: c.dataset.boxColor, landmarks: c.dataset.landmarks, box: c.dataset.box};
        if (c.dataset.box) {
            const [x, y, w, h] = c.dataset.box.split(',').map(Number);
            out.pixel = Array.from(c.getContext('2d').getImageData(x, y + Math.floor(h / 2), 1, 1).data.slice(0, 3));
        }
        return out;
    """)


def test_recognise_enrol_match_delete(driver, base_url):
    for photo in (PHOTO_1, PHOTO_2):
        assert photo.is_file(), f"{photo} is missing: the shared test photos belong in ../shared/testdata/faces"
    driver.get(base_url + "/")
    assert "FaceMatrix" in driver.title
    for element_id in ("photo", "enrol-name", "enrol-birthdate", "enrol-email", "api-key"):
        labels = driver.execute_script("return document.getElementById(arguments[0]).labels.length", element_id)
        assert labels >= 1, f"#{element_id} has no label"

    record_answers(driver)
    state = recognise(driver, PHOTO_1)
    if state == "match":
        pytest.fail(f"{PHOTO_1.name} is already enrolled here ({text(driver, 'decision')}); this test needs a service "
                    "where it is not: delete that user (DELETE /api/v1/users/ID) or use a fresh database")
    assert state == "no-match", page_summary(driver)
    assert "No match" in text(driver, "decision")
    assert canvas_drawing(driver)["drawn"] == "box"
    visible(driver, "enrol-form")
    assert not driver.find_element(By.ID, "not-enrollable").is_displayed()
    assert [seen["allFaces"] for seen in recognitions(driver)] == [None]  # one face: all_faces is not sent

    name = f"Browser Test {uuid.uuid4().hex[:8]}"
    user_id = None
    try:
        driver.find_element(By.ID, "enrol-name").send_keys(name)
        # A date input's typed format follows the browser's locale; its value is always YYYY-MM-DD.
        driver.execute_script(
            "const i = document.getElementById('enrol-birthdate'); i.value = arguments[0];"
            "i.dispatchEvent(new Event('input', {bubbles: true}));", "1961-08-04")
        driver.find_element(By.ID, "enrol-submit").click()
        enrolled = visible(driver, "enrolled")
        match = re.search(r"usr_[0-9a-f]+", enrolled.text)
        assert match and name in enrolled.text, f"{enrolled.text!r}; {page_summary(driver)}"
        user_id = match.group(0)
        assert not driver.find_element(By.ID, "enrol-form").is_displayed()

        state = recognise(driver, PHOTO_2)
        assert state == "match", page_summary(driver)
        assert text(driver, "match-name") == name
        assert user_id in text(driver, "decision")
        assert re.search(r"similarity 0\.\d{3} · threshold 0\.\d{3}", text(driver, "similarity")), \
            text(driver, "similarity")
        assert "total" in text(driver, "timings") and "frontal score" in text(driver, "quality")

        drawing = canvas_drawing(driver)
        assert drawing["drawn"] == "box" and drawing["landmarks"] == "5", drawing
        x, y, w, h = map(int, drawing["box"].split(","))
        assert 0 <= x and 0 <= y and w > 40 and h > 40 and x + w <= drawing["width"] and y + h <= drawing["height"]
        expected = [int(v) for v in drawing["color"].split(",")]
        assert all(abs(a - b) <= 8 for a, b in zip(drawing["pixel"], expected)), drawing

        screenshot = os.environ.get("FACEMATRIX_SCREENSHOT")
        if screenshot:
            driver.execute_script("window.scrollTo(0, 0)")
            assert driver.save_screenshot(screenshot), f"could not write {screenshot}"

        driver.find_element(By.ID, "delete-user").click()
        confirm = wait(driver).until(EC.alert_is_present())
        assert name in confirm.text and user_id in confirm.text
        confirm.accept()
        deleted = visible(driver, "notice")
        assert "Deleted" in deleted.text and name in deleted.text and user_id in deleted.text, deleted.text
        assert not driver.find_element(By.ID, "delete-user").is_displayed()
        # The panel no longer shows the deleted person as a match, nor the figures of that match.
        decision = text(driver, "decision")
        assert "Match" not in decision and f"Deleted {name}." in decision and "another photo" in decision, decision
        assert "Match" not in text(driver, "result"), text(driver, "result")
        assert driver.find_element(By.ID, "result").get_attribute("data-state") == "deleted"
        assert not driver.find_elements(By.ID, "match-name")
        assert not driver.find_element(By.ID, "details").is_displayed()
        drawing = canvas_drawing(driver)  # the box again, grey and without the name tag
        assert drawing["drawn"] == "box" and drawing["color"] == "150,156,165", drawing
        assert all(abs(a - b) <= 8 for a, b in zip(drawing["pixel"], (150, 156, 165))), drawing
        assert name not in drawing["label"] and "deleted" in drawing["label"], drawing
        status, body = call_api(base_url, "GET", f"/api/v1/users/{user_id}")
        assert status == 404 and body["error_code"] == 607, body
        user_id = None
    finally:
        if user_id:
            call_api(base_url, "DELETE", f"/api/v1/users/{user_id}")

    origin = base_url.split("/", 3)[:3]
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    foreign = [r for r in resources if r.split("/", 3)[:3] != origin]
    assert not foreign, f"the page loaded something from elsewhere: {foreign}"
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_invalid_upload_shows_the_error_contract(driver, base_url, tmp_path):
    bogus = tmp_path / "x.jpg"
    bogus.write_text("this is not a photo\n")
    driver.get(base_url + "/")
    assert recognise(driver, PHOTO_1) in ("match", "no-match"), page_summary(driver)  # a photo on the page first
    assert recognise(driver, bogus) == "error", page_summary(driver)
    error = visible(driver, "error")
    assert error.get_attribute("data-error-code") == "602"
    assert "invalid_image (602)" in error.text and "HTTP 400" in error.text, error.text
    assert re.search(r"request id [0-9A-Za-z-]{8,}", error.text), error.text
    message = error.find_element(By.TAG_NAME, "strong").text  # the service's own message
    assert message and not message.startswith("HTTP"), error.text
    assert canvas_drawing(driver)["drawn"] == "none"  # the earlier photo and its box are gone
    for element_id in ("enrol-form", "delete-user", "details"):
        assert not driver.find_element(By.ID, element_id).is_displayed(), f"#{element_id} still shown"


def test_api_key_is_asked_for_after_a_401_and_sent_from_then_on(driver, base_url):
    # The service has no API keys yet: the page's fetch answers the first call (the one without a key) with a 401
    # in the error contract's shape, and every call with a key goes to the real service.
    driver.get(base_url + "/")
    driver.execute_script("""
        localStorage.removeItem('facematrix.apiKey');
        window.seenAuthorization = [];
        const realFetch = window.fetch;
        window.fetch = (url, init) => {
            const authorization = new Headers((init && init.headers) || {}).get('Authorization');
            window.seenAuthorization.push(authorization);
            if (authorization) return realFetch(url, init);
            const body = {status: 'error', error_code: 401, error: 'unauthorized', message: 'An API key is needed',
                          requestId: 'test-401'};
            return Promise.resolve(new Response(JSON.stringify(body),
                {status: 401, headers: {'Content-Type': 'application/json'}}));
        };""")
    try:
        assert not driver.find_element(By.ID, "api-key-form").is_displayed()
        assert recognise(driver, PHOTO_1) == "error", page_summary(driver)
        error = visible(driver, "error")
        assert "An API key is needed" in error.text and "HTTP 401" in error.text and "test-401" in error.text
        key = visible(driver, "api-key")
        assert driver.switch_to.active_element == key  # focus moves to the field
        key.send_keys("test-key-123")
        driver.find_element(By.ID, "api-key-save").click()
        assert driver.execute_script("return localStorage.getItem('facematrix.apiKey')") == "test-key-123"
        assert recognise(driver, PHOTO_1) in ("match", "no-match"), page_summary(driver)
        assert driver.execute_script("return window.seenAuthorization") == [None, "Bearer test-key-123"]
        driver.find_element(By.ID, "api-key-forget").click()
        assert driver.execute_script("return localStorage.getItem('facematrix.apiKey')") is None
        assert not driver.find_element(By.ID, "api-key-form").is_displayed()
    finally:
        driver.execute_script("localStorage.removeItem('facematrix.apiKey')")


def recognise_every_face(base_url, photo):
    """POST /api/v1/recognise_user with all_faces=true straight to the API (for clean-up); {} when that fails."""
    boundary = uuid.uuid4().hex
    body = b"".join([
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"all_faces\"\r\n\r\ntrue\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{photo.name}\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n".encode(), photo.read_bytes(), f"\r\n--{boundary}--\r\n".encode()])
    request = urllib.request.Request(base_url + "/api/v1/recognise_user", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, ValueError):
        return {}


def face_items(driver):
    """The list of faces in every-face mode: (data-decision, text) per <li>, in order."""
    return [(item.get_attribute("data-decision"), item.text)
            for item in driver.find_elements(By.CSS_SELECTOR, "#faces > li")]


def face_item(driver, number):
    return driver.find_element(By.CSS_SELECTOR, f"#faces > li[data-face='{number}']")


def group_drawing(driver):
    """The boxes drawn for every face, and the colour of a pixel on each box's left edge."""
    return driver.execute_script("""
        const c = document.getElementById('canvas');
        const boxes = (c.dataset.faceBoxes || '').split(';').filter(Boolean).map(b => b.split(',').map(Number));
        return {drawn: c.dataset.drawn, boxes: c.dataset.boxes, width: c.width, height: c.height,
                rects: boxes, colors: (c.dataset.faceColors || '').split(';').filter(Boolean),
                landmarks: c.dataset.landmarks,
                pixels: boxes.map(([x, y, w, h]) =>
                    Array.from(c.getContext('2d').getImageData(x, y + Math.floor(h / 2), 1, 1).data.slice(0, 3)))};
    """)


def test_every_face_of_a_group_photo_enrolled_from_the_list(driver, base_url):
    assert GROUP_PHOTO.is_file(), f"{GROUP_PHOTO} is missing: the shared test photos belong in ../shared/testdata/faces"
    driver.get_log("browser")  # what earlier tests left there (an invalid upload's 400) is theirs
    driver.get(base_url + "/")
    created = []
    tag = uuid.uuid4().hex[:8]
    try:
        checkbox = driver.find_element(By.ID, "all-faces")
        assert driver.execute_script("return document.getElementById('all-faces').labels.length") >= 1
        assert not checkbox.is_selected(), "#all-faces must be off by default"
        checkbox.click()
        assert driver.execute_script("return localStorage.getItem('facematrix.allFaces')") == "true"
        driver.refresh()
        checkbox = wait(driver).until(EC.presence_of_element_located((By.ID, "all-faces")))
        wait(driver).until(lambda d: checkbox.is_selected())  # remembered

        record_answers(driver)
        state = recognise(driver, GROUP_PHOTO)
        assert state == "faces", page_summary(driver)
        assert [seen["allFaces"] for seen in recognitions(driver)] == ["true"]  # the literal string, not "on"
        faces = face_items(driver)
        if any(decision == "match" for decision, _ in faces):
            pytest.fail(f"someone in {GROUP_PHOTO.name} is already enrolled here ({faces}); this test needs a service "
                        "where neither is: delete those users (DELETE /api/v1/users/ID) or use a fresh database")
        assert [decision for decision, _ in faces] == ["no_match", "no_match"], faces
        assert "2 faces looked up" in text(driver, "decision"), text(driver, "decision")
        for number in (1, 2):
            assert face_item(driver, number).find_element(By.CSS_SELECTOR, "button.face-enrol").is_displayed()
        drawing = group_drawing(driver)
        assert drawing["drawn"] == "faces" and drawing["boxes"] == "2" and drawing["landmarks"] == "10", drawing

        names = {1: f"Group {tag} One", 2: f"Group {tag} Two"}
        for number, name in names.items():
            face_item(driver, number).find_element(By.CSS_SELECTOR, "button.face-enrol").click()
            form = visible(driver, "enrol-form")
            assert form.get_attribute("data-face") == str(number)
            heading = driver.find_element(By.ID, "enrol-heading").get_attribute("textContent")
            assert heading == f"Enrol face {number}", heading  # (shown in capitals by the style sheet)
            assert driver.switch_to.active_element == driver.find_element(By.ID, "enrol-name")
            driver.find_element(By.ID, "enrol-name").send_keys(name)
            driver.execute_script(
                "const i = document.getElementById('enrol-birthdate'); i.value = arguments[0];"
                "i.dispatchEvent(new Event('input', {bubbles: true}));", "1950-01-0" + str(number))
            result = driver.find_element(By.ID, "result")
            before = result.get_attribute("data-seq")
            driver.find_element(By.ID, "enrol-submit").click()
            enrolled = visible(driver, "enrolled")
            wait(driver).until(lambda d: name in enrolled.text)
            match = re.search(r"usr_[0-9a-f]+", enrolled.text)
            assert match and f"face {number}" in enrolled.text, f"{enrolled.text!r}; {page_summary(driver)}"
            created.append(match.group(0))
            # The page recognises the same photo again by itself.
            wait(driver).until(lambda d: result.get_attribute("data-seq") != before
                               and result.get_attribute("data-state") not in ("busy", "idle"))
            assert result.get_attribute("data-state") == "faces", page_summary(driver)
            item = face_item(driver, number)
            assert item.get_attribute("data-decision") == "match", face_items(driver)
            assert name in item.text and match.group(0) in item.text, item.text
            # 1.000 is possible: the face was enrolled from this very photo.
            assert re.search(r"similarity [01]\.\d{3} · threshold 0\.\d{3}", item.text), item.text

        faces = face_items(driver)
        assert [decision for decision, _ in faces] == ["match", "match"], faces
        for (_, item_text), name in zip(faces, names.values()):
            assert name in item_text, faces
        drawing = group_drawing(driver)
        assert drawing["drawn"] == "faces" and drawing["boxes"] == "2", drawing
        assert len(drawing["rects"]) == 2 and drawing["colors"] == ["0,200,140", "0,200,140"], drawing
        for (x, y, w, h), pixel in zip(drawing["rects"], drawing["pixels"]):
            assert 0 <= x and 0 <= y and w > 40 and h > 40 and x + w <= drawing["width"] and y + h <= drawing["height"]
            assert all(abs(a - b) <= 8 for a, b in zip(pixel, (0, 200, 140))), drawing
        assert not driver.find_element(By.ID, "delete-user").is_displayed()  # delete is for one face only
        assert "total" in text(driver, "timings") and "2 faces looked up" in text(driver, "decision")

        screenshot = os.environ.get("FACEMATRIX_SCREENSHOT_GROUP")
        if screenshot:
            driver.execute_script("window.scrollTo(0, 0)")
            assert driver.save_screenshot(screenshot), f"could not write {screenshot}"
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        # The users the page reported, and any the service now finds in the photo under this test's names.
        for face in recognise_every_face(base_url, GROUP_PHOTO).get("faces", []):
            user = face.get("user_info") or {}
            if user.get("name", "").startswith(f"Group {tag} ") and user["id"] not in created:
                created.append(user["id"])
        for user_id in created:
            call_api(base_url, "DELETE", f"/api/v1/users/{user_id}")
        driver.execute_script("localStorage.removeItem('facematrix.allFaces')")


def downscaled_png(driver, photo, size, dest):
    """The photo scaled to size × size pixels by the browser's canvas, written to dest as PNG (no imaging library
    is needed in the test's venv)."""
    data_url = "data:image/jpeg;base64," + base64.b64encode(photo.read_bytes()).decode()
    png = driver.execute_async_script("""
        const [url, size, done] = arguments;
        const img = new Image();
        img.onload = () => {
            const c = document.createElement('canvas');
            c.width = size;
            c.height = size;
            const ctx = c.getContext('2d');
            ctx.imageSmoothingQuality = 'high';
            ctx.drawImage(img, 0, 0, size, size);
            done(c.toDataURL('image/png'));
        };
        img.onerror = () => done(null);
        img.src = url;""", data_url, size)
    assert png and png.startswith("data:image/png;base64,"), f"the browser could not scale {photo}"
    dest.write_bytes(base64.b64decode(png.split(",", 1)[1]))
    return dest


def not_enrollable(driver):
    """What the panel says about a face without an enrollment key: (data-reason, title, [reasons])."""
    box = visible(driver, "not-enrollable")
    return (box.get_attribute("data-reason"), box.find_element(By.TAG_NAME, "strong").text,
            [item.text for item in box.find_elements(By.CSS_SELECTOR, "li")])


def test_a_face_too_small_to_enrol_gets_no_enrol_form(driver, base_url, tmp_path):
    assert SMALL_SOURCE.is_file(), f"{SMALL_SOURCE} is missing: the shared test photos belong in ../shared/testdata/faces"
    driver.get(base_url + "/")
    small = downscaled_png(driver, SMALL_SOURCE, SMALL_SIZE, tmp_path / f"small-{SMALL_SIZE}.png")
    driver.get_log("browser")
    record_answers(driver)
    state = recognise(driver, small)
    if state == "error":
        pytest.fail(f"the service found no face in {SMALL_SOURCE.name} scaled to {SMALL_SIZE} × {SMALL_SIZE}: "
                    f"{page_summary(driver)}")
    (seen,) = recognitions(driver)
    answer = seen["answer"]
    metadata = answer.get("metadata") or {}
    has_key = bool(answer.get("req_id") or (answer.get("enrollmentKey") or {}).get("req_id"))
    if has_key and "quality_shortfalls" not in metadata:
        pytest.skip("this service predates metadata.quality_shortfalls in single-face answers: it still gives a "
                    f"face of {(metadata.get('quality') or {}).get('face_size', 0):.1f} px an enrollment key")
    assert state == "no-match", page_summary(driver)
    assert not has_key, ("the service gave an enrollment key to a face too small to enrol "
                         f"(quality {metadata.get('quality')}, quality_shortfalls {metadata.get('quality_shortfalls')})")
    shortfalls = metadata.get("quality_shortfalls")
    assert shortfalls, f"no enrollment key and no quality_shortfalls: {answer}"
    assert not driver.find_element(By.ID, "enrol-form").is_displayed()
    reason, title, items = not_enrollable(driver)
    assert reason == "shortfalls" and title == "This face cannot be enrolled from this photo:", (reason, title)
    assert items == shortfalls, items
    assert any("closer" in item for item in items), items  # the face is too small: the advice says so
    assert not severe_console_errors(driver)


# The service's real answer for the small face, turned into one without an enrollment key: with the quality
# shortfalls the service lists, or from an older service that does not list them.
WITHOUT_KEY = {
    "shortfalls": """
        if (answer.message === 'no_match') {
            delete answer.req_id;
            delete answer.enrollmentKey;
            answer.metadata.quality_shortfalls = ['move closer to the camera (face size in pixels 22.9 is below 40)',
                                                  'hold the camera still (sharpness 11 is below 40)'];
        }
        return answer;""",
    "older-service": """
        if (answer.message === 'no_match') {
            delete answer.req_id;
            delete answer.enrollmentKey;
            delete answer.metadata.quality_shortfalls;
        }
        return answer;""",
}


@pytest.mark.parametrize("kind", sorted(WITHOUT_KEY))
def test_an_answer_without_an_enrolment_key_says_why(driver, base_url, tmp_path, kind):
    driver.get(base_url + "/")
    small = downscaled_png(driver, SMALL_SOURCE, SMALL_SIZE, tmp_path / f"small-{SMALL_SIZE}.png")
    driver.get_log("browser")
    record_answers(driver, WITHOUT_KEY[kind])
    assert recognise(driver, small) == "no-match", page_summary(driver)
    assert "No match" in text(driver, "decision")
    assert not driver.find_element(By.ID, "enrol-form").is_displayed()
    reason, title, items = not_enrollable(driver)
    if kind == "shortfalls":
        assert reason == "shortfalls" and title == "This face cannot be enrolled from this photo:", (reason, title)
        assert items == ["move closer to the camera (face size in pixels 22.9 is below 40)",
                         "hold the camera still (sharpness 11 is below 40)"], items
    else:
        assert (reason, title, items) == ("no-key", "The service gave no enrolment key for this face.", [])
    assert driver.find_element(By.ID, "details").is_displayed()  # the figures are still shown
    assert not severe_console_errors(driver)
    # The next photo starts clean.
    record_answers(driver)
    assert recognise(driver, PHOTO_1) in ("match", "no-match"), page_summary(driver)
    assert not driver.find_element(By.ID, "not-enrollable").is_displayed()


UNDECODABLE = """
    window.createImageBitmap = () => Promise.reject(new DOMException('cannot decode', 'InvalidStateError'));
    HTMLImageElement.prototype.decode = function () {
        return Promise.reject(new DOMException('The source image cannot be decoded.', 'EncodingError'));
    };"""


@pytest.mark.parametrize("kind", ["heic", "undecodable"])
def test_a_photo_the_browser_cannot_display_is_still_recognised(driver, base_url, tmp_path, kind):
    driver.get(base_url + "/")
    if kind == "heic":
        # A real HEIC (the browser has no decoder for it), made with libheif's encoder when it is installed.
        encoder = shutil.which("heif-enc")
        if not encoder:
            pytest.skip("heif-enc (Debian's libheif-examples) is not installed; the 'undecodable' case covers the "
                        "page's path with a JPEG the browser is made unable to decode")
        photo = tmp_path / "obama.heic"
        subprocess.run([encoder, "-q", "70", str(PHOTO_1), "-o", str(photo)], check=True, capture_output=True)
    else:
        photo = PHOTO_1
        driver.execute_script(UNDECODABLE)
    driver.get_log("browser")
    state = recognise(driver, photo)
    assert state in ("match", "no-match"), page_summary(driver)
    drawing = canvas_drawing(driver)
    assert drawing["drawn"] == "none", drawing
    assert ("Your browser cannot display this photo format (e.g. HEIC); the service still analysed it — the result "
            "is on the right.") == drawing["label"], drawing
    assert re.search(r"(Match|No match)", text(driver, "decision")), page_summary(driver)
    assert driver.find_element(By.ID, "details").is_displayed()
    assert "total" in text(driver, "timings") and "frontal score" in text(driver, "quality")
    if state == "no-match":
        visible(driver, "enrol-form")
    else:
        visible(driver, "delete-user")
    assert not severe_console_errors(driver)
