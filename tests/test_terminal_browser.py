"""Operators on the terminal, in headless Debian chromium."""
import datetime as dt
import re

from .terminal_client import admin_rpc, new_production, terminal_key


def open_terminal(browser, server, artefacts=None,
        viewport={'width': 1024, 'height': 768}):
    key = terminal_key(server, 'PUMP1')
    page = browser.new_page(viewport=viewport)
    base = f'{server.url}/{server.database}/mes/terminal/PUMP1'
    # An administrator pairs the panel once: the key stays in the browser.
    page.goto(f'{base}#key={key}')
    page.get_by_role('heading', name='Sign in').wait_for()
    if artefacts:
        page.screenshot(path=artefacts / '1-sign-in.png')
    return page


def sign_in(page, badge='B-1001', pin='1234', name='Olga Operator'):
    # A keyboard-wedge scanner types the badge and Enter.
    page.locator('#badge').fill(badge)
    page.locator('#badge').press('Enter')
    page.locator('#pin').fill(pin)
    page.get_by_role('button', name='Sign in').click()
    page.locator('#operator-list').get_by_role('button', name=name).wait_for()


def read_work(server, work_id):
    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    work, = proxy.model.production.work.read(
        [work_id], ['state', 'cycles', 'production'], context)
    cycles = proxy.model.production.work.cycle.read(
        work['cycles'], ['run_by.rec_name', 'good_quantity', 'scraps',
            'state'], context)
    return proxy, context, work, cycles


def test_operator_runs_a_work_on_the_terminal(server, browser, artefacts):
    works = new_production(server, 25)
    page = open_terminal(browser, server, artefacts)
    sign_in(page)
    page.screenshot(path=artefacts / '2-signed-in.png')

    page.locator(f'.work-card[data-work="{works["Turn shaft"]}"]').click()
    page.locator('#work-title').wait_for()
    page.get_by_role('button', name='Start', exact=True).click()
    outcomes = page.locator('#outcomes')
    outcomes.get_by_text(re.compile('start Turn shaft .* accepted')).wait_for()
    page.screenshot(path=artefacts / '3-started.png')

    # The turning instructions come with the shaft's drawing.
    page.locator('#instructions summary').click()
    page.get_by_text('Turn the drive shaft (version 1)').wait_for()
    page.get_by_role('button', name='shaft-drawing.svg').click()
    page.wait_for_function(
        "() => { const img = document.querySelector('img.document-view');"
        " return img && img.complete && img.naturalWidth === 640; }")
    page.screenshot(path=artefacts / '3-drawing.png', full_page=True)
    page.locator('#instructions summary').click()

    page.locator('#good').fill('10')
    page.locator('#scrap').fill('1')
    page.locator('#scrap-reason').select_option('CHT')
    page.get_by_role('button', name='Report').click()
    outcomes.get_by_text(re.compile('report .* accepted')).wait_for()
    page.get_by_text('10 good, 1 scrap, 14 to make').wait_for()
    page.screenshot(path=artefacts / '4-reported.png')

    page.locator('#scan').fill('S-0001')
    page.locator('#scan').press('Enter')
    outcomes.get_by_text(re.compile('scan .* accepted')).wait_for()
    page.locator('#scan').fill('NO-SUCH-LOT')
    page.locator('#scan').press('Enter')
    outcomes.get_by_text(
        re.compile('refused: No lot is known by the code "NO-SUCH-LOT"')
        ).wait_for()
    page.screenshot(path=artefacts / '5-scanned.png')

    page.get_by_role('button', name='Finish').click()
    outcomes.get_by_text(re.compile('finish .* accepted')).wait_for()
    page.screenshot(path=artefacts / '6-finished.png')

    # What the terminal did is in the database.
    proxy, context, work, cycles = read_work(server, works['Turn shaft'])
    assert work['state'] == 'finished'
    assert [(c['run_by.']['rec_name'], c['good_quantity'], c['state'])
        for c in cycles] == [('Olga Operator', 10.0, 'done')]
    scraps = proxy.model.mes.work.cycle.scrap.read(
        cycles[0]['scraps'], ['reason.code', 'quantity'], context)
    assert [(s['reason.']['code'], s['quantity']) for s in scraps] == [
        ('CHT', 1.0)]
    production, = proxy.model.production.read(
        [work['production']], ['inputs'], context)
    moves = proxy.model.stock.move.read(
        production['inputs'], ['product.rec_name', 'lot.number'], context)
    assert {m['product.']['rec_name']: (m['lot.'] or {}).get('number')
        for m in moves}['Drive Shaft'] == 'S-0001'


def test_terminal_fits_a_phone(server, browser, artefacts):
    works = new_production(server, 3)
    page = open_terminal(browser, server,
        viewport={'width': 390, 'height': 844})
    sign_in(page, badge='B-1002', pin='5678', name='Piotr Operator')
    card = page.locator(f'.work-card[data-work="{works["Turn shaft"]}"]')
    card.wait_for()
    page.screenshot(path=artefacts / 'phone-dispatch.png')
    card.click()
    start = page.get_by_role('button', name='Start', exact=True)
    start.wait_for()
    page.screenshot(path=artefacts / 'phone-work.png', full_page=True)
    # Nothing to scroll sideways, and targets a thumb can hit.
    assert page.evaluate(
        'document.scrollingElement.scrollWidth <= window.innerWidth')
    for name in ['Start', 'Report', 'Finish']:
        box = page.get_by_role('button', name=name, exact=True).bounding_box()
        assert box['height'] >= 44 and box['width'] >= 44, (name, box)
        assert box['x'] >= 0 and box['x'] + box['width'] <= 390, (name, box)
    start.click()
    page.locator('#outcomes').get_by_text(
        re.compile('start Turn shaft .* accepted')).wait_for()


def test_taps_survive_a_network_outage(server, browser, artefacts):
    works = new_production(server, 12)
    page = open_terminal(browser, server)
    sign_in(page, 'B-1002', '5678', 'Piotr Operator')
    page.locator(f'.work-card[data-work="{works["Turn shaft"]}"]').click()
    page.locator('#work-title').wait_for()

    # The network goes away: every call to the server fails.
    page.route('**/api/**', lambda route: route.abort('internetdisconnected'))
    page.get_by_role('button', name='Start', exact=True).click()
    page.locator('#good').fill('5')
    page.get_by_role('button', name='Report').click()
    page.locator('#good').fill('50')
    page.get_by_role('button', name='Report').click()
    page.get_by_text('Offline: actions are kept').wait_for()
    page.get_by_text('(3 waiting)').wait_for()
    page.screenshot(path=artefacts / '1-offline.png')
    _, _, work, cycles = read_work(server, works['Turn shaft'])
    assert cycles == []

    # It comes back: the taps are sent in order, each applied once; the
    # over-production is refused with its reason.
    page.unroute('**/api/**')
    outcomes = page.locator('#outcomes')
    outcomes.get_by_text(re.compile('start .* accepted')).wait_for(
        timeout=20_000)
    outcomes.get_by_text(re.compile(
        'report .* refused: To report 50.0 .* confirm the over-production'
        )).wait_for(timeout=20_000)
    page.get_by_text('Online', exact=True).wait_for()
    assert page.locator('#queued').inner_text() == ''
    page.screenshot(path=artefacts / '2-back-online.png')

    _, _, work, cycles = read_work(server, works['Turn shaft'])
    assert [(c['run_by.']['rec_name'], c['good_quantity'])
        for c in cycles] == [('Piotr Operator', 5.0)]
    assert work['state'] == 'running'


def test_operator_explains_a_stop(server, browser, artefacts):
    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    lathe, = proxy.model.mes.equipment.search(
        [('code', '=', 'M-LATHE-1')], 0, None, None, context)
    # The PLC saw the lathe stop for six minutes without saying why.
    now = dt.datetime.now().replace(microsecond=0)
    stop = proxy.model.mes.equipment.state.log_state(
        lathe, 'down', now - dt.timedelta(minutes=10), None, 'connector',
        None, context)
    proxy.model.mes.equipment.state.log_state(
        lathe, 'running', now - dt.timedelta(minutes=4), None, 'connector',
        None, context)

    page = open_terminal(browser, server)
    sign_in(page)
    # Others may be signed in on the panel: Olga picks herself.
    page.locator('#operator-list').get_by_role(
        'button', name='Olga Operator').click()
    stops = page.locator('#stops')
    stops.get_by_text(re.compile(
        r'\[M-LATHE-1\] .*: stopped at .* for 6 min')).wait_for()
    page.screenshot(path=artefacts / '1-stop-to-explain.png')
    stops.get_by_role('combobox').select_option('JAM')
    stops.get_by_role('button', name='Explain').click()
    page.locator('#outcomes').get_by_text(
        re.compile('explain stop .* accepted')).wait_for()
    stops.wait_for(state='hidden')
    page.screenshot(path=artefacts / '2-stop-explained.png')

    # The log keeps the stop and adds the operator's reason over it.
    old, = proxy.model.mes.equipment.state.read(
        [stop], ['superseded_by'], context)
    new, = proxy.model.mes.equipment.state.read(
        [old['superseded_by']], ['reason.code', 'source', 'note', 'start',
            'end'], context)
    assert new['reason.']['code'] == 'JAM'
    assert new['source'] == 'correction'
    assert 'Olga Operator' in new['note']
    xmlrpc_time = '%Y%m%dT%H:%M:%S'
    assert (str(new['start']), str(new['end'])) == (
        (now - dt.timedelta(minutes=10)).strftime(xmlrpc_time),
        (now - dt.timedelta(minutes=4)).strftime(xmlrpc_time))


def test_operator_enters_a_due_sample(server, browser, artefacts):
    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    characteristic, = proxy.model.mes.quality.characteristic.search(
        [('name', '=', "Shaft diameter")], 0, None, None, context)
    proxy.model.mes.quality.characteristic.write([characteristic], {
            'sampling': 'first_piece', 'gating': True,
            'chart_type': 'xbar_r', 'subgroup_size': 3}, context)
    try:
        works = new_production(server, 4)
        page = open_terminal(browser, server)
        sign_in(page)
        page.locator('#operator-list').get_by_role(
            'button', name='Olga Operator').click()
        page.locator(f'.work-card[data-work="{works["Turn shaft"]}"]').click()
        page.locator('#work-title').wait_for()
        page.get_by_role('button', name='Start', exact=True).click()
        outcomes = page.locator('#outcomes')
        outcomes.get_by_text(re.compile('start .* accepted')).wait_for()

        # The plan asks for the first piece: three values, needed to finish.
        samples = page.locator('#samples')
        samples.get_by_text(re.compile(
            r'Shaft diameter .*: 1 due, needed to finish')).wait_for(
            timeout=20_000)
        # The operator looks at the control chart, drawn by the server.
        samples.get_by_role('button', name='Chart').click()
        # A refresh may rebuild the forms: the chart stays open, drawn.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#samples img.chart')]"
            ".some(img => !img.hidden && img.complete"
            " && img.naturalWidth === 720)")
        page.screenshot(path=artefacts / '1-sample-due.png', full_page=True)
        page.get_by_role('button', name='Finish').click()
        outcomes.get_by_text(re.compile(
            'finish .* refused: To finish .* enter the samples still due'
            )).wait_for()

        for index, value in enumerate(['25.01', '24,99', '25.00'], 1):
            page.get_by_label(f'Shaft diameter value {index}').first.fill(
                value)
        page.get_by_role('button', name='Enter sample').click()
        outcomes.get_by_text(re.compile('measure .* accepted')).wait_for()
        page.locator('#samples-block').wait_for(state='hidden')
        page.get_by_role('button', name='Finish').click()
        outcomes.get_by_text(re.compile('finish .* accepted')).wait_for()
        page.screenshot(
            path=artefacts / '2-sample-entered.png', full_page=True)
    finally:
        proxy.model.mes.quality.characteristic.write([characteristic], {
                'sampling': None, 'gating': False}, context)

    measurements = proxy.model.mes.quality.measurement.search_read(
        [('characteristic', '=', characteristic),
            ('work', '=', works['Turn shaft'])], 0, None, None,
        ['value', 'source', 'employee.rec_name'], context)
    assert sorted(m['value'] for m in measurements) == [24.99, 25.0, 25.01]
    assert {(m['source'], m['employee.']['rec_name'])
        for m in measurements} == {('terminal', 'Olga Operator')}


def test_operator_opens_a_work_order_label_and_builds_units(
        server, browser, artefacts):
    import io

    import zxingcpp
    from PIL import Image

    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    template, = proxy.model.product.template.search(
        [('name', '=', 'Pump P-100')], 0, None, None, context)
    proxy.model.product.template.write(
        [template], {'serial_numbers': True}, context)
    try:
        works = new_production(server, 2)
        assemble = works['Assemble pump']
        work, = proxy.model.production.work.read(
            [assemble], ['production'], context)
        production = work['production']
        proxy.model.production.assign_serial_numbers([production], context)
        outputs = proxy.model.stock.move.search_read(
            [('production_output', '=', production)], 0, None, None,
            ['lot.number'], context)
        first, second = sorted(o['lot.']['number'] for o in outputs)

        # The supervisor prints the work order's label; the operator scans
        # it on the list and the work opens.
        png = proxy.model.production.work.label(
            [assemble], '62x29', context)[str(assemble)]
        code = zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png.data)).convert('L'))[0].text
        page = open_terminal(browser, server)
        sign_in(page)
        page.locator('#operator-list').get_by_role(
            'button', name='Olga Operator').click()
        page.locator('#work-scan').fill(code)
        page.locator('#work-scan').press('Enter')
        page.locator('#work-title').get_by_text('Assemble pump').wait_for()
        page.screenshot(path=artefacts / '1-work-order-scanned.png')

        # The housing goes into the first pump only.
        page.locator('#unit').fill(first)
        page.locator('#scan').fill('H-0001')
        page.locator('#scan').press('Enter')
        page.locator('#outcomes').get_by_text(
            re.compile('scan .* accepted')).wait_for()
        page.screenshot(path=artefacts / '2-unit-scanned.png')
    finally:
        proxy.model.product.template.write(
            [template], {'serial_numbers': False}, context)

    moves = proxy.model.stock.move.search_read(
        [('production_input', '=', production), ('unit_lot', '!=', None)],
        0, None, None,
        ['lot.number', 'unit_lot.number', 'quantity', 'work'], context)
    assert [(m['lot.']['number'], m['unit_lot.']['number'], m['quantity'],
            m['work']) for m in moves] == [('H-0001', first, 1.0, assemble)]
