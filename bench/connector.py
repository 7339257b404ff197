#!/usr/bin/env python3
"""Tag updates one connector worker handles, from the plant simulator.

One `mes-connector` process, delivering into a PostgreSQL MES, reads at the
same time:
- an OPC UA server publishing 1,200 changing values every 100 ms
  (12,000 changes/s: more than the goal, so that the figure shows what the
  worker takes, not what is offered), subscribed at 100 ms;
- 100 Modbus TCP devices (one client each), 5 tags each, polled every 1 s.
The PLCs run in the benchmark's process, the OPC UA server in a process
of its own. Printed, over a measured window after a warm-up: OPC UA
notifications/s that reached the MES as events, Modbus polls/s the devices
answered, and the CPU the worker used (share of one core).

Goal: 10,000 OPC UA notifications/s and 100 Modbus devices at 1 s polling.
"""
import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(__file__))

from _common import PG_DSN, create_company  # noqa: E402

from tests.server import BIN, TrytondServer, free_port  # noqa: E402


def cpu_seconds(pid):
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def configure(link, devices, modbus_port, endpoint, namespace, values):
    def setup(pool):
        Equipment = pool.get('mes.equipment')
        Characteristic = pool.get('mes.quality.characteristic')
        Connection = pool.get('mes.connector.connection')
        company = create_company(pool)
        characteristic, = Characteristic.create([{'name': 'Probe',
                    'company': company.id, 'type_': 'variable',
                    'nominal': 0.0}])
        ids = []
        for i in range(devices):
            machine, = Equipment.create([{'code': f'M{i + 1:03d}',
                        'name': f'Machine {i + 1}', 'kind': 'machine',
                        'company': company.id}])
            tags = [
                {'name': 'State', 'address': 0, 'role': 'state'},
                {'name': 'Alarm', 'address': 1, 'role': 'alarm'},
                {'name': 'Good', 'address': 2, 'role': 'counter',
                    'data_type': 'uint32', 'counter_kind': 'good'},
                {'name': 'Reject', 'address': 4, 'role': 'counter',
                    'data_type': 'uint32', 'counter_kind': 'reject'},
                {'name': 'Value', 'address': 6, 'role': 'process_value',
                    'data_type': 'float32',
                    'characteristic': characteristic.id,
                    'sample_interval': 3600},
                ]
            for tag in tags:
                tag.update({'table': 'holding_register',
                        'equipment': machine.id})
            connection, = Connection.create([{
                        'name': f'PLC {i + 1}', 'company': company.id,
                        'host': '127.0.0.1', 'port': modbus_port,
                        'unit_id': i + 1, 'poll_interval': 1.0,
                        'tags': [('create', tags)]}])
            ids.append(connection.id)
        opcua, = Connection.create([{
                    'name': 'SCADA', 'company': company.id,
                    'protocol': 'opcua', 'endpoint': endpoint,
                    'timeout': 5.0, 'poll_interval': 0.1,
                    'tags': [('create', [{
                                    'name': node, 'node_id':
                                    f'ns={namespace};s={node}',
                                    'data_type': 'float64',
                                    'role': 'process_value',
                                    'characteristic': characteristic.id,
                                    'sample_interval': 3600}
                                for node in values])]}])
        return ids, opcua.id
    return link._run(setup)


def serve_scada(devices, extra, port, namespace, published, stop):
    "The simulator's OPC UA server, in a child process."
    from trytond.modules.mes_connector import simulator
    specs = simulator.machines(devices, cycle_time=0.5, stops_per_hour=30)
    plant = simulator.Plant(specs, opcua_port=port, publish_interval=0.1,
        extra_values=extra)
    runner = simulator.PlantThread(plant).start()
    namespace.put(plant.namespace)
    try:
        while not stop.wait(0.2):
            published.value = plant.published
    finally:
        runner.stop()


class Scada:
    "An OPC UA plant simulator in its own process."

    def __init__(self, devices, extra):
        context = multiprocessing.get_context('spawn')
        self.port = free_port()
        self.published = context.Value('q', 0)
        self._stop = context.Event()
        namespace = context.Queue()
        self.process = context.Process(target=serve_scada, args=(
                devices, extra, self.port, namespace, self.published,
                self._stop), daemon=True)
        self.process.start()
        self.namespace = namespace.get(timeout=120)

    def stop(self):
        self._stop.set()
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()


def count_events(database, connection_ids):
    import psycopg
    with psycopg.connect(PG_DSN + f' dbname={database}') as connection:
        row = connection.execute(
            'SELECT COUNT(*) FROM mes_connector_event e '
            'JOIN mes_connector_tag t ON t.id = e.tag '
            'WHERE t.connection = ANY(%s)', (connection_ids,)).fetchone()
    return row[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--devices', type=int, default=100)
    parser.add_argument('--values', type=int, default=1200)
    parser.add_argument('--warm-up', type=float, default=15)
    parser.add_argument('--window', type=float, default=30)
    args = parser.parse_args()
    os.environ['TRYTOND_DATABASE__URI'] = (
        'postgresql://postgres@127.0.0.1:5432/')
    from trytond.modules.mes_connector import simulator
    extra = max(1, args.values // args.devices)
    specs = simulator.machines(args.devices, cycle_time=0.5,
        stops_per_hour=30)
    # The PLCs here, the SCADA server in a process of its own, as they are
    # different machines in a plant: one Python process cannot both answer
    # 100 polls a second and write 10,000 values a second on time.
    plant = simulator.Plant(specs, modbus_port=free_port())
    runner = simulator.PlantThread(plant).start()
    scada = Scada(args.devices, extra)
    folder = tempfile.TemporaryDirectory(prefix='mes-bench-connector-')
    with TrytondServer(modules=['mes_connector']) as server:
        server.process.terminate()
        os.environ['TRYTOND_CONFIG'] = str(server.config_file)
        from trytond.modules.mes_connector.worker import TrytonLink
        link = TrytonLink(server.database, server.config_file)
        nodes = [f'{s.name}.PV{i}' for s in specs for i in range(extra)]
        modbus_ids, opcua_id = configure(
            link, args.devices, plant.modbus_port,
            f'opc.tcp://127.0.0.1:{scada.port}/mes/simulator',
            scada.namespace, nodes)
        check, reread = (median_seconds(call, 10) for call in (
                link.configuration_revision, link.configuration))
        log = open(Path(folder.name, 'worker.log'), 'w')
        worker = subprocess.Popen(
            [BIN / 'mes-connector', '-d', server.database,
                '-c', str(server.config_file),
                '--buffer', str(Path(folder.name, 'buffer.sqlite'))],
            env=server.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            time.sleep(args.warm_up)
            start = time.monotonic()
            cpu0 = cpu_seconds(worker.pid)
            events0 = count_events(server.database, [opcua_id])
            reads0 = plant.reads
            published0 = scada.published.value
            time.sleep(args.window)
            elapsed = time.monotonic() - start
            cpu = cpu_seconds(worker.pid) - cpu0
            events = count_events(server.database, [opcua_id]) - events0
            reads = plant.reads - reads0
            published = scada.published.value - published0
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                raise
            finally:
                log.close()
                runner.stop()
                scada.stop()
        from trytond.modules.mes_connector.buffer import EventBuffer
        backlog = len(EventBuffer(Path(folder.name, 'buffer.sqlite')))
        problems = [line for line in Path(folder.name, 'worker.log')
            .read_text().splitlines() if ' ERROR ' in line or
            ' WARNING ' in line]
    print(f"[postgresql] OPC UA: the simulator published "
        f"{published / elapsed:,.0f} value changes/s on {len(nodes):,} "
        f"nodes; {events / elapsed:,.0f} notifications/s reached the MES as "
        f"events (goal >= 10,000); {backlog:,} events were still in the "
        f"worker's buffer at its stop")
    print(f"[postgresql] Modbus TCP: {reads / elapsed:,.1f} polls/s answered "
        f"for {args.devices} devices at a 1 s poll interval "
        f"(goal: {args.devices} polls/s)")
    print(f"[postgresql] worker CPU: {cpu / elapsed * 100:.0f}% of one core "
        f"over {elapsed:.0f} s; {len(problems)} warnings or errors logged")
    for line in problems[:10]:
        print("   ", line)
    print(f"[postgresql] the worker's configuration check (every 5 s): "
        f"{check * 1000:.1f} ms to read the revisions of "
        f"{args.devices + 1} connections; rereading the whole configuration "
        f"({args.devices * 5 + len(nodes):,} tags), which it does only when "
        f"they changed: {reread * 1000:.0f} ms ({reread / check:.0f}x)")


def median_seconds(call, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return sorted(times)[repeat // 2]


if __name__ == '__main__':
    main()
