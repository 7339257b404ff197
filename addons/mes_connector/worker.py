# This file is part of Tryton MES.  See README.md for license terms.
"""The connector worker: reads machines, buffers events, delivers them.

    mes-connector -d <database> [-c trytond.conf] [--connection ID ...]

One asyncio process per site or line. Each device has its own task (one
Modbus client or one OPC UA session per device) that only reads, converts
and queues; a writer task puts the queue into the local store-and-forward
buffer; a forwarder task delivers the buffer to the MES in batches through
`mes.connector.event.ingest` and forgets a batch only once it is
acknowledged. Database calls run in threads with short transactions: the
event loop never waits on the database and no transaction stays open while
a device is awaited.
"""
import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import signal
import time
from pathlib import Path

from . import codec
from .buffer import Event, EventBuffer

logger = logging.getLogger('mes.connector')

BACKOFF_BASE = 0.2
BACKOFF_CAP = 5.0
STOP_TIMEOUT = 5.0
NOTIFICATION_QUEUE = 100
MODBUS_EXCEPTIONS = {
    1: "illegal function", 2: "illegal data address",
    3: "illegal data value", 4: "device failure", 5: "acknowledge",
    6: "device busy", 10: "gateway path unavailable",
    11: "gateway target failed to respond",
    }


def backoff(attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP):
    "Capped exponential backoff with full jitter on its upper half."
    delay = min(cap, base * (2 ** min(attempt, 16)))
    return random.uniform(delay / 2, delay)


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


class TrytonLink:
    """The worker's way into the MES: the ORM of one database, in short
    transactions, called from worker threads."""

    def __init__(self, database, config_file=None):
        self.database = database
        self.config_file = config_file
        self.pool = None
        # The rows a delivery had to lock (the machines whose state log
        # changed) are locked from the start of the next ones: without it
        # most batches would run twice.
        self.locks = {}

    def _init(self):
        if self.pool is None:
            from trytond import config
            if self.config_file:
                config.update_etc(str(self.config_file))
            from trytond.pool import Pool
            Pool.start()
            pool = Pool(self.database)
            pool.init()
            self.pool = pool
        return self.pool

    def _run(self, func, readonly=False, locks=False):
        from trytond import backend
        from trytond.transaction import Transaction, TransactionError
        pool = self._init()
        extras = {'_lock_records': self.locks} if locks and self.locks else {}
        # Like trytond's own dispatcher: a transaction that needs row locks
        # (the state log locks its machine) is restarted with them taken.
        for attempt in range(20):
            try:
                transaction = Transaction().start(
                    self.database, 0, readonly=readonly,
                    context={'language': 'en'}, **extras)
            except backend.DatabaseOperationalError as error:
                # A row lock held by another writer of the same machines
                # (an operator's terminal): wait for it, briefly. Any other
                # error (the database away) is the forwarder's to handle.
                if attempt >= 19 or not _lock_conflict(error):
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            with transaction:
                try:
                    result = func(pool)
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    if locks and '_lock_records' in extras:
                        for table, ids in extras['_lock_records'].items():
                            self.locks[table] = sorted(
                                set(self.locks.get(table, [])) | set(ids))
                        extras['_lock_records'] = self.locks
                    continue
                if not readonly:
                    transaction.commit()
                return result
        raise RuntimeError("the transaction could not take its locks")

    def configuration(self, connection_ids=None):
        return self._run(lambda pool: pool.get(
                'mes.connector.connection').worker_configuration(
                connection_ids), readonly=True)

    def configuration_revision(self, connection_ids=None):
        return self._run(lambda pool: pool.get(
                'mes.connector.connection').worker_configuration_revision(
                connection_ids), readonly=True)

    def deliver(self, events):
        return self._run(
            lambda pool: pool.get('mes.connector.event').ingest(events),
            locks=True)

    def report_status(self, statuses):
        return self._run(lambda pool: pool.get(
                'mes.connector.connection').report_status(statuses))


def _lock_conflict(error):
    "Whether a database error says a row is locked by someone else."
    return (getattr(error, 'sqlstate', None) in {'55P03', '40001', '40P01'}
        or 'database is locked' in str(error))


class Device:
    "What every device task shares: tags, conversion and status."

    def __init__(self, worker, config):
        self.worker = worker
        self.config = config
        self.tags = {t['id']: t for t in config['tags']}
        self.online = None
        self.last_error = None
        self.last_value_at = None
        self.tag_status = {}
        self.events = 0
        self._rate_mark = (time.monotonic(), 0)
        self.task = None

    @property
    def name(self):
        return self.config['name']

    def set_online(self):
        if self.online is not True:
            if self.online is False:
                logger.info("%s: back online", self.name)
            self.online = True
            self.last_error = None

    def set_offline(self, error):
        message = f"{type(error).__name__}: {error}" if str(error) \
            else type(error).__name__
        if self.online is not False:
            # Once per outage: a device down all night must not fill the
            # log with one line per retry.
            logger.error("%s: offline: %s", self.name, message)
        else:
            logger.debug("%s: still offline: %s", self.name, message)
        self.online = False
        self.last_error = message

    def tag_error(self, tag, message):
        status = self.tag_status.setdefault(tag['id'], {})
        if status.get('last_error') != message:
            logger.warning("%s: tag %s: %s", self.name, tag['name'], message)
        status['last_error'] = message

    def value(self, tag, raw, at=None):
        "A value read for a tag: convert it and hand it to the worker."
        at = at or utcnow()
        status = self.tag_status.setdefault(tag['id'], {})
        try:
            if tag['role'] in {'counter', 'machine_counter', 'state',
                    'alarm'}:
                if isinstance(raw, bool) or not isinstance(raw, int):
                    raw = codec.coerce(raw, 'int32')
            value = codec.scale(raw, tag.get('scale_factor'),
                tag.get('scale_offset'))
        except codec.DecodeError as error:
            self.tag_error(tag, str(error))
            return
        status['last_error'] = None
        status['last_value'] = value
        status['last_read_at'] = at.isoformat()
        self.last_value_at = at
        self.events += self.worker.accept(tag, value, at)

    def rate(self):
        now = time.monotonic()
        mark, count = self._rate_mark
        self._rate_mark = (now, self.events)
        return (self.events - count) / (now - mark) if now > mark else 0.0

    def status(self):
        return {
            'connection': self.config['id'],
            'status': 'online' if self.online else 'offline',
            'last_error': self.last_error,
            'last_value_at': (self.last_value_at.isoformat()
                if self.last_value_at else None),
            'events_per_second': round(self.rate(), 1),
            'tags': {str(k): dict(v) for k, v in self.tag_status.items()
                if k in self.tags},
            }

    async def run(self):
        attempt = 0
        while True:
            try:
                await self.session()
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.set_offline(error)
            attempt += 1
            await asyncio.sleep(backoff(attempt))


class ModbusDevice(Device):

    def __init__(self, worker, config):
        super().__init__(worker, config)
        self.reads = codec.plan_reads([
                (t['id'], t['table'], t['address'],
                    codec.register_count(t['data_type'], t['length']))
                for t in config['tags']
                if t['table'] and t['address'] is not None])

    async def session(self):
        from pymodbus.client import AsyncModbusTcpClient
        config = self.config
        client = AsyncModbusTcpClient(
            config['host'], port=config['port'] or 502,
            timeout=config['timeout'], retries=0, reconnect_delay=0)
        loop = asyncio.get_running_loop()
        try:
            if not await client.connect():
                raise ConnectionError(
                    f"no answer from {config['host']}:{config['port']}")
            # Polls on a fixed schedule: a late wake-up shortens the next
            # wait rather than stretching every period (1 s must be 1 Hz).
            due = loop.time()
            while True:
                await self.poll(client)
                self.set_online()
                due += config['poll_interval']
                if due < loop.time():
                    # A poll slower than the interval: go on from now
                    # rather than firing the missed ones back to back.
                    due = loop.time()
                await asyncio.sleep(due - loop.time())
        finally:
            client.close()

    async def poll(self, client):
        unit = self.config['unit_id'] or 0
        readers = {
            'holding_register': client.read_holding_registers,
            'input_register': client.read_input_registers,
            'coil': client.read_coils,
            'discrete_input': client.read_discrete_inputs,
            }
        for table, address, count, items in self.reads:
            reply = await readers[table](address, count=count, device_id=unit)
            if reply.isError():
                code = getattr(reply, 'exception_code', None)
                message = (f"Modbus exception {code} "
                    f"({MODBUS_EXCEPTIONS.get(code, 'unknown')}) reading "
                    f"{table} {address}-{address + count - 1}")
                for key, _, _ in items:
                    self.tag_error(self.tags[key], message)
                continue
            at = utcnow()
            words = reply.bits if table in {'coil', 'discrete_input'} \
                else reply.registers
            for key, offset, size in items:
                tag = self.tags[key]
                try:
                    chunk = words[offset:offset + size]
                    if table in {'coil', 'discrete_input'}:
                        raw = bool(chunk[0])
                    else:
                        raw = codec.decode(
                            chunk, tag['data_type'],
                            self.config['byte_order'],
                            self.config['word_order'], tag['length'])
                except (codec.DecodeError, IndexError) as error:
                    self.tag_error(tag, str(error) or "short reply")
                    continue
                self.value(tag, raw, at)


class OpcUaDevice(Device):

    async def session(self):
        from asyncua import Client, ua
        from asyncua.crypto.security_policies import (
            SecurityPolicyBasic256Sha256)
        config = self.config
        client = Client(config['endpoint'], timeout=config['timeout'])
        if config['security_mode'] != 'none':
            # The server checks that the client's application URI is the
            # one its certificate names.
            uri = certificate_uri(config['certificate'])
            if uri:
                client.application_uri = uri
            mode = (ua.MessageSecurityMode.SignAndEncrypt
                if config['security_mode'] == 'sign_encrypt'
                else ua.MessageSecurityMode.Sign)
            await client.set_security(
                SecurityPolicyBasic256Sha256, config['certificate'],
                config['private_key'],
                server_certificate=config['server_certificate'] or None,
                mode=mode)
        if config['username']:
            client.set_user(config['username'])
            client.set_password(config['password'] or '')
        await client.connect()
        try:
            by_node = {}
            for tag in self.tags.values():
                if tag['node_id']:
                    node = client.get_node(tag['node_id'])
                    by_node[node.nodeid.to_string()] = tag
            # asyncua's iterator mode: its publish loop only puts each
            # notification in the subscription's queue. The handler mode
            # makes a task per notification (a third of the worker's CPU at
            # 10,000/s), and the default bounded queue silently drops the
            # oldest notifications: the queue is unbounded.
            subscription = await client.create_subscription(
                config['poll_interval'] * 1000, queue_maxsize=0)
            nodes = [client.get_node(n) for n in by_node]
            # Every change, not the last of each publishing interval: the
            # server keeps up to NOTIFICATION_QUEUE changes of each node.
            results = await subscription.subscribe_data_change(
                nodes, queuesize=NOTIFICATION_QUEUE)
            for node, result in zip(nodes, results):
                if isinstance(result, ua.StatusCode):
                    self.tag_error(by_node[node.nodeid.to_string()],
                        f"cannot subscribe: {result.name}")
            self.set_online()
            await _first_failure(
                self._read(subscription, by_node), _watch(client))
        finally:
            try:
                await asyncio.wait_for(client.disconnect(), 2)
            except Exception:
                pass

    async def _read(self, subscription, by_node):
        from asyncua.common.subscription import (
            DataChangeEvent, StatusChangeEvent)
        drained = 0
        # Awaiting a queue that holds items does not suspend: the loop
        # drains a burst without a timer per notification.
        async for event in subscription:
            drained += 1
            if drained % 1000 == 0:
                await asyncio.sleep(0)  # let the other devices run
            if isinstance(event, DataChangeEvent):
                self.notification(by_node.get(event.node.nodeid.to_string()),
                    event.data.monitored_item.Value)
            elif isinstance(event, StatusChangeEvent):
                raise ConnectionError(
                    f"subscription status {event.notification.Status}")
        raise ConnectionError("subscription closed")

    def notification(self, tag, data_value):
        if tag is None:
            return
        status = data_value.StatusCode
        if status is not None and not status.is_good():
            self.tag_error(tag, f"bad status {status.name}")
            return
        at = data_value.SourceTimestamp or data_value.ServerTimestamp
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        raw = data_value.Value.Value if data_value.Value else None
        try:
            raw = codec.coerce(raw, tag['data_type'])
        except codec.DecodeError as error:
            self.tag_error(tag, str(error))
            return
        self.value(tag, raw, at)


async def _watch(client):
    "Raise once the server stops answering: a silent server sends nothing."
    while True:
        await asyncio.sleep(1.0)
        await client.check_connection()


async def _first_failure(*coroutines):
    "Run the coroutines until one ends; raise its error, cancel the others."
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(
            tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=STOP_TIMEOUT)


def certificate_uri(path):
    "The application URI a certificate file (DER or PEM) names, or None."
    from cryptography import x509
    data = Path(path).read_bytes()
    try:
        certificate = x509.load_der_x509_certificate(data)
    except ValueError:
        certificate = x509.load_pem_x509_certificate(data)
    try:
        names = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


DEVICES = {'modbus_tcp': ModbusDevice, 'opcua': OpcUaDevice}


class Worker:

    def __init__(self, link, buffer, connection_ids=None, reload_interval=5.0,
            status_interval=2.0, batch_size=5000, flush_interval=0.05):
        self.link = link
        self.buffer = buffer
        self.connection_ids = connection_ids
        self.reload_interval = reload_interval
        self.status_interval = status_interval
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.devices = {}
        # The revision of the configuration the devices run with.
        self.revision = None
        self.readings = {
            tag: value for tag, (value, _) in buffer.readings().items()}
        self.latest = {}
        self.queue = []
        self.delivered = 0
        self.deliverable = True

    # Converting values to events (event loop thread, no I/O)

    def accept(self, tag, value, at):
        """Turn a value into at most one event; return how many."""
        role = tag['role']
        stamp = at.isoformat()
        if role in {'counter', 'machine_counter'}:
            previous = self.readings.get(tag['id'])
            delta, kind = codec.counter_delta(
                previous, value, tag['data_type'])
            if kind == 'reset':
                logger.info("tag %s: counter reset from %s to %s",
                    tag['name'], previous, value)
            if kind != 'count' or delta:
                self.readings[tag['id']] = value
                self.queue.append((Event.new(tag['id'], stamp, delta)
                        if delta else None, (tag['id'], value, stamp)))
            return 1 if delta else 0
        previous = self.latest.get(tag['id'])
        if role == 'process_value':
            if not codec.outside_deadband(previous, value, tag['deadband']):
                return 0
        elif previous == value:
            return 0
        self.latest[tag['id']] = value
        self.queue.append((Event.new(tag['id'], stamp, value), None))
        return 1

    # Tasks

    async def writer(self):
        "Put queued events into the buffer, a batch per flush."
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush()

    async def flush(self):
        if not self.queue:
            return
        items, self.queue = self.queue, []
        events = [e for e, _ in items if e is not None]
        readings = [r for _, r in items if r is not None]
        await asyncio.to_thread(self.buffer.append, events, readings)

    async def forwarder(self):
        attempt = 0
        while True:
            batch = await asyncio.to_thread(
                self.buffer.pending, self.batch_size)
            if not batch:
                await asyncio.sleep(0.1)
                continue
            events = [e for _, e in batch]
            try:
                result = await asyncio.to_thread(self.link.deliver, events)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.deliverable:
                    logger.error(
                        "delivery to the MES failed, buffering: %r", error,
                        exc_info=logger.isEnabledFor(logging.DEBUG))
                self.deliverable = False
                attempt += 1
                await asyncio.sleep(backoff(attempt))
                continue
            if not self.deliverable:
                logger.info("delivering to the MES again, %s events waiting",
                    len(self.buffer))
            self.deliverable = True
            attempt = 0
            for rejected in result.get('rejected', []):
                logger.error("event %s rejected: %s", rejected['uid'],
                    rejected['error'])
            await asyncio.to_thread(self.buffer.acknowledge, batch[-1][0])
            self.delivered += result.get('accepted', 0)

    async def reporter(self):
        while True:
            await asyncio.sleep(self.status_interval)
            statuses = [d.status() for d in self.devices.values()]
            if not statuses:
                continue
            try:
                await asyncio.to_thread(self.link.report_status, statuses)
            except Exception as error:
                logger.debug("status not reported: %s", error)

    async def configure(self):
        """Read the configuration, when its revision changed, and
        (re)start the devices that changed. The last one read is kept in the
        buffer: a worker restarted while the MES is down goes on
        collecting."""
        try:
            revision = await asyncio.to_thread(
                self.link.configuration_revision, self.connection_ids)
            if revision == self.revision:
                return
            configuration = await asyncio.to_thread(
                self.link.configuration, self.connection_ids)
            await asyncio.to_thread(
                self.buffer.save_configuration, configuration)
            self.revision = revision
        except Exception as error:
            configuration = await asyncio.to_thread(
                self.buffer.load_configuration)
            if configuration is None:
                logger.error("no configuration yet: %s", error)
                return
        wanted = {c['id']: c for c in configuration}
        for key in list(self.devices):
            if key not in wanted or self.devices[key].config != wanted[key]:
                device = self.devices.pop(key)
                device.task.cancel()
                logger.info("%s: stopped", device.name)
        for key, config in wanted.items():
            if key not in self.devices:
                device = DEVICES[config['protocol']](self, config)
                device.task = asyncio.create_task(device.run())
                self.devices[key] = device
                logger.info("%s: started, %s tags", device.name,
                    len(config['tags']))

    async def configurator(self):
        while True:
            await self.configure()
            await asyncio.sleep(self.reload_interval)

    async def run(self, stop):
        tasks = [asyncio.create_task(coro) for coro in (
                self.configurator(), self.writer(), self.forwarder(),
                self.reporter())]
        try:
            await stop.wait()
        finally:
            for device in self.devices.values():
                device.task.cancel()
            for task in tasks:
                task.cancel()
            # A task stuck in a library's clean-up (a session close that
            # never gets its answer) must not keep the worker from stopping.
            _, stuck = await asyncio.wait(
                [*tasks, *(d.task for d in self.devices.values())],
                timeout=STOP_TIMEOUT)
            for task in stuck:
                frames = task.get_stack(limit=1)
                logger.warning("stopping without waiting for %s (at %s)",
                    task.get_coro().__qualname__,
                    f"{frames[0].f_code.co_filename}:{frames[0].f_lineno}"
                    if frames else "?")
            # What was read before the stop is kept for the next start.
            await self.flush()


def parse_args(args=None):
    parser = argparse.ArgumentParser(
        prog='mes-connector',
        description="Read machines over Modbus TCP and OPC UA and deliver "
        "their data to the MES.")
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('-c', '--config', default=os.environ.get(
            'TRYTOND_CONFIG'), help="the trytond configuration file")
    parser.add_argument('--connection', type=int, action='append',
        dest='connections', help="only this connection id (repeatable)")
    parser.add_argument('--buffer', help="the store-and-forward file "
        "(default: var/connector/<database>.sqlite)")
    parser.add_argument('--reload-interval', type=float, default=5.0)
    parser.add_argument('--batch-size', type=int, default=5000)
    parser.add_argument('-v', '--verbose', action='store_true')
    return parser.parse_args(args)


async def _main(options):
    buffer = EventBuffer(options.buffer
        or Path('var', 'connector', f'{options.database}.sqlite'))
    worker = Worker(
        TrytonLink(options.database, options.config), buffer,
        connection_ids=options.connections,
        reload_interval=options.reload_interval,
        batch_size=options.batch_size)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info("buffer %s holds %s events", buffer.path, len(buffer))
    try:
        await worker.run(stop)
    finally:
        buffer.close()


def main(args=None):
    options = parse_args(args)
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    for name in ['pymodbus', 'asyncua']:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_main(options))
    finally:
        # Not asyncio.run: it would wait without end for the tasks that
        # Worker.run gave up on, and what was read is in the buffer.
        loop.close()


if __name__ == '__main__':
    main()

