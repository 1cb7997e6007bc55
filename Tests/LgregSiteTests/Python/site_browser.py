#!/usr/bin/env python3
"""Checks a site `lgreg site` wrote in headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

usage: site_browser.py SITE_DIR SCREENSHOT_DIR HOSTILE_PAGE LEARNGENE_PAGE

Every page is opened from file://: it must log no console error, every link must lead to a file of the site (and
to an element of that page when it names one), every image must load, every plot must be drawn at a non-zero
size. On the index the filter box must narrow the rows and every sortable column must sort both ways. The hostile
page's description must show as text and its script never run. Screenshots of the index and of LEARNGENE_PAGE are
written to SCREENSHOT_DIR. Prints one JSON object (what was checked); exits 1 naming each failure.
"""
import json
import os
import sys
from urllib.parse import unquote, urlparse

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

site, shots, hostile_page, learngene_page = sys.argv[1:5]
site = os.path.realpath(site)
failures = []
checked = {"pages": 0, "links": 0, "images": 0, "plots": 0, "filters": 0, "sorts": 0}


def fail(message):
    failures.append(message)


options = webdriver.ChromeOptions()
options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--hide-scrollbars", "--force-device-scale-factor=1"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(options=options, service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))


def console_errors(page):
    for entry in driver.get_log("browser"):
        if entry.get("level") in ("SEVERE", "ERROR"):
            fail(f"{page}: console error: {entry.get('message')}")


def no_alert(page):
    try:
        alert = driver.switch_to.alert
        fail(f"{page}: an alert opened: {alert.text!r}")
        alert.dismiss()
    except NoAlertPresentException:
        pass


def visible_rows():
    return driver.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll('#entries tbody tr'),"
        " function (r) { return !r.hidden && r.offsetParent !== null; }).length;")


def column_values(column):
    return driver.execute_script(
        "var c = arguments[0]; return Array.prototype.map.call(document.querySelectorAll('#entries tbody tr'),"
        " function (r) { var cell = r.cells[c]; var v = cell.getAttribute('data-value');"
        " return v === null ? cell.textContent.trim() : v; });", column)


try:
    pages = sorted(name for name in os.listdir(site) if name.endswith(".html"))
    for name in pages:
        driver.get("file://" + os.path.join(site, name))
        checked["pages"] += 1
        no_alert(name)
        console_errors(name)
        if not driver.title:
            fail(f"{name}: no title")
        if driver.execute_script("return window.__pwned === true || document.title === 'pwned';"):
            fail(f"{name}: a script from the content ran")
        for href in driver.execute_script(
                "return Array.prototype.map.call(document.querySelectorAll('a[href]'),"
                " function (a) { return a.getAttribute('href'); });"):
            checked["links"] += 1
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or href.startswith("/"):
                fail(f"{name}: link {href!r} is not relative to the site")
                continue
            target = os.path.realpath(os.path.join(site, unquote(parsed.path) or name))
            if not target.startswith(site + os.sep) or not os.path.isfile(target):
                fail(f"{name}: link {href!r} leads to no file of the site")
            elif parsed.fragment:
                with open(target, encoding="utf-8") as page:
                    if f'id="{parsed.fragment}"' not in page.read():
                        fail(f"{name}: link {href!r} names no element")
        for image in driver.execute_script(
                "return Array.prototype.map.call(document.images,"
                " function (i) { return [i.getAttribute('src'), i.complete && i.naturalWidth > 0]; });"):
            checked["images"] += 1
            if not image[1]:
                fail(f"{name}: image {image[0]!r} does not load")
        for box in driver.execute_script(
                "return Array.prototype.map.call(document.querySelectorAll('.plot svg'),"
                " function (s) { var r = s.getBoundingClientRect();"
                " return [r.width, r.height, s.querySelectorAll('.point').length]; });"):
            checked["plots"] += 1
            if box[0] <= 0 or box[1] <= 0 or box[2] == 0:
                fail(f"{name}: a plot is drawn at {box[0]}×{box[1]} with {box[2]} points")
        for link in driver.execute_script(
                "return Array.prototype.map.call(document.querySelectorAll('link[rel=stylesheet], script[src]'),"
                " function (e) { return e.getAttribute('href') || e.getAttribute('src'); });"):
            if not os.path.isfile(os.path.join(site, link)):
                fail(f"{name}: {link!r} is not in the site")

    # The index: the filter narrows, every sortable column sorts both ways.
    driver.get("file://" + os.path.join(site, "index.html"))
    total = visible_rows()
    if total < 2:
        fail(f"index.html: {total} rows shown")
    box = driver.find_element(By.ID, "filter")
    for word in ["tuned", "learngene", "hostile"]:
        box.clear()
        box.send_keys(word)
        shown = visible_rows()
        checked["filters"] += 1
        texts = driver.execute_script(
            "return Array.prototype.filter.call(document.querySelectorAll('#entries tbody tr'),"
            " function (r) { return !r.hidden; }).map(function (r) { return r.getAttribute('data-search'); });")
        if not 0 < shown < total or any(word not in text for text in texts):
            fail(f"index.html: filtering by {word!r} shows {shown} of {total} rows")
        if driver.find_element(By.ID, "shown").text != str(shown):
            fail(f"index.html: the count says {driver.find_element(By.ID, 'shown').text} for {shown} rows")
    box.clear()
    box.send_keys("no-entry-is-called-this")
    if visible_rows() != 0:
        fail("index.html: a filter matching nothing leaves rows")
    box.clear()
    box.send_keys(" ")
    if visible_rows() != total:
        fail("index.html: clearing the filter does not show every row again")
    headers = driver.find_elements(By.CSS_SELECTOR, "#entries thead th")
    for column, header in enumerate(headers):
        numeric = header.get_attribute("data-type") == "number"
        for direction in ["ascending", "descending"]:
            header.find_element(By.TAG_NAME, "button").click()
            checked["sorts"] += 1
            values = column_values(column)
            keys = [(float(v) if v != "" else float("-inf")) if numeric else v.lower() for v in values]
            expected = sorted(keys, reverse=direction == "descending")
            if keys != expected or header.get_attribute("aria-sort") != direction:
                fail(f"index.html: column {header.text!r} {direction}: {values}")
    console_errors("index.html (after filtering and sorting)")
    driver.find_element(By.ID, "filter").clear()
    driver.get("file://" + os.path.join(site, "index.html"))
    os.makedirs(shots, exist_ok=True)
    driver.save_screenshot(os.path.join(shots, "index.png"))
    driver.set_window_size(1400, 1000)

    # The hostile card: its description is text, its script never ran.
    driver.get("file://" + os.path.join(site, hostile_page))
    no_alert(hostile_page)
    description = driver.execute_script(
        "var dts = document.querySelectorAll('dl.facts dt'); for (var i = 0; i < dts.length; i++) {"
        " if (dts[i].textContent === 'description') { return dts[i].nextElementSibling.textContent; } } return null;")
    if description is None or "<script>" not in description or '"onload=' not in description:
        fail(f"{hostile_page}: the description does not show as text: {description!r}")
    if driver.execute_script("return document.querySelectorAll('script:not([src]), [onload], [onerror]').length") != 0:
        fail(f"{hostile_page}: the page holds an inline script or an event handler")
    if driver.title == "pwned" or driver.execute_script("return window.__pwned === true;"):
        fail(f"{hostile_page}: the description's script ran")

    driver.get("file://" + os.path.join(site, learngene_page))
    height = driver.execute_script("return document.documentElement.scrollHeight;")
    driver.set_window_size(1400, min(max(height, 1000), 6000))
    driver.save_screenshot(os.path.join(shots, "learngene.png"))
    console_errors(learngene_page)
finally:
    driver.quit()

print(json.dumps({"checked": checked, "failures": failures}, indent=1))
sys.exit(1 if failures else 0)
