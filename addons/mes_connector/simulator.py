# This file is part of Tryton MES.  See README.md for license terms.
"""A plant of simulated machines behind a Modbus TCP PLC and an OPC UA
server, keeping its own ground truth so tests can compare the MES with it.

Each machine makes a part every `cycle_time` seconds while it runs; it stops
at random with an alarm code for a while; a share of its parts are
rejected; its process value drifts; its counters roll over at their type's
modulus. Register map of machine i (Modbus device id i + 1, holding
registers from 0): 0 state (1 running, 3 down), 1 alarm code, 2-3 good
parts, 4-5 rejected parts (uint32, high word first; uint16 counters use
2 and 4 only), 6-7 process value (float32). OPC UA nodes:
ns=<simulator namespace>;s=<machine>.State, .Alarm, .Good, .Reject, .Value.
"""
import argparse
import asyncio
import datetime
import json
import logging
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field

from . import codec

logger = logging.getLogger('mes.simulator')
RUNNING, DOWN = 1, 3
NAMESPACE = 'urn:tryton-mes:simulator'
REGISTERS = 10


@dataclass
class MachineSpec:
    name: str
    cycle_time: float = 1.0
    scrap_rate: float = 0.02
    stops_per_hour: float = 0.0
    stop_seconds: tuple = (2.0, 8.0)
    alarm_codes: tuple = (7,)
    nominal: float = 25.0
    drift_per_hour: float = 0.0
    noise: float = 0.005
    counter_type: str = 'uint32'
    counter_start: int = 0
    seed: int = 0


@dataclass
class Machine:
    spec: MachineSpec
    started: float = 0.0
    clock: float = 0.0
    progress: float = 0.0
    good: int = 0
    reject: int = 0
    state: int = RUNNING
    alarm: int = 0
    down_until: float = 0.0
    stops: int = 0
    value: float = 0.0
    rng: random.Random = field(default=None)

    def __post_init__(self):
        self.rng = random.Random(self.spec.seed)
        self.value = self.spec.nominal

    def advance(self, now, paused=False):
        """Bring the machine to `now` (monotonic seconds) in fixed steps,
        so what it does does not depend on how often it is read."""
        if not self.clock:
            self.clock = self.started = now
            return
        if paused:
            self.clock = now
            return
        step = min(0.05, self.spec.cycle_time)
        while self.clock + step <= now:
            self.clock += step
            self._step(self.clock, step)

    def _step(self, now, elapsed):
        spec = self.spec
        if self.state == DOWN:
            if now < self.down_until:
                return
            self.state, self.alarm = RUNNING, 0
        if spec.stops_per_hour and self.rng.random() < (
                spec.stops_per_hour * elapsed / 3600):
            self.state = DOWN
            self.alarm = self.rng.choice(spec.alarm_codes)
            self.down_until = now + self.rng.uniform(*spec.stop_seconds)
            self.stops += 1
            return
        self.progress += elapsed / spec.cycle_time
        parts = int(self.progress)
        self.progress -= parts
        for _ in range(parts):
            if self.rng.random() < spec.scrap_rate:
                self.reject += 1
            else:
                self.good += 1
        hours = (now - self.started) / 3600
        self.value = (spec.nominal + spec.drift_per_hour * hours
            + self.rng.gauss(0, spec.noise))

    def counter(self, count):
        modulus = codec.COUNTER_MODULUS[self.spec.counter_type]
        return (self.spec.counter_start + count) % modulus

    def registers(self):
        kind = self.spec.counter_type
        good = codec.encode(self.counter(self.good), kind)
        reject = codec.encode(self.counter(self.reject), kind)
        return ([self.state, self.alarm]
            + (good + [0])[:2] + (reject + [0])[:2]
            + codec.encode(self.value, 'float32') + [0, 0])

    def truth(self):
        return {
            'good': self.good, 'reject': self.reject, 'state': self.state,
            'alarm': self.alarm, 'stops': self.stops,
            }


class Plant:
    "The machines and the servers that show them."

    def __init__(self, specs, host='127.0.0.1', modbus_port=None,
            opcua_port=None, publish_interval=0.1, extra_values=0,
            opcua_security=None, paused=False):
        self.machines = [Machine(s) for s in specs]
        self.host = host
        self.modbus_port = modbus_port
        self.opcua_port = opcua_port
        self.publish_interval = publish_interval
        self.extra_values = extra_values
        self.opcua_security = opcua_security
        self.paused = paused
        self.reads = 0
        self.published = 0
        self.modbus = None
        self.opcua = None
        self._opcua_task = None
        self.namespace = None

    def advance(self):
        now = time.monotonic()
        for machine in self.machines:
            machine.advance(now, self.paused)

    def truth(self):
        self.advance()
        return {m.spec.name: m.truth() for m in self.machines}

    def pause(self):
        "Stop making parts (the servers go on answering)."
        self.advance()
        self.paused = True

    def resume(self):
        self.advance()
        self.paused = False

    # Modbus TCP

    async def start_modbus(self):
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import SimData, SimDevice
        from pymodbus.simulator.simutils import DataType

        devices = []
        for index, machine in enumerate(self.machines):
            async def action(function_code, start_address, address, count,
                    registers, values, machine=machine):
                self.reads += 1
                machine.advance(time.monotonic(), self.paused)
                for offset, value in enumerate(machine.registers()):
                    registers[offset] = value
            devices.append(SimDevice(
                    id=index + 1,
                    simdata=(
                        [SimData(0, values=False, datatype=DataType.BITS)],
                        [SimData(0, values=False, datatype=DataType.BITS)],
                        [SimData(0, count=REGISTERS, values=0,
                                datatype=DataType.REGISTERS)],
                        [SimData(0, values=0, datatype=DataType.REGISTERS)]),
                    action=action))
        self.modbus = ModbusTcpServer(
            devices, address=(self.host, self.modbus_port))
        await self.modbus.serve_forever(background=True)
        logger.info("Modbus TCP on %s:%s, device ids 1-%s", self.host,
            self.modbus_port, len(self.machines))

    async def stop_modbus(self):
        if self.modbus:
            await self.modbus.shutdown()
            self.modbus = None

    # OPC UA

    async def start_opcua(self):
        from asyncua import Server, ua

        server = Server()
        await server.init()
        server.set_endpoint(
            f'opc.tcp://{self.host}:{self.opcua_port}/mes/simulator')
        server.set_server_name("Tryton MES plant simulator")
        if self.opcua_security:
            certificate, private_key = self.opcua_security
            await server.load_certificate(certificate)
            await server.load_private_key(private_key)
            server.set_security_policy([
                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                    ua.SecurityPolicyType.Basic256Sha256_Sign])
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self.namespace = await server.register_namespace(NAMESPACE)
        ns = self.namespace
        objects = server.nodes.objects
        self._nodes = []
        for machine in self.machines:
            name = machine.spec.name
            folder = await objects.add_object(ua.NodeId(name, ns), name)
            nodes = {}
            for attr, variant in [
                    ('State', ua.VariantType.UInt16),
                    ('Alarm', ua.VariantType.UInt16),
                    ('Good', ua.VariantType.UInt32),
                    ('Reject', ua.VariantType.UInt32),
                    ('Value', ua.VariantType.Double)]:
                initial = 0.0 if variant == ua.VariantType.Double else 0
                nodes[attr] = await folder.add_variable(
                    ua.NodeId(f'{name}.{attr}', ns), attr,
                    ua.Variant(initial, variant))
            for i in range(self.extra_values):
                nodes[f'PV{i}'] = await folder.add_variable(
                    ua.NodeId(f'{name}.PV{i}', ns), f'PV{i}',
                    ua.Variant(0.0, ua.VariantType.Double))
            self._nodes.append((machine, nodes))
        # A sensor that fails, and a value of the wrong type, for tests of
        # how the worker reports bad data.
        self.bad_node = await objects.add_variable(
            ua.NodeId('Broken.Sensor', ns), 'BrokenSensor',
            ua.Variant(0.0, ua.VariantType.Double))
        self.text_node = await objects.add_variable(
            ua.NodeId('Broken.Text', ns), 'BrokenText',
            ua.Variant('not a number', ua.VariantType.String))
        await server.start()
        await self.bad_node.write_value(ua.DataValue(
                ua.Variant(0.0, ua.VariantType.Double),
                StatusCode=ua.StatusCode(ua.StatusCodes.BadSensorFailure)))
        self.opcua = server
        self._opcua_task = asyncio.create_task(self._publish())
        logger.info("OPC UA on opc.tcp://%s:%s/mes/simulator (ns=%s)",
            self.host, self.opcua_port, ns)

    async def _publish(self):
        from asyncua import ua
        types = {
            'State': ua.VariantType.UInt16, 'Alarm': ua.VariantType.UInt16,
            'Good': ua.VariantType.UInt32, 'Reject': ua.VariantType.UInt32,
            }
        last = {}
        tick = 0
        # A fixed period, as a PLC's scan: the time spent writing the values
        # is part of it, not added to it.
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            self.advance()
            tick += 1
            stamp = datetime.datetime.now(datetime.timezone.utc)
            for machine, nodes in self._nodes:
                values = {
                    'State': machine.state, 'Alarm': machine.alarm,
                    'Good': machine.counter(machine.good),
                    'Reject': machine.counter(machine.reject),
                    'Value': round(machine.value, 6),
                    }
                for i in range(self.extra_values):
                    values[f'PV{i}'] = float(tick + i)
                for attr, value in values.items():
                    node = nodes[attr]
                    if last.get(node.nodeid) == value:
                        continue
                    last[node.nodeid] = value
                    self.published += 1
                    # The server's direct write: Node.write_value costs
                    # several times more and caps the simulator's rate.
                    await self.opcua.write_attribute_value(
                        node.nodeid, ua.DataValue(
                            ua.Variant(value,
                                types.get(attr, ua.VariantType.Double)),
                            SourceTimestamp=stamp, ServerTimestamp=stamp))
            deadline = max(deadline + self.publish_interval, loop.time())
            await asyncio.sleep(deadline - loop.time())

    async def stop_opcua(self):
        if self._opcua_task:
            self._opcua_task.cancel()
            try:
                await self._opcua_task
            except asyncio.CancelledError:
                pass
            self._opcua_task = None
        if self.opcua:
            await self.opcua.stop()
            self.opcua = None

    async def start(self):
        self.advance()
        if self.modbus_port:
            await self.start_modbus()
        if self.opcua_port:
            await self.start_opcua()

    async def stop(self):
        await self.stop_modbus()
        await self.stop_opcua()


class PlantThread:
    """Run a plant in a thread with its own event loop (for tests): its
    methods are called from the test's thread."""

    def __init__(self, plant):
        self.plant = plant
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, daemon=True)

    def call(self, coroutine, timeout=30):
        return asyncio.run_coroutine_threadsafe(
            coroutine, self.loop).result(timeout)

    def start(self):
        self.thread.start()
        self.call(self.plant.start())
        return self

    def stop(self):
        self.call(self.plant.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def truth(self):
        return self.call(self._truth())

    async def _truth(self):
        return self.plant.truth()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def machines(count, cycle_time=1.0, scrap_rate=0.02, stops_per_hour=0.0,
        counter_type='uint32', counter_start=0, seed=1):
    return [MachineSpec(
            name=f'M{i + 1:03d}', cycle_time=cycle_time,
            scrap_rate=scrap_rate, stops_per_hour=stops_per_hour,
            counter_type=counter_type, counter_start=counter_start,
            seed=seed + i) for i in range(count)]


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        prog='mes-simulator',
        description="Simulate machines behind a Modbus TCP PLC and an "
        "OPC UA server on this host.")
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--machines', type=int, default=3)
    parser.add_argument('--modbus-port', type=int, default=5020,
        help="0 for no Modbus server")
    parser.add_argument('--opcua-port', type=int, default=4840,
        help="0 for no OPC UA server")
    parser.add_argument('--cycle-time', type=float, default=1.0)
    parser.add_argument('--scrap-rate', type=float, default=0.02)
    parser.add_argument('--stops-per-hour', type=float, default=6.0)
    parser.add_argument('--counter-type', choices=['uint16', 'uint32'],
        default='uint32')
    parser.add_argument('--counter-start', type=int, default=0)
    parser.add_argument('--publish-interval', type=float, default=0.1)
    parser.add_argument('--extra-values', type=int, default=0,
        help="extra changing OPC UA values per machine (load tests)")
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--duration', type=float,
        help="stop after this many seconds and print the ground truth")
    parser.add_argument('--truth-file',
        help="write the ground truth as JSON to this file every second")
    return parser.parse_args(args)


async def _main(options):
    plant = Plant(
        machines(options.machines, options.cycle_time, options.scrap_rate,
            options.stops_per_hour, options.counter_type,
            options.counter_start, options.seed),
        host=options.host, modbus_port=options.modbus_port or None,
        opcua_port=options.opcua_port or None,
        publish_interval=options.publish_interval,
        extra_values=options.extra_values)
    await plant.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    deadline = (loop.time() + options.duration) if options.duration else None
    try:
        while not stop.is_set():
            if deadline and loop.time() >= deadline:
                break
            if options.truth_file:
                with open(options.truth_file + '.tmp', 'w') as out:
                    json.dump(plant.truth(), out)
                os.replace(options.truth_file + '.tmp', options.truth_file)
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except asyncio.TimeoutError:
                pass
    finally:
        truth = plant.truth()
        await plant.stop()
    print(json.dumps(truth, indent=1))


def main(args=None):
    options = parse_args(args)
    logging.basicConfig(
        level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
    logging.getLogger('pymodbus').setLevel(logging.ERROR)
    logging.getLogger('asyncua').setLevel(logging.WARNING)
    asyncio.run(_main(options))


if __name__ == '__main__':
    main()
