"""The connector worker against real Modbus TCP and OPC UA servers on
127.0.0.1, delivering into a running MES: tags land as states, counts,
measurements and alarms; bad replies show on their tags; and whatever
goes wrong (PLC restart, database away, worker killed, counter rollover)
the MES ends with the simulator's totals, nothing lost, nothing doubled.
"""
import datetime as dt

import pytest

from .connector_tools import (
    Mes, PlantRunner, TcpProxy, WorkerProcess, machine_tags, wait_until)
from .server import database_uri

MODBUS_MAP = {
    'State': ('holding_register', 0), 'Alarm': ('holding_register', 1),
    'Good': ('holding_register', 2), 'Reject': ('holding_register', 4),
    'Value': ('holding_register', 6),
    }


@pytest.fixture(scope='module')
def mes(server):
    return Mes(server)


@pytest.fixture
def plant(request):
    options = getattr(request, 'param', {})
    from trytond.modules.mes_connector import simulator
    specs = simulator.machines(
        1, cycle_time=0.02, scrap_rate=0.05, stops_per_hour=1500,
        counter_type=options.get('counter_type', 'uint32'),
        counter_start=options.get('counter_start', 0), seed=7)
    for spec in specs:
        spec.stop_seconds = (0.6, 1.2)
    # The machines wait for the worker's first reading: parts made before
    # it are history the MES never saw.
    runner = PlantRunner(specs, modbus=True,
        opcua=options.get('opcua', False), paused=True).start()
    yield runner
    runner.stop()


def modbus_connection(mes, plant, machine, counter_type='uint32',
        poll_interval=0.2, extra_tags=(), without=()):
    tags = [t for t in machine_tags(mes, machine, 'modbus_tcp',
            MODBUS_MAP.get, counter_type=counter_type)
        if t['name'] not in without]
    return mes.create('mes.connector.connection', {
            'name': f"PLC {machine}", 'protocol': 'modbus_tcp',
            'host': '127.0.0.1', 'port': plant.modbus_port, 'unit_id': 1,
            'timeout': 0.5, 'poll_interval': poll_interval,
            'tags': [('create', tags + list(extra_tags))],
            })


def assert_same_totals(mes, plant, machine, worker):
    "Stop the machine, let the worker catch up, compare with the truth."
    plant.pause()
    truth = plant.truth()['M001']
    expected = {'good': truth['good'], 'reject': truth['reject']}
    wait_until(lambda: mes.totals(machine) == expected, timeout=60)
    assert mes.totals(machine) == expected, worker.read_log()[-3000:]
    return truth


@pytest.fixture
def worker_folder(tmp_path):
    return tmp_path


def start_worker(mes, server, plant, connection, folder, **options):
    "Start the worker; once it reads the machine, start the machine."
    worker = WorkerProcess(server, connection, folder, **options).start()
    online = wait_until(
        lambda: mes.connection(connection)['status'] == 'online', 60)
    assert online, worker.read_log()[-3000:]
    plant.resume()
    return worker


def test_modbus_tags_land_in_the_mes(mes, server, plant, worker_folder):
    machine = mes.machine()
    broken = {'name': "Missing register", 'table': 'holding_register',
        'address': 100, 'data_type': 'uint16', 'role': 'state',
        'equipment': machine}
    connection = modbus_connection(mes, plant, machine, extra_tags=[broken])
    worker = start_worker(mes, server, plant, connection, worker_folder)
    try:
        wait_until(lambda: plant.truth()['M001']['stops'] >= 2, timeout=30)
        truth = assert_same_totals(mes, plant, machine, worker)
        assert truth['good'] > 100 and truth['reject'] > 0

        states = mes.states(machine)
        assert {s['source'] for s in states} == {'connector'}
        assert states[0]['state'] == 'running'
        down = [s for s in states if s['state'] == 'down']
        # Every stop of the machine is a down interval with the alarm's
        # reason (a stop is longer than three polls).
        assert len(down) >= truth['stops'] >= 2
        jam = mes.reason('SIMJAM')
        assert any(s['reason'] == jam for s in down)

        measurements = mes.search_read('mes.quality.measurement',
            [('source', '=', 'connector'),
                ('measured_at', '>=', states[0]['start'])],
            ['value'])
        assert measurements
        assert all(24.9 < m['value'] < 25.1 for m in measurements)

        tags = wait_until(lambda: (t := mes.tags(connection))
            and t["Missing register"]['last_error'] and t, timeout=10)
        assert "Modbus exception 2 (illegal data address)" in (
            tags["Missing register"]['last_error'])
        assert tags['Good']['last_error'] is None
        # The tag shows the counter's last reading.
        assert wait_until(lambda: int(mes.tags(connection)['Good'][
                    'last_value']) == truth['good'], timeout=10)
        # XML-RPC gives its own DateTime: the field holds a real time.
        read_at = dt.datetime.strptime(
            mes.tags(connection)['Good']['last_read_at'].value,
            '%Y%m%dT%H:%M:%S')
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        assert abs(read_at - now) < dt.timedelta(minutes=1)
        status = wait_until(lambda: (c := mes.connection(connection))
            and c['status'] == 'online' and c, timeout=10)
        assert status['last_value_at']
    finally:
        worker.stop()


@pytest.mark.parametrize('plant', [{'opcua': True}], indirect=True)
def test_opcua_tags_land_in_the_mes(mes, server, plant, worker_folder):
    machine = mes.machine()
    tags = machine_tags(mes, machine, 'opcua',
        lambda name: plant.node('M001', name))
    tags += [
        {'name': "Failed sensor", 'node_id': plant.node('Broken', 'Sensor'),
            'data_type': 'float64', 'role': 'process_value',
            'characteristic': mes.characteristic()},
        {'name': "Text as count", 'node_id': plant.node('Broken', 'Text'),
            'data_type': 'uint32', 'role': 'counter',
            'counter_kind': 'good', 'equipment': machine},
        {'name': "Unknown node", 'node_id': plant.node('Nowhere', 'X'),
            'data_type': 'uint16', 'role': 'state', 'equipment': machine},
        ]
    connection = mes.create('mes.connector.connection', {
            'name': f"OPC UA {machine}", 'protocol': 'opcua',
            'endpoint': plant.endpoint, 'timeout': 2.0,
            'poll_interval': 0.1, 'tags': [('create', tags)],
            })
    worker = start_worker(mes, server, plant, connection, worker_folder)
    try:
        wait_until(lambda: plant.truth()['M001']['stops'] >= 2, timeout=30)
        truth = assert_same_totals(mes, plant, machine, worker)
        assert truth['good'] > 100
        states = mes.states(machine)
        assert states and {s['source'] for s in states} == {'connector'}
        assert len([s for s in states if s['state'] == 'down']) >= 2

        found = wait_until(lambda: (t := mes.tags(connection))
            and all(t[n]['last_error'] for n in (
                    "Failed sensor", "Text as count", "Unknown node")) and t,
            timeout=15)
        assert found, mes.tags(connection)
        assert 'BadSensorFailure' in found["Failed sensor"]['last_error']
        assert 'uint32 expected' in found["Text as count"]['last_error']
        assert 'BadNodeIdUnknown' in found["Unknown node"]['last_error']
        assert found['Good']['last_error'] is None
    finally:
        worker.stop()


def test_plc_restarted_mid_stream(mes, server, plant, worker_folder):
    machine = mes.machine()
    connection = modbus_connection(mes, plant, machine)
    worker = start_worker(mes, server, plant, connection, worker_folder)
    try:
        assert wait_until(lambda: mes.totals(machine)['good'] > 0, 30)
        plant.stop_modbus()
        # The supervisor sees it on the connection's record.
        offline = wait_until(lambda: (c := mes.connection(connection))
            and c['status'] == 'offline' and c, timeout=15)
        assert offline and 'Connection' in offline['last_error']
        plant.start_modbus()
        assert_same_totals(mes, plant, machine, worker)
        assert wait_until(
            lambda: mes.connection(connection)['status'] == 'online', 15)
        assert wait_until(lambda: 'back online' in worker.read_log(), 10)
        # One line for the outage, however many retries it took.
        assert worker.read_log().count('offline') == 1, worker.read_log()
    finally:
        worker.stop()


def test_configuration_changes_without_restart(
        mes, server, plant, worker_folder):
    machine = mes.machine()
    connection = modbus_connection(mes, plant, machine, without={'Reject'})
    worker = start_worker(mes, server, plant, connection, worker_folder)
    try:
        assert wait_until(lambda: mes.totals(machine)['good'] > 0, 30)
        assert mes.totals(machine)['reject'] == 0
        # The engineer adds the reject counter while the line runs.
        mes.create('mes.connector.tag', {
                'connection': connection, 'name': 'Reject',
                'table': 'holding_register', 'address': 4,
                'data_type': 'uint32', 'role': 'counter',
                'counter_kind': 'reject', 'equipment': machine})
        assert wait_until(lambda: mes.totals(machine)['reject'] > 0, 30), (
            worker.read_log()[-2000:])
        assert worker.process.poll() is None
    finally:
        worker.stop()


def test_worker_killed_and_restarted(mes, server, plant, worker_folder):
    machine = mes.machine()
    connection = modbus_connection(mes, plant, machine)
    worker = start_worker(mes, server, plant, connection, worker_folder)
    try:
        assert wait_until(lambda: mes.totals(machine)['good'] > 0, 30)
        worker.kill()
        before = mes.totals(machine)
        wait_until(lambda: False, timeout=2)
        worker.start()
        assert_same_totals(mes, plant, machine, worker)
        assert mes.totals(machine)['good'] > before['good']
    finally:
        worker.stop()


@pytest.mark.parametrize('plant', [
        {'counter_type': 'uint16', 'counter_start': 65000}], indirect=True)
def test_counter_rollover(mes, server, plant, worker_folder):
    machine = mes.machine()
    connection = modbus_connection(mes, plant, machine, counter_type='uint16')
    worker = start_worker(mes, server, plant, connection, worker_folder)
    try:
        # 536 parts from 65,000 wrap the 16-bit good counter.
        assert wait_until(
            lambda: plant.truth()['M001']['good'] > 900, timeout=60)
        truth = assert_same_totals(mes, plant, machine, worker)
        assert 65000 + truth['good'] > 65536
    finally:
        worker.stop()


def test_database_unreachable_for_30_seconds(
        mes, server, plant, worker_folder):
    machine = mes.machine()
    connection = modbus_connection(mes, plant, machine)
    uri = database_uri()
    proxy = None
    if uri.startswith('postgresql'):
        proxy = TcpProxy(5432).start()
        worker_uri = f'postgresql://postgres@127.0.0.1:{proxy.port}/'
    else:
        worker_uri = None
    worker = start_worker(mes, server, plant, connection, worker_folder,
        database_uri=worker_uri)
    database_file = server.config_file.parent / f'{server.database}.sqlite'
    hidden = database_file.with_suffix('.away')
    try:
        assert wait_until(lambda: mes.totals(machine)['good'] > 0, 30)
        if proxy:
            proxy.cut()
        else:
            database_file.rename(hidden)
        try:
            wait_until(lambda: False, timeout=30)
            assert worker.buffer.exists()
        finally:
            if proxy:
                proxy.restore()
            else:
                hidden.rename(database_file)
        assert_same_totals(mes, plant, machine, worker)
        log = worker.read_log()
        assert log.count('delivery to the MES failed') == 1, log
        assert 'delivering to the MES again' in log
    finally:
        worker.stop()
        if proxy:
            proxy.stop()


def certificates(folder, name, use):
    "A self-signed OPC UA application certificate and its key."
    import asyncio

    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    key, cert = folder / f'{name}.pem', folder / f'{name}.der'
    asyncio.run(setup_self_signed_certificate(
            key, cert, f'urn:tryton-mes:test:{name}', '127.0.0.1', [use],
            {'organizationName': 'Tryton MES tests'}))
    return cert, key


def test_opcua_sign_and_encrypt(mes, server, worker_folder):
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from trytond.modules.mes_connector import simulator
    server_cert, server_key = certificates(
        worker_folder, 'server', ExtendedKeyUsageOID.SERVER_AUTH)
    client_cert, client_key = certificates(
        worker_folder, 'client', ExtendedKeyUsageOID.CLIENT_AUTH)
    specs = simulator.machines(1, cycle_time=0.02, scrap_rate=0.05, seed=3)
    # The server offers Basic256Sha256 only: no clear-text session.
    plant = PlantRunner(specs, modbus=False, opcua=True, paused=True,
        opcua_security=(str(server_cert), str(server_key))).start()
    machine = mes.machine()
    tags = machine_tags(mes, machine, 'opcua',
        lambda name: plant.node('M001', name))
    connection = mes.create('mes.connector.connection', {
            'name': f"Secure OPC UA {machine}", 'protocol': 'opcua',
            'endpoint': plant.endpoint, 'timeout': 5.0,
            'poll_interval': 0.1, 'security_mode': 'sign_encrypt',
            'certificate': str(client_cert), 'private_key': str(client_key),
            'server_certificate': str(server_cert),
            'username': 'line1', 'password': 's3cret',
            'tags': [('create', tags)],
            })
    try:
        worker = start_worker(mes, server, plant, connection, worker_folder)
        try:
            wait_until(lambda: plant.truth()['M001']['good'] > 100, 30)
            truth = assert_same_totals(mes, plant, machine, worker)
            assert truth['good'] > 100
        finally:
            worker.stop()
    finally:
        plant.stop()
