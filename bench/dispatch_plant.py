#!/usr/bin/env python3
"""Populate a database for bench/dispatch.py: a plant built through the
ORM, then copies of one real production and its works inserted in batches.

Usage: dispatch_plant.py DATABASE CENTERS PRODUCTIONS (environment as for
trytond); prints the ids of the open works per work center as JSON.
"""
import json
import sys

from proteus import Model
from proteus import config as pconfig
from sql import Table

from trytond.transaction import Transaction

def main():
    database = sys.argv[1]
    n_centers, n_productions = int(sys.argv[2]), int(sys.argv[3])
    config = pconfig.set_trytond(database)
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.mes_production.tests.tools import create_plant
    create_company()
    User = Model.get('res.user')
    config._context = User.get_preferences(True, {})
    plant = create_plant(component_stock=10 ** 7)
    WorkCenter = Model.get('production.work.center')
    half = n_centers // 2
    for i in range(2, half + 1):
        WorkCenter(name=f'Lathe {i}', parent=plant.plant,
            category=plant.machining).save()
        WorkCenter(name=f'Bench {i}', parent=plant.plant,
            category=plant.assembly).save()
    machining = WorkCenter.find([('category', '=', plant.machining.id)])
    assembly = WorkCenter.find([('category', '=', plant.assembly.id)])
    Production = Model.get('production')
    template = Production(product=plant.pump, bom=plant.bom,
        routing=plant.routing, work_center=plant.plant, quantity=5)
    template.click('wait')
    template.click('assign_try')

    template_id = template.id
    template_works = [w.id for w in template.works]
    machining = [c.id for c in machining]
    assembly = [c.id for c in assembly]
    with Transaction(new=True).start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        production = Table('production')
        work = Table('production_work')

        def row(table, id_):
            cursor.execute(*table.select(where=table.id == id_))
            names = [d[0] for d in cursor.description]
            return dict(zip(names, cursor.fetchone()))

        base = row(production, template_id)
        works = sorted((row(work, w) for w in template_works),
            key=lambda w: (w['sequence'] or 0, w['id']))
        production_columns = [c for c in base if c != 'id']
        work_columns = [c for c in works[0] if c not in ('id', 'production')]
        created = []
        for start in range(0, n_productions - 1, 1000):
            size = min(1000, n_productions - 1 - start)
            values = []
            for i in range(start, start + size):
                record = dict(base, number=f'B{i:07d}', quantity=1 + i % 40)
                values.append([record[c] for c in production_columns])
            cursor.execute(*production.insert(
                [getattr(production, c) for c in production_columns], values))
            cursor.execute(*production.select(
                production.id, where=production.number.in_(
                    [f'B{i:07d}' for i in range(start, start + size)])))
            created.extend(r[0] for r in cursor)
        values = []
        for n, production_id in enumerate(created):
            for w, center in zip(works, (machining[n % len(machining)],
                    assembly[n % len(assembly)])):
                record = dict(w, work_center=center,
                    priority=str(n % 4), dispatch_sequence=n % 97)
                values.append(
                    [record[c] for c in work_columns] + [production_id])
                if len(values) >= 1000:
                    cursor.execute(*work.insert(
                        [getattr(work, c) for c in work_columns]
                        + [work.production], values))
                    values = []
        if values:
            cursor.execute(*work.insert(
                [getattr(work, c) for c in work_columns] + [work.production],
                values))
        transaction.commit()
        cursor.execute(*work.select(work.work_center, work.id,
            where=work.state.in_(['draft', 'request'])))
        by_center = {}
        for center, id_ in cursor:
            by_center.setdefault(center, []).append(id_)
    # Only the first operation's works are ready to start.
    print(json.dumps({str(c): ids[:400] for c, ids in by_center.items()
                if c in machining}))


if __name__ == '__main__':
    main()
