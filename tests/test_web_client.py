"""The sao web client, served by trytond, in headless Debian chromium."""
from .server import ADMIN_PASSWORD


def test_admin_logs_in_and_finds_manufacturing(server, browser, artefacts):
    page = browser.new_page(viewport={'width': 1280, 'height': 800})
    page.goto(server.url + '/', wait_until='networkidle')
    page.screenshot(path=artefacts / '1-login.png')

    # SQLite shows the one database read-only; PostgreSQL lists the
    # cluster's databases to choose from.
    select = page.locator('select#database:visible')
    if select.count():
        select.select_option(server.database)
    else:
        database = page.locator('input#database:visible')
        assert database.input_value() == server.database
    page.fill('#login', 'admin')
    page.get_by_role('button', name='Login').click()
    password = page.locator('input[type=password]:visible')
    try:
        password.wait_for()
    finally:
        page.screenshot(path=artefacts / '2-password.png')
    password.fill(ADMIN_PASSWORD)
    password.press('Enter')

    menu = page.get_by_text('Manufacturing', exact=True)
    try:
        menu.first.wait_for(timeout=30_000)
    finally:
        page.screenshot(path=artefacts / '3-menu.png')
    page.screenshot(path=artefacts / '3-menu.png')
    assert menu.count() >= 1
