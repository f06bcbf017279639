"""The admin page end to end in a real browser (issue 18): headless Chromium driven by selenium, against the real
`serve` and `worker` (SMTP to a local sink), signed in with the session cookie of POST /admin/auth.

The tests share one browser and one database, and run in file order as one admin's session would: sign in,
the list (search, filters, sort, pages), the keyboard alone, a customer (details, edit, a conflict from a second
session), add one (and its welcome email), delete one, groups, operations, a script in a name, both widths, sign
out. A screenshot of each page goes to the test's temporary folder (printed at the end)."""
import json
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import Database, Process, Server, base_env, free_port, run_cli, wait_until
from helpers_api import ulid
from helpers_browser import FIGURES, Browser, copy_screenshots
from smtp_sink import SmtpSink

ADMIN_EMAIL = "page-admin@example.com"
ADMIN_PASSWORD = "page-admin-password-1"
MAIL_FROM = "Clientele Shop <shop@clientele.test>"
SHOPPERS = 70  # more than one page of 50
XSS_NAME = "<img src=x onerror=\"window.pwned=1\">"


def sql_text(value):
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def seed(db):
    """70 shoppers a day apart from 2025-01-02, a third with a phone, every second with an account; Grace Hopper
    with metadata, an address and the group VIP (with shoppers 1–5); a customer whose first name is a script;
    an empty group Newsletter. Returns the ids of the named ones."""
    ids = {"grace": "cus_" + ulid(), "mallory": "cus_" + ulid(), "vip": "cgrp_" + ulid(), "newsletter": "cgrp_" + ulid()}
    shoppers = [("cus_" + ulid(), i) for i in range(1, SHOPPERS + 1)]
    ids["shoppers"] = {i: cid for cid, i in shoppers}
    values = ",\n".join(
        f"({sql_text(cid)}, 'shopper{i:03}@example.com', 'Shopper', 'Number{i:03}', "
        f"{sql_text(f'+49 30 {i:04}' if i % 3 == 0 else None)}, {str(i % 2 == 0).lower()}, "
        f"timestamptz '2025-01-01T12:00:00Z' + interval '{i} days', timestamptz '2025-01-01T12:00:00Z' + interval '{i} days')"
        for cid, i in shoppers)
    address = "addr_" + ulid()
    db.sql(f"""
        INSERT INTO customer (id, email, first_name, last_name, phone, has_account, created_at, updated_at)
        VALUES {values};
        INSERT INTO customer (id, email, first_name, last_name, has_account, metadata, created_at)
        VALUES ({sql_text(ids['grace'])}, 'grace.hopper@example.com', 'Grace', 'Hopper', true,
                '{{"tier": "gold", "source": "import"}}', '2025-06-01T09:00:00Z'),
               ({sql_text(ids['mallory'])}, 'mallory@example.com', {sql_text(XSS_NAME)}, 'Mallory', false, NULL,
                '2025-06-02T09:00:00Z');
        INSERT INTO address (id, customer_id, first_name, last_name, address_1, city, postal_code, country_code)
        VALUES ({sql_text(address)}, {sql_text(ids['grace'])}, 'Grace', 'Hopper', 'Unter den Linden 1', 'Berlin',
                '10117', 'de');
        UPDATE customer SET billing_address_id = {sql_text(address)} WHERE id = {sql_text(ids['grace'])};
        INSERT INTO customer_group (id, name) VALUES ({sql_text(ids['vip'])}, 'VIP'), ({sql_text(ids['newsletter'])}, 'Newsletter');
        INSERT INTO customer_group_customers (customer_group_id, customer_id)
        SELECT {sql_text(ids['vip'])}, id FROM customer
        WHERE email IN ('grace.hopper@example.com', 'shopper001@example.com', 'shopper002@example.com',
                        'shopper003@example.com', 'shopper004@example.com', 'shopper005@example.com');
    """)
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("admin-page")
    shots = tmp_path_factory.mktemp("admin-page-screenshots")
    db = Database().migrate()
    sink = SmtpSink(free_port()).start()
    started = []
    try:
        run_cli(["user", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD], env={"DATABASE_URL": db.url})
        ids = seed(db)
        server = Server(db.url, tmp, workers=2, env={"PASSWORD_SCRYPT_LOG_N": "10"})
        started.append(server)
        worker = Process(["worker"], base_env(db.url, MAIL_TRANSPORT="smtp", SMTP_URL=sink.url, MAIL_FROM=MAIL_FROM),
                         tmp / "worker.log")
        started.append(worker)
        wait_until(lambda: "worker started" in worker.output() or worker.proc.poll() is not None, timeout=30,
                   what="worker start")
        assert worker.proc.poll() is None, worker.output()
        browser = Browser(server.url, shots, tmp / "chromedriver.log")
        try:
            yield {"db": db, "server": server, "sink": sink, "ids": ids, "browser": browser}
        finally:
            browser.quit()
            FIGURES.append(f"admin page screenshots: {shots}")
            copy_screenshots(shots, ["customers-1440", "customer-360"])
    finally:
        for process in reversed(started):
            process.stop()
        sink.stop()
        db.drop()


@pytest.fixture
def page(world):
    browser = world["browser"]
    yield browser
    # No script error and no refused inline script or style on any page the test visited.
    assert browser.console_errors() == []


def api_message(world, method, path, body):
    """What the API itself answers to `body`, for comparing with what the page shows."""
    response = requests.request(method, world["server"].url + path, json=body, timeout=60,
                                headers=admin_session(world))
    return response.status_code, response.json()["message"]


def admin_session(world):
    """A second admin session (its own cookie), as a colleague in another browser would have."""
    if "second" not in world:
        session = requests.Session()
        login = session.post(world["server"].url + "/admin/auth", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                             timeout=60)
        assert login.status_code == 200, login.text
        world["second"] = {"Cookie": f"clientele.sid={session.cookies['clientele.sid']}"}
    return world["second"]


def field_errors(page, names, within="main"):
    """The messages shown next to the fields, in the form's order, joined as the API joins them."""
    return ", ".join(text for text in (page.field_error(name, within) for name in names) if text)


def wait_for_rows(page, summary_start):
    return page.wait_text("main .summary", lambda text: text.startswith(summary_start), f"summary {summary_start!r}")


def live_count(world, condition="true"):
    return int(world["db"].sql(f"SELECT count(*) FROM customer WHERE deleted_at IS NULL AND ({condition})"))


# --- sign in ----------------------------------------------------------------------------------------------------

def test_sign_in_shows_the_apis_messages_next_to_the_fields_and_then_signs_in(world, page):
    page.open()
    page.wait(lambda: "#/sign-in" in page.driver.current_url, "the redirect to sign-in (the API answered 401)")
    page.wait_heading("Sign in")
    assert page.driver.switch_to.active_element.get_attribute("name") == "email"
    page.screenshot("sign-in")

    page.submit("main form")
    status, message = api_message(world, "POST", "/admin/auth", {"email": "", "password": ""})
    assert status == 400
    page.wait(lambda: page.field_error("email"), "the email field's error")
    assert field_errors(page, ["email", "password"]) == message
    assert page.field("email").get_attribute("aria-invalid") == "true"
    assert page.driver.switch_to.active_element.get_attribute("name") == "email"

    page.fill("email", ADMIN_EMAIL)
    page.fill("password", "wrong-password-123")
    page.submit("main form")
    page.wait(lambda: page.form_error() == "Wrong email or password.", "the wrong-password message")
    assert page.field_error("email") == ""

    page.fill("password", ADMIN_PASSWORD)
    page.keys(Keys.ENTER)
    page.wait_heading("Customers")
    assert page.driver.current_url.endswith("/app#/customers")
    wait_for_rows(page, f"{live_count(world)} customers")


# --- the customers list -----------------------------------------------------------------------------------------

def test_the_list_shows_the_exact_count_and_pages_through_it(world, page):
    page.go("customers")
    total = live_count(world)
    assert wait_for_rows(page, f"{total} customers") == f"{total} customers · Showing 1–50"
    first = page.column(1)
    assert len(first) == 50 and len(set(first)) == 50
    expected = world["db"].sql(
        "SELECT email FROM customer WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 50").split("\n")
    assert first == expected

    page.find('main [data-page="next"]').click()
    wait_for_rows(page, f"{total} customers · Showing 51–{total}")
    second = page.column(1)
    assert len(second) == total - 50 and not set(second) & set(first)
    assert "offset=50" in page.driver.current_url
    assert page.find('main [data-page="next"]').get_property("disabled")

    page.find('main [data-page="previous"]').click()
    wait_for_rows(page, f"{total} customers · Showing 1–50")
    assert page.column(1) == first
    assert page.find('main [data-page="previous"]').get_property("disabled")


def apply_filters(page, **fields):
    for name, value in fields.items():
        if name in ("has_account", "group", "order"):
            page.choose(name, value, "main form.filters")
        elif name.startswith("created_"):
            page.set_value(name, value, "main form.filters")
        else:
            page.fill(name, value, "main form.filters")
    page.submit("main form.filters")


def test_search_filters_and_sort(world, page):
    page.go("customers")
    wait_for_rows(page, f"{live_count(world)} customers")
    ids = world["ids"]

    apply_filters(page, q="grace")
    assert wait_for_rows(page, "1 customer") == "1 customer · Showing 1–1"
    assert page.column(0) == ["Grace Hopper"]

    page.find("main form.filters a.button").click()  # Clear
    page.wait(lambda: page.field("q", "main form.filters").get_attribute("value") == "", "cleared filters")

    apply_filters(page, has_account="false")
    guests = live_count(world, "NOT has_account")
    wait_for_rows(page, f"{guests} customers")
    assert set(page.column(3)) == {"Guest"}

    page.wait(lambda: len(page.driver.find_elements(By.CSS_SELECTOR, 'main select[name="group"] option')) == 3,
              "the groups in the filter")
    apply_filters(page, has_account="", group=ids["vip"])
    wait_for_rows(page, "6 customers")
    assert sorted(page.column(1)) == ["grace.hopper@example.com"] + [f"shopper{i:03}@example.com" for i in range(1, 6)]

    apply_filters(page, group="", created_from="2025-01-10", created_to="2025-01-19")
    in_range = live_count(world, "created_at >= '2025-01-10T00:00:00Z' AND created_at < '2025-01-20T00:00:00Z'")
    assert in_range == 10
    wait_for_rows(page, "10 customers")
    assert page.column(1)[0] == "shopper018@example.com"  # newest first

    apply_filters(page, created_from="", created_to="", order="email")
    first_email = world["db"].sql("SELECT min(email) FROM customer WHERE deleted_at IS NULL")
    page.wait(lambda: page.column(1)[:1] == [first_email], "the list sorted by email")
    assert page.column(1) == sorted(page.column(1))
    assert "order=email" in page.driver.current_url

    # The address holds the filters: a reload shows the same list.
    page.open("customers?q=number00&has_account=true")
    wait_for_rows(page, "4 customers")
    assert page.field("q", "main form.filters").get_attribute("value") == "number00"
    assert page.column(1) == [f"shopper{i:03}@example.com" for i in (8, 6, 4, 2)]
    page.screenshot("customers-filtered")


def test_the_keyboard_alone_searches_and_opens_a_customer(world, page):
    page.open("customers")
    wait_for_rows(page, f"{live_count(world)} customers")
    assert page.driver.switch_to.active_element.tag_name == "h1"  # focus starts on the page's heading
    page.tab_until(lambda element: element.get_attribute("name") == "q", "the search field")
    page.keys("grace", Keys.ENTER)
    wait_for_rows(page, "1 customer")
    page.tab_until(lambda element: element.text == "Grace Hopper", "the customer's link")
    page.keys(Keys.ENTER)
    page.wait_heading("Grace Hopper")
    assert page.driver.switch_to.active_element.tag_name == "h1"
    # Edit by keyboard: to the phone field, type, Enter submits.
    page.tab_until(lambda element: element.get_attribute("name") == "phone", "the phone field")
    page.keys("+1 555 0100", Keys.ENTER)
    page.wait(lambda: page.flash() == "Changes saved.", "the saved message")
    assert world["db"].sql(f"SELECT phone FROM customer WHERE id = '{world['ids']['grace']}'") == "+1 555 0100"


# --- one customer -----------------------------------------------------------------------------------------------

def test_a_customers_page_shows_details_groups_addresses_metadata_and_saves_an_edit(world, page):
    grace = world["ids"]["grace"]
    page.open(f"customers/{grace}")
    page.wait_heading("Grace Hopper")
    text = page.main_text()
    for expected in ("grace.hopper@example.com", "Registered", "2025-06-01 09:00 UTC", grace, "Billing address",
                     "Unter den Linden 1", "10117 Berlin", "DE"):
        assert expected in text, expected
    assert [a.text for a in page.driver.find_elements(By.CSS_SELECTOR, "main ul.tags a")] == ["VIP"]
    metadata = page.driver.find_elements(By.CSS_SELECTOR, "main section[aria-labelledby='metadata-heading'] dd")
    assert sorted(element.text for element in metadata) == ["gold", "import"]
    assert page.field("email").get_property("readOnly")
    page.screenshot("customer")

    page.fill("first_name", "Grace Brewster")
    page.fill("metadata", '{"tier": "platinum"}')
    newsletter = page.find(f'main input[name="groups"][value="{world["ids"]["newsletter"]}"]')
    newsletter.click()
    page.submit("main form.card")
    page.wait(lambda: page.flash() == "Changes saved.", "the saved message")
    page.wait_heading("Grace Brewster Hopper")
    row = world["db"].sql(f"SELECT first_name, metadata FROM customer WHERE id = '{grace}'").split("|")
    assert row[0] == "Grace Brewster" and json.loads(row[1]) == {"tier": "platinum"}
    groups = world["db"].sql(f"""SELECT string_agg(g.name, ',' ORDER BY g.name) FROM customer_group_customers m
                                 JOIN customer_group g ON g.id = m.customer_group_id WHERE m.customer_id = '{grace}'""")
    assert groups == "Newsletter,VIP"

    # Metadata that is not an object is refused before anything is sent; the page says so at the field.
    page.fill("metadata", "[1, 2")
    page.submit("main form.card")
    page.wait(lambda: page.field_error("metadata").startswith("metadata must be a JSON object"), "the metadata error")


def test_an_edit_refused_by_the_api_shows_its_message_at_the_field(world, page):
    guest = world["ids"]["shoppers"][7]
    page.open(f"customers/{guest}")
    page.wait_heading("Shopper Number007")
    page.fill("email", "not-an-email")
    page.submit("main form.card")
    status, message = api_message(world, "POST", f"/admin/customers/{guest}", {"email": "not-an-email"})
    assert status == 400
    page.wait(lambda: page.field_error("email") == message, "the API's message at the email field")
    assert world["db"].sql(f"SELECT email FROM customer WHERE id = '{guest}'") == "shopper007@example.com"


def test_a_stale_edit_shows_the_conflict_instead_of_overwriting(world, page):
    customer = world["ids"]["shoppers"][9]
    page.open(f"customers/{customer}")
    page.wait_heading("Shopper Number009")
    # Meanwhile, a colleague's session changes the last name.
    changed = requests.post(f"{world['server'].url}/admin/customers/{customer}", json={"last_name": "Elsewhere"},
                            headers=admin_session(world), timeout=60)
    assert changed.status_code == 200, changed.text

    page.fill("first_name", "Mine")
    page.submit("main form.card")
    page.wait(lambda: page.driver.find_elements(By.CSS_SELECTOR, "main [data-conflict]"), "the conflict")
    conflict = {row.find_element(By.TAG_NAME, "th").text: [cell.get_property("textContent")
                                                            for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in page.driver.find_elements(By.CSS_SELECTOR, "main [data-conflict] tbody tr")}
    assert conflict == {"Last name": ["Elsewhere", "(unchanged)"], "First name": ["Shopper", "Mine"]}
    assert "Someone else changed this customer" in page.find("main [data-conflict] h2").text
    assert world["db"].sql(f"SELECT first_name, last_name FROM customer WHERE id = '{customer}'") == "Shopper|Elsewhere"
    page.screenshot("customer-conflict")

    page.find('main [data-action="save-mine"]').click()
    page.wait(lambda: page.flash() == "Changes saved.", "the saved message")
    page.wait_heading("Mine Elsewhere")
    assert world["db"].sql(f"SELECT first_name, last_name FROM customer WHERE id = '{customer}'") == "Mine|Elsewhere"


def test_adding_a_customer_shows_field_errors_then_the_welcome_email_arrives(world, page):
    page.open("customers/new")
    page.wait_heading("Add a customer")
    bad = {"email": "not-an-email", "first_name": "Ada", "password": "short"}
    for name, value in bad.items():
        page.fill(name, value)
    page.submit("main form")
    status, message = api_message(world, "POST", "/admin/customers", bad)
    assert status == 400
    page.wait(lambda: page.field_error("email"), "the field errors")
    shown = {name: page.field_error(name) for name in ("email", "first_name", "last_name", "password", "phone")}
    assert field_errors(page, ["email", "first_name", "last_name", "password", "phone"]) == message
    assert shown["email"] == "email must be an email" and shown["last_name"] == "last_name must be a string"
    assert shown["password"] == "password must be longer than or equal to 8 characters" and shown["phone"] == ""
    page.screenshot("new-customer-errors")

    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    page.fill("email", email)
    page.fill("last_name", "Lovelace")
    page.fill("password", "analytical-engine")
    page.submit("main form")
    page.wait_heading("Ada Lovelace")
    assert page.flash() == f"Created {email}. The welcome email is on its way."
    wait_until(lambda: [m for m in world["sink"].snapshot() if email in m["to"]], timeout=60, what="the welcome email")
    [message_sent] = [m for m in world["sink"].snapshot() if email in m["to"]]
    assert "Ada" in message_sent["text"]

    # The same email again: the API's duplicate message, at the email field.
    page.go("customers/new")
    page.wait(lambda: page.heading() == "Add a customer" and page.field("email").get_attribute("value") == "", "the form")
    for name, value in {"email": email, "first_name": "Ada", "last_name": "Again", "password": "analytical-engine"}.items():
        page.fill(name, value)
    page.submit("main form")
    page.wait(lambda: page.field_error("email") == "A customer with the given email already has an account. Log in instead",
              "the duplicate message at the email field")


def test_deleting_a_customer_asks_first(world, page):
    customer = world["ids"]["shoppers"][70]
    page.open(f"customers/{customer}")
    page.wait_heading("Shopper Number070")
    before = live_count(world)
    page.find('main [data-action="delete"]').click()
    confirm = page.find('main [data-action="confirm-delete"]')
    assert page.driver.switch_to.active_element == confirm
    confirm.click()
    page.wait_heading("Customers")
    assert page.flash() == "Deleted Shopper Number070."
    wait_for_rows(page, f"{before - 1} customers")
    response = requests.get(f"{world['server'].url}/admin/customers/{customer}", headers=admin_session(world), timeout=60)
    assert response.status_code == 404


# --- groups -----------------------------------------------------------------------------------------------------

def test_groups_are_listed_created_renamed_and_their_members_managed(world, page):
    db = world["db"]
    page.open("groups")
    page.wait_heading("Customer groups")
    wait_for_rows(page, "2 groups")
    assert page.column(0) == ["Newsletter", "VIP"]
    page.screenshot("groups")

    page.fill("name", "VIP", "main form.card")
    page.submit("main form.card")
    status, message = api_message(world, "POST", "/admin/customer-groups", {"name": "VIP"})
    assert status == 422
    page.wait(lambda: page.field_error("name", "main form.card") == message, "the duplicate name at the field")

    page.fill("name", "Wholesale", "main form.card")
    page.submit("main form.card")
    page.wait_heading("Wholesale")
    assert page.flash() == "Created the group Wholesale."
    group = db.sql("SELECT id FROM customer_group WHERE name = 'Wholesale'")
    assert page.summary() == "0 members"

    page.fill("q", "shopper010", "main form[aria-labelledby='add-heading']")
    page.submit("main form[aria-labelledby='add-heading']")
    add = page.wait(lambda: page.driver.find_elements(By.CSS_SELECTOR, 'main [data-action="add-member"]'), "a customer found")
    assert len(add) == 1
    add[0].click()
    page.wait(lambda: page.flash() == "Added shopper010@example.com to Wholesale.", "the added message")
    assert page.summary() == "1 member · Showing 1–1"
    assert page.column(1, "main table tbody tr") == ["shopper010@example.com"]
    assert db.sql(f"SELECT count(*) FROM customer_group_customers WHERE customer_group_id = '{group}'") == "1"
    page.screenshot("group")

    page.fill("name", "Wholesale EU", "main form[aria-labelledby='rename-heading']")
    page.submit("main form[aria-labelledby='rename-heading']")
    page.wait_heading("Wholesale EU")
    assert db.sql(f"SELECT name FROM customer_group WHERE id = '{group}'") == "Wholesale EU"

    page.find('main [data-action="remove-member"]').click()
    page.wait(lambda: page.flash() == "Removed shopper010@example.com from Wholesale EU.", "the removed message")
    assert page.summary() == "0 members"
    assert db.sql(f"SELECT count(*) FROM customer_group_customers WHERE customer_group_id = '{group}'") == "0"


# --- operations -------------------------------------------------------------------------------------------------

def test_the_operations_page_shows_the_queue_the_deliveries_and_the_latest_failures(world, page):
    world["db"].sql("""
        INSERT INTO job (kind, state, attempt, max_attempts, finalized_at, errors) VALUES
          ('customer.created', 'discarded', 20, 20, now(),
           '[{"at": "2026-02-01T10:00:00Z", "attempt": 20, "error": "550 5.1.1 <b>no</b> such mailbox"}]')""")
    wait_until(lambda: world["db"].sql("SELECT count(*) FROM email_delivery WHERE status = 'sent'") != "0", timeout=60,
               what="a sent welcome email")
    # The worker has run every event of the earlier tests, so the page and the query below see the same counts.
    wait_until(lambda: world["db"].sql("SELECT count(*) FROM job WHERE state <> ALL ('{completed,discarded}')") == "0",
               timeout=60, what="an idle queue")
    page.open("operations")
    page.wait_heading("Operations")
    totals = {item.get_attribute("data-state"): item.find_element(By.CSS_SELECTOR, ".number").text
              for item in page.driver.find_elements(By.CSS_SELECTOR, "main .totals li")}
    expected = dict(line.split("|") for line in world["db"].sql(
        "SELECT state, count(*) FROM job GROUP BY state").split("\n"))
    assert {state: count for state, count in totals.items() if count != "0"} == expected
    deliveries = page.driver.find_elements(By.CSS_SELECTOR, "main section[aria-labelledby='deliveries-heading'] tbody tr")
    assert [[cell.get_property("textContent") for cell in row.find_elements(By.TAG_NAME, "td")][:3]
            for row in deliveries] == [["welcome", "sent", "1"]]
    failures = page.driver.find_elements(By.CSS_SELECTOR, "main section[aria-labelledby='failures-heading'] tbody tr")
    assert any("550 5.1.1 <b>no</b> such mailbox" in row.text for row in failures)
    assert not page.driver.find_elements(By.CSS_SELECTOR, "main b")
    page.screenshot("operations")


# --- a script in a name -----------------------------------------------------------------------------------------

def test_a_script_in_a_customers_name_shows_as_text(world, page):
    page.open("customers?q=mallory")
    wait_for_rows(page, "1 customer")
    assert page.column(0) == [f"{XSS_NAME} Mallory"]
    page.find("main .results tbody a").click()
    page.wait_heading(f"{XSS_NAME} Mallory")
    assert page.field("first_name").get_attribute("value") == XSS_NAME
    assert page.driver.find_elements(By.CSS_SELECTOR, "main img") == []
    assert page.driver.title == f"{XSS_NAME} Mallory · Clientele"
    assert page.driver.execute_script("return [window.pwned, document.querySelectorAll('img').length]") == [None, 0]
    page.screenshot("customer-script-name")


# --- widths -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [360, 1440])
def test_every_page_fits_the_width_without_sideways_scrolling(world, page, width):
    grace = world["ids"]["grace"]
    grace_name = world["db"].sql(f"SELECT first_name || ' ' || last_name FROM customer WHERE id = '{grace}'")
    page.viewport(width)
    try:
        for name, route, heading in [("customers", "customers", "Customers"),
                                     ("customer", f"customers/{grace}", grace_name),
                                     ("new-customer", "customers/new", "Add a customer"),
                                     ("groups", "groups", "Customer groups"),
                                     ("group", f"groups/{world['ids']['vip']}", "VIP"),
                                     ("operations", "operations", "Operations")]:
            page.open(route)
            page.wait_heading(heading)
            if name in ("customers", "groups"):
                page.wait(lambda: page.rows(), f"the rows of {name}")
            overflow = page.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
            page.screenshot(f"{name}-{width}")
    finally:
        page.viewport(1440)


# --- sign out ---------------------------------------------------------------------------------------------------

def test_signing_out_ends_the_session_and_the_api_refuses_the_page(world, page):
    page.open("customers")
    wait_for_rows(page, f"{live_count(world)} customers")
    assert page.fetch_status("/admin/customers?limit=1") == 200
    page.find("#sign-out").click()
    page.wait_heading("Sign in")
    assert page.flash() == "You are signed out."
    assert page.driver.get_cookie("clientele.sid") is None
    assert page.fetch_status("/admin/customers?limit=1") == 401

    page.open("customers")
    page.wait(lambda: "#/sign-in?next=customers" in page.driver.current_url, "the redirect to sign-in")
    page.wait_heading("Sign in")
    assert page.driver.find_elements(By.CSS_SELECTOR, "main .results tbody tr") == []
