#!/usr/bin/env python3
"""Machine events through the MES entry point, on PostgreSQL.

A database with the MES modules, 50 machines each with a state, an alarm,
good and reject counters and a process value: 200,000 events (mostly counter
and process readings, a state change now and then) are delivered in
batches of 5,000 (`--batch`; the worker's default, `--batch-size`) through
`mes.connector.event.ingest`, each batch in its own transaction as the
worker does. Printed: sustained events/s, and the ratio
to a plain COPY of the same rows into a bare table in the same run.

Goal: at least 20,000 events/s.
"""
import argparse
import datetime as dt
import io
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(__file__))

from _common import PG_DSN, Timer, create_company  # noqa: E402

from tests.server import TrytondServer  # noqa: E402

MACHINES = 50


def configure(link):
    "The machines and their tags; return [(tag id, role)] per machine."
    def setup(pool):
        Equipment = pool.get('mes.equipment')
        Reason = pool.get('mes.downtime.reason')
        Characteristic = pool.get('mes.quality.characteristic')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Connection = pool.get('mes.connector.connection')
        company = create_company(pool)
        unit, = Uom.search([('symbol', '=', 'u')])
        template, = Template.create([{'name': 'Shaft', 'default_uom': unit.id,
                    'type': 'goods', 'products': [('create', [{}])]}])
        characteristic, = Characteristic.create([{
                    'name': 'Diameter', 'company': company.id,
                    'product': template.products[0].id, 'type_': 'variable',
                    'nominal': 25.0, 'lower_limit': 24.9,
                    'upper_limit': 25.1}])
        jam, = Reason.create([{'code': 'JAM', 'name': 'Jam',
                    'loss_class': 'breakdown'}])
        machines = []
        for i in range(MACHINES):
            machine, = Equipment.create([{'code': f'B{i}',
                        'name': f'Bench {i}', 'kind': 'machine',
                        'company': company.id}])
            connection, = Connection.create([{
                        'name': f'PLC {i}', 'company': company.id,
                        'host': '127.0.0.1', 'tags': [('create', [
                                {'name': 'State', 'table': 'holding_register',
                                    'address': 0, 'role': 'state',
                                    'equipment': machine.id, 'mappings': [
                                        ('create', [
                                                {'value': 1,
                                                    'state': 'running'},
                                                {'value': 3, 'state': 'down',
                                                    'reason': jam.id}])]},
                                {'name': 'Good', 'table': 'holding_register',
                                    'address': 2, 'data_type': 'uint32',
                                    'role': 'counter', 'counter_kind': 'good',
                                    'equipment': machine.id},
                                {'name': 'Reject',
                                    'table': 'holding_register',
                                    'address': 4, 'data_type': 'uint32',
                                    'role': 'counter',
                                    'counter_kind': 'reject',
                                    'equipment': machine.id},
                                {'name': 'Value', 'table': 'holding_register',
                                    'address': 6, 'data_type': 'float32',
                                    'role': 'process_value',
                                    'equipment': machine.id,
                                    'characteristic': characteristic.id,
                                    'sample_interval': 60},
                                ])]}])
            machines.append({t.name: t.id for t in connection.tags})
        return machines
    return link._run(setup)


def events(machines, count, seed=3):
    "What 50 machines send: counts and values every 10 ms of source time."
    import random
    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.timezone.utc)
    out = []
    state = {i: 1 for i in range(len(machines))}
    for n in range(count):
        i = n % len(machines)
        tags = machines[i]
        at = (start + dt.timedelta(milliseconds=10 * n)).isoformat()
        roll = rng.random()
        if roll < 0.002:
            state[i] = 3 if state[i] == 1 else 1
            tag, value = tags['State'], state[i]
        elif roll < 0.5:
            tag, value = tags['Good'], rng.randint(1, 3)
        elif roll < 0.55:
            tag, value = tags['Reject'], 1
        else:
            tag, value = tags['Value'], round(rng.gauss(25.0, 0.02), 4)
        out.append({'uid': uuid.uuid4().hex, 'tag': tag, 'at': at,
                'value': value})
    return out


def copy_baseline(database, batch, size):
    import psycopg
    with psycopg.connect(PG_DSN + f' dbname={database}') as connection:
        connection.execute('CREATE TABLE bench_copy (uid varchar, tag int, '
            'at timestamp, value varchar)')
        connection.commit()
        with Timer() as timer:
            for start in range(0, len(batch), size):
                buffer = io.StringIO()
                for e in batch[start:start + size]:
                    buffer.write(f"{e['uid']}\t{e['tag']}\t{e['at']}\t"
                        f"{json.dumps(e['value'])}\n")
                with connection.cursor() as cursor:
                    with cursor.copy('COPY bench_copy FROM STDIN') as copy:
                        copy.write(buffer.getvalue())
                connection.commit()
    return timer.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--events', type=int, default=200_000)
    parser.add_argument('--batch', type=int, default=5000)
    args = parser.parse_args()
    os.environ['TRYTOND_DATABASE__URI'] = 'postgresql://postgres@127.0.0.1:5432/'
    with TrytondServer(modules=['mes_connector']) as server:
        server.process.terminate()
        os.environ['TRYTOND_CONFIG'] = str(server.config_file)
        from trytond.modules.mes_connector.worker import TrytonLink
        link = TrytonLink(server.database, server.config_file)
        machines = configure(link)
        batch = events(machines, args.events)
        link.deliver(batch[:10])  # warm the pool and caches
        started = time.perf_counter()
        accepted = 10
        for start in range(10, len(batch), args.batch):
            result = link.deliver(batch[start:start + args.batch])
            accepted += result['accepted']
        seconds = time.perf_counter() - started
        rate = (len(batch) - 10) / seconds
        again = link.deliver(batch[:args.batch])
        copy_seconds = copy_baseline(server.database, batch, args.batch)
        copy_rate = len(batch) / copy_seconds
        print(f"[postgresql] {len(batch):,} events through "
            f"mes.connector.event.ingest in batches of {args.batch}: "
            f"{seconds:.1f} s, {rate:,.0f} events/s (goal >= 20,000); "
            f"accepted {accepted:,}, a batch sent again: "
            f"{again['duplicates']} duplicates, {again['accepted']} accepted")
        print(f"[postgresql] plain COPY of the same rows: {copy_rate:,.0f} "
            f"rows/s; the entry point runs at {rate / copy_rate:.2f}x COPY")


if __name__ == '__main__':
    main()
