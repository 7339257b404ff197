"""Helpers of the connector tests: a simulated plant, the worker as a real
process, the MES configuration over XML-RPC and a TCP proxy that can cut
the worker off its database."""
import asyncio
import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

from .server import BIN, free_port
from .terminal_client import admin_rpc


def wait_until(predicate, timeout, interval=0.25):
    "Poll predicate until it is true or timeout seconds passed; return it."
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


class Mes:
    "The MES side over XML-RPC as the administrator."

    def __init__(self, server):
        self.server = server
        self.proxy = admin_rpc(server)
        self.context = self.proxy.model.res.user.get_preferences(True, {})

    def model(self, name):
        proxy = self.proxy.model
        for part in name.split('.'):
            proxy = getattr(proxy, part)
        return proxy

    def create(self, name, values):
        return self.model(name).create([values], self.context)[0]

    def search_read(self, name, domain, fields, order=None):
        return self.model(name).search_read(
            domain, 0, None, order, fields, self.context)

    def machine(self, code=None):
        code = code or f'SIM-{uuid.uuid4().hex[:8]}'
        return self.create('mes.equipment', {
                'code': code, 'name': f"Simulated {code}",
                'kind': 'machine', 'ideal_cycle_time': 0.05})

    def reason(self, code, loss_class='breakdown'):
        found = self.search_read(
            'mes.downtime.reason', [('code', '=', code)], ['id'])
        if found:
            return found[0]['id']
        return self.create('mes.downtime.reason', {
                'code': code, 'name': f"Reason {code}",
                'loss_class': loss_class})

    def characteristic(self):
        found = self.search_read('mes.quality.characteristic',
            [('name', '=', "Shaft diameter")], ['id'])
        return found[0]['id']

    def totals(self, equipment):
        rows = self.search_read('mes.equipment.count',
            [('equipment', '=', equipment)], ['total', 'reject'])
        total = sum(r['total'] for r in rows)
        reject = sum(r['reject'] for r in rows)
        return {'good': total - reject, 'reject': reject}

    def states(self, equipment):
        return self.search_read('mes.equipment.state',
            [('equipment', '=', equipment)],
            ['state', 'reason', 'source', 'start'],
            [('start', 'ASC'), ('id', 'ASC')])

    def tags(self, connection):
        return {t['name']: t for t in self.search_read('mes.connector.tag',
                [('connection', '=', connection)],
                ['name', 'last_value', 'last_error', 'last_read_at'])}

    def connection(self, connection):
        return self.model('mes.connector.connection').read(
            [connection], ['status', 'last_error', 'last_value_at',
                'events_per_second'], self.context)[0]


def machine_tags(mes, equipment, protocol, address_of, counter_type='uint32'):
    """The tags of one simulated machine; address_of(name) gives the Modbus
    (table, address) or the OPC UA node id of State, Alarm, Good, Reject
    and Value."""
    jam = mes.reason('SIMJAM')
    names = {
        'State': ('uint16', 'state', {}),
        'Alarm': ('uint16', 'alarm', {}),
        'Good': (counter_type, 'counter', {'counter_kind': 'good'}),
        'Reject': (counter_type, 'counter', {'counter_kind': 'reject'}),
        'Value': ('float32' if protocol == 'modbus_tcp' else 'float64',
            'process_value', {'characteristic': mes.characteristic(),
                'sample_interval': 1}),
        }
    tags = []
    for name, (data_type, role, extra) in names.items():
        values = {'name': name, 'data_type': data_type, 'role': role,
            'equipment': equipment, **extra}
        if protocol == 'modbus_tcp':
            values['table'], values['address'] = address_of(name)
        else:
            values['node_id'] = address_of(name)
        if name == 'State':
            values['mappings'] = [('create', [
                        {'value': 1, 'state': 'running'},
                        {'value': 3, 'state': 'down'}])]
        if name == 'Alarm':
            values['mappings'] = [('create', [{'value': 7, 'reason': jam}])]
        tags.append(values)
    return tags


class PlantRunner:
    "A simulated plant in a thread of the test process."

    def __init__(self, specs, modbus=True, opcua=False, **options):
        from trytond.modules.mes_connector import simulator
        self.simulator = simulator
        self.modbus_port = free_port() if modbus else None
        self.opcua_port = free_port() if opcua else None
        self.plant = simulator.Plant(
            specs, modbus_port=self.modbus_port, opcua_port=self.opcua_port,
            **options)
        self.runner = simulator.PlantThread(self.plant)

    @property
    def endpoint(self):
        return f'opc.tcp://127.0.0.1:{self.opcua_port}/mes/simulator'

    def node(self, machine, attr):
        return f'ns={self.plant.namespace};s={machine}.{attr}'

    def start(self):
        self.runner.start()
        return self

    def stop(self):
        self.runner.stop()

    def truth(self):
        return self.runner.truth()

    def pause(self):
        self.runner.call(self._do(self.plant.pause))

    def resume(self):
        self.runner.call(self._do(self.plant.resume))

    def stop_modbus(self):
        self.runner.call(self.plant.stop_modbus())

    def start_modbus(self):
        self.runner.call(self.plant.start_modbus())

    @staticmethod
    async def _do(func):
        return func()


class WorkerProcess:
    "`mes-connector` as a real process."

    def __init__(self, server, connection, folder, database_uri=None):
        self.server = server
        self.connection = connection
        self.buffer = Path(folder, 'buffer.sqlite')
        self.log_path = Path(folder, 'worker.log')
        self.database_uri = database_uri
        self.process = None

    def start(self):
        env = dict(self.server.env)
        if self.database_uri:
            env['TRYTOND_DATABASE__URI'] = self.database_uri
        self.log = open(self.log_path, 'a')
        self.process = subprocess.Popen(
            [BIN / 'mes-connector', '-d', self.server.database,
                '-c', str(self.server.config_file),
                '--connection', str(self.connection),
                '--buffer', str(self.buffer), '--reload-interval', '1'],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        return self

    def kill(self):
        "SIGKILL: no chance to flush or say goodbye."
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.process:
            self.log.close()

    def read_log(self):
        return self.log_path.read_text()


class TcpProxy:
    """A TCP relay on 127.0.0.1 that can be cut: while cut it refuses new
    connections and drops open ones, like a database host gone away."""

    def __init__(self, target_port, target_host='127.0.0.1'):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever,
            daemon=True)
        self.server = None
        self.writers = set()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(
            coroutine, self.loop).result(10)

    async def _pipe(self, reader, writer):
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader, writer):
        try:
            target_reader, target_writer = await asyncio.open_connection(
                *self.target)
        except OSError:
            writer.close()
            return
        self.writers.update({writer, target_writer})
        await asyncio.gather(self._pipe(reader, target_writer),
            self._pipe(target_reader, writer))
        self.writers.difference_update({writer, target_writer})

    async def _open(self):
        self.server = await asyncio.start_server(
            self._handle, '127.0.0.1', self.port)

    async def _cut(self):
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    def start(self):
        self.thread.start()
        self._call(self._open())
        return self

    def cut(self):
        self._call(self._cut())

    def restore(self):
        self._call(self._open())

    def stop(self):
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
