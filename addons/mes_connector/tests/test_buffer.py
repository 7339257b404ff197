# This file is part of Tryton MES.  See README.md for license terms.
"""The store-and-forward buffer keeps events in order across restarts and
forgets them only once acknowledged."""
import multiprocessing
import os
import signal
import tempfile
import unittest
from pathlib import Path

from trytond.modules.mes_connector.buffer import Event, EventBuffer


def _write_then_die(path, count):
    buffer = EventBuffer(path)
    for i in range(count):
        buffer.append([Event.new(1, f'2026-11-25T10:00:{i % 60:02d}', i)],
            [(1, i, '2026-11-25T10:00:00')])
    os.kill(os.getpid(), signal.SIGKILL)


class BufferTestCase(unittest.TestCase):

    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name, 'buffer.sqlite')

    def tearDown(self):
        self.folder.cleanup()

    def test_order_and_acknowledge(self):
        buffer = EventBuffer(self.path)
        events = [Event.new(7, '2026-11-25T10:00:00Z', v)
            for v in (1, 2.5, 'text', True)]
        buffer.append(events[:2])
        buffer.append(events[2:])
        pending = buffer.pending(limit=3)
        self.assertEqual([e for _, e in pending], events[:3])
        buffer.acknowledge(pending[-1][0])
        self.assertEqual([e for _, e in buffer.pending()], events[3:])
        self.assertEqual(len(buffer), 1)
        buffer.close()

    def test_events_and_readings_are_all_or_nothing(self):
        buffer = EventBuffer(self.path)
        event = Event.new(1, '2026-11-25T10:00:00Z', 5)
        buffer.append([event], [(1, 105, '2026-11-25T10:00:00Z')])
        with self.assertRaises(Exception):
            # The same uid twice: the batch and its reading are refused.
            buffer.append([Event.new(1, 'x', 1), event],
                [(1, 999, '2026-11-25T10:00:01Z')])
        self.assertEqual(len(buffer), 1)
        self.assertEqual(buffer.readings(), {1: (105, '2026-11-25T10:00:00Z')})
        buffer.close()

    def test_survives_a_killed_writer(self):
        context = multiprocessing.get_context('fork')
        process = context.Process(
            target=_write_then_die, args=(self.path, 200))
        process.start()
        process.join(30)
        self.assertEqual(process.exitcode, -signal.SIGKILL)
        buffer = EventBuffer(self.path)
        self.assertEqual([e['value'] for _, e in buffer.pending(1000)],
            list(range(200)))
        self.assertEqual(buffer.readings()[1][0], 199)
        buffer.close()

    def test_configuration_is_kept(self):
        buffer = EventBuffer(self.path)
        self.assertIsNone(buffer.load_configuration())
        buffer.save_configuration([{'id': 1, 'tags': []}])
        buffer.close()
        self.assertEqual(EventBuffer(self.path).load_configuration(),
            [{'id': 1, 'tags': []}])
