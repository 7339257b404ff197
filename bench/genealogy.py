#!/usr/bin/env python3
"""Lot genealogy traces at plant scale, against Tryton core's lot trace.

A Tryton database on PostgreSQL with mes_traceability activated gets a
synthetic plant history: 1,000,000 lots in 25 levels of 40,000, each lot
above the first made by a done production from 3 lots of the level below
(drawn from its neighbourhood, as batches are), written as real productions
and stock moves (about 3.84 million moves). The module derives its
genealogy links from those moves with its own set-based statement; then the
same backward and forward traces of depth 20 run:

* by the module: its recursive query, and its RPC method (which also reads
  the lots it returns);
* by Tryton core: stock_lot's lot trace, walking the moves two hops per
  level (downward traces for backward, upward for forward).

Both must find the same lots. Goal: under 1 s, at least 50x core.
"""
import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG_URI = os.environ.get(
    'BENCH_PG_URI', 'postgresql://postgres@127.0.0.1:5432/')
# trytond reads its database from the environment when it is imported.
os.environ['TRYTOND_DATABASE__URI'] = PG_URI
os.environ.pop('TRYTOND_DATABASE_URI', None)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(__file__))

from _common import PG_DSN, Timer, create_company  # noqa: E402
import psycopg  # noqa: E402

from tests.server import TrytondServer  # noqa: E402

FAN_IN = 3
NEIGHBOURHOOD = 40
DAY0 = dt.date(2026, 1, 1)


def synthetic_inputs(levels, per_level, seed=5):
    """For each lot above the first level (index = level * per_level + i),
    the indexes of its FAN_IN input lots in the level below."""
    rng = np.random.default_rng(seed)
    made = np.arange(per_level, levels * per_level)
    level = made // per_level
    position = made % per_level
    inputs = np.empty((len(made), FAN_IN), dtype=np.int64)
    for k in range(FAN_IN):
        offset = rng.integers(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1, len(made))
        inputs[:, k] = (np.clip(position + offset, 0, per_level - 1)
            + (level - 1) * per_level)
    return made, inputs


def prepare(database):
    "A company, a product and the locations, through the ORM."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        company = create_company(pool)
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Location = pool.get('stock.location')
        unit, = Uom.search([('name', '=', 'Unit')])
        template, = Template.create([{
                    'name': "Part", 'type': 'goods', 'default_uom': unit.id,
                    'producible': True,
                    'products': [('create', [{}])],
                    }])
        warehouse, = Location.search([('code', '=', 'WH')])
        ids = {
            'company': company.id,
            'product': template.products[0].id,
            'unit': unit.id,
            'warehouse': warehouse.id,
            'storage': warehouse.storage_location.id,
            'production': warehouse.production_location.id,
            'currency': company.currency.id,
            }
        transaction.commit()
    return pool, ids


def load(database, ids, levels, per_level):
    """Write the lots, productions and done moves with COPY; return the
    number of moves."""
    made, inputs = synthetic_inputs(levels, per_level)
    lot_base = production_base = move_base = 1
    now = dt.datetime.now()
    with psycopg.connect(PG_DSN + f' dbname={database}') as connection:
        with connection.cursor() as cursor:
            with cursor.copy(
                    'COPY stock_lot (id, number, product, create_uid, '
                    'create_date) FROM STDIN') as copy:
                for index in range(levels * per_level):
                    copy.write_row((lot_base + index, f'L{index:07d}',
                            ids['product'], 0, now))
            with cursor.copy(
                    'COPY production (id, number, company, location, '
                    'warehouse, type, state, product, quantity, unit, '
                    'effective_date, create_uid, create_date) '
                    'FROM STDIN') as copy:
                for index in made.tolist():
                    level = index // per_level
                    copy.write_row((production_base + index, f'P{index}',
                            ids['company'], ids['production'],
                            ids['warehouse'], 'assembly', 'done',
                            ids['product'], 1, ids['unit'],
                            DAY0 + dt.timedelta(days=level), 0, now))
            columns = ('id, product, unit, quantity, internal_quantity, '
                'from_location, to_location, company, state, '
                'effective_date, lot, production_input, production_output, '
                'currency, create_uid, create_date')
            move_id = move_base
            with cursor.copy(
                    f'COPY stock_move ({columns}) FROM STDIN') as copy:
                for index, sources in zip(made.tolist(), inputs.tolist()):
                    level = index // per_level
                    date = DAY0 + dt.timedelta(days=level)
                    production = production_base + index
                    copy.write_row((move_id, ids['product'], ids['unit'],
                            1, 1, ids['production'], ids['storage'],
                            ids['company'], 'done', date, lot_base + index,
                            None, production, ids['currency'], 0, now))
                    move_id += 1
                    for source in sources:
                        copy.write_row((move_id, ids['product'],
                                ids['unit'], 1, 1, ids['storage'],
                                ids['production'], ids['company'], 'done',
                                date, lot_base + source, production, None,
                                ids['currency'], 0, now))
                        move_id += 1
            for table in ['stock_lot', 'production', 'stock_move']:
                cursor.execute(
                    f"SELECT setval('{table}_id_seq', "
                    f"(SELECT MAX(id) FROM {table}))")
        connection.commit()
        connection.autocommit = True
        connection.execute('ANALYZE')
    return move_id - move_base


def derive_links(pool, database, ids):
    "The module's own statement, from the done moves of all productions."
    from trytond.transaction import Transaction
    with Transaction().start(database, 0) as transaction:
        Edge = pool.get('mes.genealogy.edge')
        with Timer() as timer:
            Edge.rebuild()
        transaction.commit()
    with psycopg.connect(PG_DSN + f' dbname={database}',
            autocommit=True) as connection:
        connection.execute('ANALYZE mes_genealogy_edge')
        count, = connection.execute(
            'SELECT COUNT(*) FROM mes_genealogy_edge').fetchone()
    return count, timer.seconds


def core_walk(pool, lot_id, depth, direction, budget):
    """Tryton core's lot trace: from the moves of the lot, follow the
    downward (backward) or upward (forward) traces, two hops a level.
    Return the lots found and the depth reached; stop at the first level
    that ends after `budget` seconds."""
    LotTrace = pool.get('stock.lot.trace')
    # Backward from the move that made the lot, forward from the moves
    # that consumed it.
    side = ('from_location.type' if direction == 'backward'
        else 'to_location.type')
    attribute = ('downward_traces' if direction == 'backward'
        else 'upward_traces')
    frontier = LotTrace.search(
        [('lot', '=', lot_id), (side, '=', 'production')])
    found = set()
    start = time.perf_counter()
    for hop in range(1, 2 * depth + 1):
        following = []
        for trace in frontier:
            following.extend(getattr(trace, attribute))
        frontier = following
        found.update(t.lot.id for t in frontier if t.lot.id != lot_id)
        if not frontier:
            break
        if hop % 2 == 0 and time.perf_counter() - start > budget:
            return found, hop // 2
    return found, depth


def median(values):
    return sorted(values)[len(values) // 2]


def compare(pool, database, lot_id, depth, direction, repeats, budget):
    from trytond.modules.mes_traceability.trace import trace_query
    from trytond.transaction import Transaction
    context = {'company': 1, 'companies': [1]}
    with Transaction().start(database, 0, context=context, readonly=True):
        Lot = pool.get('stock.lot')
        Edge = pool.get('mes.genealogy.edge')
        cursor = Transaction().connection.cursor()
        sql_times, rpc_times = [], []
        for _ in range(repeats):
            with Timer() as run:
                cursor.execute(*trace_query(
                        Edge.__table__(), [lot_id], depth, direction, [1]))
                rows = cursor.fetchall()
            sql_times.append(run.seconds)
            with Timer() as run:
                method = (Lot.trace_backward if direction == 'backward'
                    else Lot.trace_forward)
                module = {r['lot'] for r in method([lot_id], depth)}
            rpc_times.append(run.seconds)
        start = time.perf_counter()
        core, reached = core_walk(pool, lot_id, depth, direction, budget)
        core_seconds = time.perf_counter() - start
        if reached < depth:
            # Compare with what the module finds down to the same depth.
            partial = {lot for lot, d in rows if d <= reached}
        else:
            partial = module
    assert {lot for lot, _ in rows} == module, "query and method disagree"
    assert core == partial, (
        f"core found {len(core)} lots, the module {len(partial)}")
    deepest = max(d for _, d in rows)
    sql, rpc = median(sql_times), median(rpc_times)
    print(f"{direction} trace, depth {depth}: {len(module):,} lots "
        f"(deepest {deepest}); module query median {sql * 1000:.0f} ms, "
        f"module RPC method {rpc * 1000:.0f} ms (goal < 1 s)", flush=True)
    if reached < depth:
        print(f"  Tryton core's lot trace stopped after {core_seconds:.0f} s "
            f"at depth {reached} of {depth} ({len(core):,} lots, the same "
            f"as the module's to that depth): at least "
            f"{core_seconds / rpc:.0f}x the method, "
            f"{core_seconds / sql:.0f}x the query (goal >= 50x)", flush=True)
    else:
        print(f"  Tryton core's lot trace {core_seconds:.1f} s, the same "
            f"{len(core):,} lots: {core_seconds / rpc:.0f}x the method, "
            f"{core_seconds / sql:.0f}x the query (goal >= 50x)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--levels', type=int, default=25)
    parser.add_argument('--per-level', type=int, default=40_000)
    parser.add_argument('--depth', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--core-budget', type=float, default=120,
        help="seconds after which core's walk stops at the end of a level")
    args = parser.parse_args()
    levels, per_level = args.levels, args.per_level

    server = TrytondServer(modules=['mes_traceability'])
    with Timer() as activation:
        server.create_database()
    try:
        print(f"database with mes_traceability on PostgreSQL "
            f"({activation.seconds:.0f} s)", flush=True)
        pool, ids = prepare(server.database)
        with Timer() as loading:
            moves = load(server.database, ids, levels, per_level)
        print(f"{levels * per_level:,} lots, "
            f"{(levels - 1) * per_level:,} done productions, {moves:,} done "
            f"moves written with COPY in {loading.seconds:.0f} s", flush=True)
        links, seconds = derive_links(pool, server.database, ids)
        print(f"{links:,} genealogy links derived from the moves by the "
            f"module in {seconds:.1f} s", flush=True)
        last = (levels - 1) * per_level + per_level // 2 + 1
        first = per_level // 2 + 1
        for lot_id, direction in [(last, 'backward'), (first, 'forward')]:
            compare(pool, server.database, lot_id, args.depth, direction,
                args.repeats, args.core_budget)
    finally:
        from trytond.pool import Pool
        Pool.stop(server.database)
        server.stop()


if __name__ == '__main__':
    main()
