#!/usr/bin/env python3
"""Load the demo plant into an activated database (see `make demo-db`).

The demo data is kept out of the modules: a plant installs empty.
"""
import argparse
import datetime as dt
import os
import sys

from proteus import Model
from proteus import config as pconfig

HERE = os.path.dirname(os.path.abspath(__file__))
# The drawing the lathe operator opens from the turning instructions.
SHAFT_DRAWING = """\
<svg xmlns="http://www.w3.org/2000/svg" width="640" height="240"
     viewBox="0 0 640 240" font-family="sans-serif" font-size="18">
  <rect width="640" height="240" fill="#fff"/>
  <rect x="40" y="90" width="180" height="60" fill="#ccd" stroke="#000"/>
  <rect x="220" y="80" width="300" height="80" fill="#aab" stroke="#000"/>
  <rect x="520" y="95" width="80" height="50" fill="#ccd" stroke="#000"/>
  <line x1="230" y1="60" x2="510" y2="60" stroke="#000"/>
  <text x="300" y="50">\u00d8 25.00 \u00b1 0.05</text>
  <text x="40" y="200">Drive shaft S-100, drawing 4711 rev. B</text>
</svg>
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument(
        '-c', '--config',
        default=os.path.join(HERE, os.pardir, 'trytond.conf'))
    args = parser.parse_args(argv)

    # proteus combines a bare database name with this URI.
    os.environ.setdefault(
        'TRYTOND_DATABASE_URI',
        os.environ.get('TRYTOND_DATABASE__URI', 'sqlite://'))
    config = pconfig.set_trytond(args.database, config_file=args.config)
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.mes_production.tests.tools import create_plant

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
    supervisor_party = Party(name="Sam Supervisor")
    supervisor_party.save()
    supervisor = Employee(party=supervisor_party)
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
    PauseReason = Model.get('mes.pause.reason')
    for code, name in [
            ('TOOL', "Tool change"), ('MAT', "Waiting for material"),
            ('BRK', "Break"), ('QC', "Waiting for inspection")]:
        PauseReason(code=code, name=name).save()

    # Operators sign in at terminals with their badge and PIN.
    operator = plant.operator
    operator.mes_badge = 'B-1001'
    operator.mes_pin = '1234'
    operator.save()
    piotr_party = Party(name="Piotr Operator")
    piotr_party.save()
    piotr = Employee(party=piotr_party)
    piotr.mes_badge = 'B-1002'
    piotr.mes_pin = '5678'
    piotr.save()

    Group = Model.get('res.group')
    terminal_user = User(name="Pump line terminal", login='terminal-pump')
    terminal_user.groups.extend(Group.find([('name', '=', "MES Operator")]))
    terminal_user.save()
    Terminal = Model.get('mes.terminal')
    terminal = Terminal(name="Pump line panel", code='PUMP1',
        user=terminal_user)
    terminal.work_centers.extend([plant.lathe, plant.bench])
    terminal.save()

    plant.turning.setup_time = dt.timedelta(minutes=30)
    plant.turning.run_time = dt.timedelta(minutes=3)
    plant.turning.save()
    plant.assembling.setup_time = dt.timedelta(minutes=10)
    plant.assembling.run_time = dt.timedelta(minutes=6)
    plant.assembling.save()
    Instruction = Model.get('mes.work.instruction')
    for operation, title, content in [
            (plant.turning, "Turn the drive shaft",
                "1. Clamp the bar at 40 mm.\n"
                "2. Turn to 25.00 mm (tolerance ±0.05).\n"
                "3. Measure every 5th shaft."),
            (plant.assembling, "Assemble the pump",
                "1. Press the shaft into the housing.\n"
                "2. Torque the cover screws to 12 Nm.")]:
        instruction = Instruction(
            operation=operation, title=title, content=content)
        instruction.save()
        if operation == plant.turning:
            Attachment = Model.get('ir.attachment')
            Attachment(resource=instruction, name='shaft-drawing.svg',
                type='data', data=SHAFT_DRAWING.encode()).save()
        instruction.click('approve')

    Characteristic = Model.get('mes.quality.characteristic')
    Characteristic(
        name="Shaft diameter", product=plant.shaft, operation=plant.turning,
        type_='variable', nominal=25.0, lower_limit=24.95, upper_limit=25.05,
        unit=None).save()

    Reason = Model.get('mes.downtime.reason')
    stops = Reason(code='STOP', name="Unplanned stops")
    stops.save()
    jam = Reason(code='JAM', name="Chip jam", loss_class='breakdown',
        parent=stops)
    jam.save()
    Reason(code='TOOL', name="Tool change", loss_class='setup_adjustment',
        parent=stops).save()
    Reason(code='BRK', name="Meal break", loss_class='planned').save()

    # The lathe's PLC is played by `mes-simulator` (machine M001, unit 1);
    # `make demo` starts it and the connector worker.
    lathe, = Equipment.find([('code', '=', 'M-LATHE-1')])
    diameter, = Characteristic.find([('name', '=', "Shaft diameter")])
    Connection = Model.get('mes.connector.connection')
    plc = Connection(name="Lathe PLC", host='127.0.0.1', port=5020,
        unit_id=1, poll_interval=1.0)
    state = plc.tags.new(name="Machine state", table='holding_register',
        address=0, data_type='uint16', role='state', equipment=lathe)
    state.mappings.new(value=1, state='running')
    state.mappings.new(value=3, state='down')
    alarm = plc.tags.new(name="Alarm", table='holding_register', address=1,
        data_type='uint16', role='alarm', equipment=lathe)
    alarm.mappings.new(value=7, reason=jam)
    plc.tags.new(name="Good parts", table='holding_register', address=2,
        data_type='uint32', role='counter', counter_kind='good',
        equipment=lathe)
    plc.tags.new(name="Rejected parts", table='holding_register',
        address=4, data_type='uint32', role='counter', counter_kind='reject',
        equipment=lathe)
    plc.tags.new(name="Shaft diameter", table='holding_register',
        address=6, data_type='float32', role='process_value',
        equipment=lathe, characteristic=diameter, sample_interval=60)
    plc.save()

    # Maintenance: a team, a monthly inspection coming up and an insert
    # change every 200 parts the connector counts; `make demo` runs the
    # hourly job that generates their requests.
    Party = Model.get('party.party')
    Employee = Model.get('company.employee')
    technician_party = Party(name="Tom Technician")
    technician_party.save()
    technician = Employee(party=technician_party)
    technician.save()
    Team = Model.get('mes.maintenance.team')
    mechanics = Team(name="Mechanics")
    mechanics.members.append(technician)
    mechanics.save()
    Plan = Model.get('mes.maintenance.plan')
    inspection = Plan(
        name="Inspect spindle and way covers", equipment=lathe,
        trigger='time', interval_number=1, interval_unit='month', horizon=7,
        start=dt.date.today() - dt.timedelta(days=26), team=mechanics,
        machine_down=True, duration=dt.timedelta(hours=1))
    inspection.save()
    Plan(name="Replace cutting insert", equipment=lathe, trigger='meter',
        meter='parts', meter_interval=200, meter_lead=20,
        start=dt.date.today(), team=mechanics, machine_down=False).save()
    Plan.generate_requests([inspection.id], config.context)

    Production = Model.get('production')
    today = dt.date.today()
    for days, quantity in enumerate((10, 25, 40), start=1):
        production = Production(
            product=plant.pump, bom=plant.bom, routing=plant.routing,
            work_center=plant.plant, quantity=quantity,
            planned_date=today + dt.timedelta(days=days),
            planned_start_date=today)
        production.click('wait')
        production.click('assign_try')

    # The company and plant are configured: skip the first-login wizard.
    WizardItem = Model.get('ir.module.config_wizard.item')
    for item in WizardItem.find([('state', '=', 'open')]):
        item.state = 'done'
        item.save()
    terminal.reload()
    print(f"Demo plant loaded into {args.database!r}.")
    print("Operator terminal (badges B-1001 / PIN 1234, B-1002 / PIN 5678):")
    print(f"  http://127.0.0.1:8000/{args.database}/mes/terminal/"
        f"{terminal.code}#key={terminal.key}")


if __name__ == '__main__':
    main()
