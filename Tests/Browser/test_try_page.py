"""The try-it page at / in a real browser: Debian's headless Chromium driven by Selenium.

Needs a running service (FACEMATRIX_URL, its base URL) that serves the page, and the shared photos in
../shared/testdata/faces. scripts/browser-test.sh installs the browser and this test's venv and runs it.
The happy path enrols one person under a unique name and deletes them again, also when a step fails.
"""

import json
import os
import pathlib
import re
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


def canvas_drawing(driver):
    """How the canvas was drawn, and the colour of a pixel on the face box's left edge."""
    return driver.execute_script("""
        const c = document.getElementById('canvas');
        const out = {drawn: c.dataset.drawn, width: c.width, height: c.height,
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

    state = recognise(driver, PHOTO_1)
    if state == "match":
        pytest.fail(f"{PHOTO_1.name} is already enrolled here ({text(driver, 'decision')}); this test needs a service "
                    "where it is not: delete that user (DELETE /api/v1/users/ID) or use a fresh database")
    assert state == "no-match", page_summary(driver)
    assert "No match" in text(driver, "decision")
    assert canvas_drawing(driver)["drawn"] == "box"
    visible(driver, "enrol-form")

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
