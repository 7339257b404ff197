"""The sao web client, served by trytond, in headless Debian chromium."""
from .server import ADMIN_PASSWORD
from .terminal_client import admin_rpc

TECHNICIAN_PASSWORD = 'tom-on-the-shop-floor'


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


def test_technician_works_a_request_on_a_phone(server, browser, artefacts):
    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    employee = proxy.model.company.employee.search(
        [('party.name', '=', 'Tom Technician')], 0, None, None, context)
    group = proxy.model.res.group.search(
        [('name', '=', 'MES Maintenance')], 0, None, None, context)
    proxy.model.res.user.create([{
                'name': "Tom Technician", 'login': 'tom',
                'password': TECHNICIAN_PASSWORD,
                'groups': [('add', group)],
                'companies': [('add', [context['company']])],
                'company': context['company'],
                'employees': [('add', employee)], 'employee': employee[0],
                }], context)
    lathe = proxy.model.mes.equipment.search(
        [('code', '=', 'M-LATHE-1')], 0, None, None, context)
    request, = proxy.model.mes.maintenance.request.create([{
                'equipment': lathe[0], 'technician': employee[0],
                'priority': 'high', 'description': "Coolant pump is noisy",
                }], context)
    proxy.model.mes.maintenance.request.confirm([request], context)

    page = browser.new_page(
        viewport={'width': 390, 'height': 844}, is_mobile=True,
        has_touch=True)
    page.goto(server.url + '/', wait_until='networkidle')
    select = page.locator('select#database:visible')
    if select.count():
        select.select_option(server.database)
    page.fill('#login', 'tom')
    page.get_by_role('button', name='Login').click()
    password = page.locator('input[type=password]:visible')
    password.wait_for()
    password.fill(TECHNICIAN_PASSWORD)
    password.press('Enter')

    page.get_by_text('Manufacturing', exact=True).click()
    page.get_by_text('Maintenance', exact=True).click()
    page.get_by_text('My Open Requests', exact=True).click()
    card = page.get_by_text("Coolant pump is noisy")
    card.wait_for(timeout=30_000)
    page.screenshot(path=artefacts / '1-my-open-requests.png')

    # The first tap selects the card, the button then starts the work.
    card.click()
    page.get_by_role('button', name='Start').first.click()
    page.get_by_text('In Progress').first.wait_for(timeout=30_000)
    page.screenshot(path=artefacts / '2-started.png')
    started, = proxy.model.mes.maintenance.request.read(
        [request], ['state', 'started_at'], context)
    assert started['state'] == 'in_progress' and started['started_at']
