#!/usr/bin/env python3
"""Load the demo plant into an activated database (see `make demo-db`).

The demo data is kept out of the modules: a plant installs empty.
"""
import argparse
import os
import sys

from proteus import Model
from proteus import config as pconfig

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument(
        '-c', '--config',
        default=os.path.join(HERE, os.pardir, 'trytond.conf'))
    args = parser.parse_args(argv)

    config = pconfig.set_trytond(args.database, config_file=args.config)
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.mes_production.tests.tools import (
        create_plant, create_production)

    Company = Model.get('company.company')
    if Company.find([]):
        sys.exit("The demo plant is already loaded; run `make demo-db`.")
    Party = Model.get('party.party')
    create_company(party=Party(name="Acme Pumps"), currency='EUR')
    User = Model.get('res.user')
    config._context = User.get_preferences(True, {})

    plant = create_plant(component_stock=500)

    Employee = Model.get('company.employee')
    admin, = User.find([('login', '=', 'admin')])
    supervisor = Employee(party=Party(name="Sam Supervisor"))
    supervisor.party.save()
    supervisor.save()
    admin.employees.append(Employee(supervisor.id))
    admin.employee = Employee(supervisor.id)
    admin.save()

    Equipment = Model.get('mes.equipment')
    site = Equipment(code='SITE', name="Acme Pumps, Lyon", kind='site')
    site.save()
    line = Equipment(code='LINE-P', name="Pump line", kind='line', parent=site)
    line.save()
    Equipment(
        code='M-LATHE-1', name="CNC lathe", kind='machine', parent=line,
        work_center=plant.lathe, ideal_cycle_time=42.0,
        manufacturer="DMG Mori", serial_number="NLX-2500-0815").save()
    Equipment(
        code='M-BENCH-1', name="Assembly bench", kind='machine', parent=line,
        work_center=plant.bench, ideal_cycle_time=90.0).save()

    ScrapReason = Model.get('mes.scrap.reason')
    for code, name in [
            ('CHT', "Chatter marks"), ('DIM', "Out of dimension"),
            ('SCR', "Scratched surface"), ('MAT', "Material defect")]:
        ScrapReason(code=code, name=name).save()

    Characteristic = Model.get('mes.quality.characteristic')
    Characteristic(
        name="Shaft diameter", product=plant.shaft, operation=plant.turning,
        type_='variable', nominal=25.0, lower_limit=24.95, upper_limit=25.05,
        unit=None).save()

    Connection = Model.get('mes.connector.connection')
    plc = Connection(name="Lathe PLC", host='127.0.0.1', port=5020)
    plc.tags.new(name="Machine state", table='holding_register', address=0,
        data_type='uint16', role='state')
    plc.tags.new(name="Part counter", table='holding_register', address=1,
        data_type='uint32', role='counter')
    plc.save()

    for quantity in (10, 25, 40):
        create_production(plant, quantity=quantity)

    # The company and plant are configured: skip the first-login wizard.
    WizardItem = Model.get('ir.module.config_wizard.item')
    for item in WizardItem.find([('state', '=', 'open')]):
        item.state = 'done'
        item.save()
    print(f"Demo plant loaded into {args.database!r}.")


if __name__ == '__main__':
    main()
