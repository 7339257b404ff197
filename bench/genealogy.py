#!/usr/bin/env python3
"""Lot genealogy traces at plant scale.

1. PostgreSQL, 1,000,000 lots and about 3,000,000 edges (25 levels of
   40,000 lots, each made from 3 lots of the level below, drawn from its
   neighbourhood as batches are): time of a backward and a forward trace of
   depth 20 with the module's recursive query.
2. The ratio to Tryton core's lot trace on the same query, in the same run:
   a 20-level genealogy made by real productions (each level a product made
   from the one below and a screw lot), traced backward from its last lot
   by core's move-by-move walk (stock.lot.trace) and by the module; both
   must find the same lots.

Goal: under 1 s, at least 50x core.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(__file__))

from _common import Timer, scratch_database  # noqa: E402
from sql import Table  # noqa: E402

from trytond.modules.mes_traceability.trace import trace_query  # noqa: E402

LEVELS = 25
PER_LEVEL = 40_000
FAN_IN = 3
NEIGHBOURHOOD = 40


def synthetic_edges(seed=5):
    rng = np.random.default_rng(seed)
    inputs, outputs = [], []
    for level in range(1, LEVELS):
        out = np.arange(PER_LEVEL) + level * PER_LEVEL
        for _ in range(FAN_IN):
            offset = rng.integers(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1,
                PER_LEVEL)
            source = np.clip(np.arange(PER_LEVEL) + offset, 0,
                PER_LEVEL - 1) + (level - 1) * PER_LEVEL
            inputs.append(source)
            outputs.append(out)
    return np.concatenate(inputs), np.concatenate(outputs)


def large_scale(depth):
    inputs, outputs = synthetic_edges()
    with scratch_database('mes_bench_genealogy') as connection:
        connection.execute(
            'CREATE TABLE mes_genealogy_edge (id serial, input_lot integer,'
            ' output_lot integer, company integer)')
        with Timer() as load:
            with connection.cursor().copy(
                    'COPY mes_genealogy_edge (input_lot, output_lot, '
                    'company) FROM STDIN') as copy:
                for pair in zip(inputs.tolist(), outputs.tolist()):
                    copy.write_row((*pair, 1))
            connection.execute(
                'CREATE INDEX ON mes_genealogy_edge (output_lot)')
            connection.execute(
                'CREATE INDEX ON mes_genealogy_edge (input_lot)')
            connection.execute('ANALYZE mes_genealogy_edge')
            connection.commit()
        print(f"genealogy: {LEVELS * PER_LEVEL:,} lots, {len(inputs):,} "
            f"edges on PostgreSQL (loaded in {load.seconds:.0f} s)")
        edge = Table('mes_genealogy_edge')
        cursor = connection.cursor()
        last = (LEVELS - 1) * PER_LEVEL + PER_LEVEL // 2
        first = PER_LEVEL // 2
        for name, lot, direction in [
                ('backward', last, 'backward'),
                ('forward', first, 'forward')]:
            times = []
            for _ in range(5):
                query = trace_query(edge, [lot], depth, direction, [1])
                with Timer() as run:
                    cursor.execute(*query)
                    rows = cursor.fetchall()
                times.append(run.seconds)
            deepest = max(d for _, d in rows)
            print(f"{name} trace, depth {depth}: {len(rows):,} lots "
                f"(deepest {deepest}) in median "
                f"{sorted(times)[2] * 1000:.0f} ms (goal < 1 s)")


CORE_SCRIPT = r'''
import sys, time
from decimal import Decimal
from proteus import Model, config as pconfig
database, levels = sys.argv[1], int(sys.argv[2])
config = pconfig.set_trytond(database)
from trytond.modules.company.tests.tools import create_company
create_company()
User = Model.get('res.user')
config._context = User.get_preferences(True, {})
Uom = Model.get('product.uom'); unit, = Uom.find([('name', '=', 'Unit')])
Template = Model.get('product.template')
Lot = Model.get('stock.lot'); BOM = Model.get('production.bom')
Location = Model.get('stock.location')
storage, = Location.find([('code', '=', 'STO')])
Inventory = Model.get('stock.inventory')
Production = Model.get('production')

def goods(name):
    template = Template(name=name, default_uom=unit, type='goods',
        producible=True, list_price=Decimal(1))
    template.lot_required = ['storage', 'production']
    product, = template.products
    product.cost_price = Decimal(1)
    template.save()
    return template.products[0]

screw = goods('Screw')
inventory = Inventory(location=storage)
screw_lots = []
for level in range(levels + 1):
    lot = Lot(number=f'SCREW-{level:02d}', product=screw); lot.save()
    screw_lots.append(lot)
    inventory.lines.new(product=screw, lot=lot, quantity=10)
part = goods('Part 00')
lot = Lot(number='PART-00', product=part); lot.save()
inventory.lines.new(product=part, lot=lot, quantity=10)
inventory.click('confirm')
for level in range(1, levels + 1):
    previous, previous_lot = part, lot
    part = goods(f'Part {level:02d}')
    bom = BOM(name=f'Part {level:02d}')
    bom.inputs.new(product=previous, quantity=1)
    bom.inputs.new(product=screw, quantity=1)
    bom.outputs.new(product=part, quantity=1)
    bom.save()
    production = Production(product=part, bom=bom, quantity=1)
    for move in production.inputs:
        move.lot = previous_lot if move.product == previous else (
            screw_lots[level])
    production.click('wait')
    production.click('assign_try')
    production.click('run')
    production.reload()
    lot = Lot(number=f'PART-{level:02d}', product=part); lot.save()
    output, = production.outputs
    output.lot = lot
    output.save()
    production.click('do')

from trytond.pool import Pool
from trytond.transaction import Transaction
pool = Pool(database)

def core_backward(lot_id, depth):
    "Core's walk: lot traces (moves) downward, two hops per level."
    LotTrace = pool.get('stock.lot.trace')
    frontier = LotTrace.search([
        ('lot', '=', lot_id), ('from_location.type', '=', 'production')])
    found = set()
    for _ in range(2 * depth):
        following = []
        for trace in frontier:
            following.extend(trace.downward_traces)
        frontier = following
        for trace in frontier:
            if trace.lot.id != lot_id:
                found.add(trace.lot.id)
        if not frontier:
            break
    return found

def module_backward(lot_id, depth):
    Lot = pool.get('stock.lot')
    return {r['lot'] for r in Lot.trace_backward([lot_id], depth)}

with Transaction(new=True).start(database, 1, context={'company': 1,
        'companies': [1]}, readonly=True):
    core = [], []
    for repeat in range(3):
        start = time.perf_counter()
        a = core_backward(lot.id, levels)
        core[0].append(time.perf_counter() - start)
        start = time.perf_counter()
        b = module_backward(lot.id, levels)
        core[1].append(time.perf_counter() - start)
    assert a == b, (sorted(a), sorted(b))
    print(len(a), sorted(core[0])[1], sorted(core[1])[1])
'''


def core_comparison(levels, backend):
    sys.path.insert(0, str(ROOT))
    from tests.server import TrytondServer
    if backend == 'postgresql':
        os.environ['TRYTOND_DATABASE__URI'] = (
            'postgresql://postgres@127.0.0.1:5432/')
    with TrytondServer(modules=['mes_traceability']) as server:
        server.process.terminate()
        env = server.env | {'TRYTOND_DATABASE_URI': server.uri}
        result = subprocess.run(
            [sys.executable, '-c', CORE_SCRIPT, server.database,
                str(levels)], env=env, capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(result.stderr[-4000:])
        found, core, module = result.stdout.split()[-3:]
    ratio = float(core) / float(module)
    print(f"[{backend}] {levels}-level genealogy made by productions: "
        f"backward trace finds {found} lots; Tryton core's lot trace "
        f"{float(core) * 1000:.0f} ms, the module "
        f"{float(module) * 1000:.1f} ms: {ratio:.0f}x (goal >= 50x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--depth', type=int, default=20)
    parser.add_argument('--levels', type=int, default=20)
    args = parser.parse_args()
    large_scale(args.depth)
    core_comparison(args.levels, 'postgresql')


if __name__ == '__main__':
    main()
