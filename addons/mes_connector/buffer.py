# This file is part of Tryton MES.  See README.md for license terms.
"""The worker's local store-and-forward buffer: a SQLite file in WAL mode.

Every event is written here before anything else happens to it, in one
transaction with the counter readings it was computed from, so a crash
loses nothing that was accepted and never counts a part twice. Delivery
reads the oldest events in order and deletes them only once the MES has
acknowledged them; the MES ignores event ids it already holds, so
delivering a batch twice is harmless.
"""
import json
import sqlite3
import threading
import uuid
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    tag INTEGER NOT NULL,
    at TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS configuration (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reading (
    tag INTEGER PRIMARY KEY,
    value TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


def new_uid():
    return uuid.uuid4().hex


class Event(dict):
    "An event as delivered: uid, tag, at (ISO 8601, UTC) and value."

    @classmethod
    def new(cls, tag, at, value):
        return cls(uid=new_uid(), tag=tag, at=at, value=value)


class EventBuffer:
    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the writer and the forwarder threads:
        # SQLite serialises them anyway and a lock keeps it simple.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False,
            timeout=30)
        self._db.execute('PRAGMA journal_mode=WAL')
        # FULL: an event acknowledged to the device loop survives a power
        # cut, not only a crash of the worker.
        self._db.execute('PRAGMA synchronous=FULL')
        self._db.executescript(SCHEMA)

    def close(self):
        with self._lock:
            self._db.close()

    def append(self, events, readings=()):
        """Store events and the counter readings they were computed from,
        all or nothing. readings: (tag, value, at) tuples."""
        with self._lock:
            db = self._db
            db.execute('BEGIN IMMEDIATE')
            try:
                db.executemany(
                    'INSERT INTO event (uid, tag, at, value) '
                    'VALUES (?, ?, ?, ?)',
                    [(e['uid'], e['tag'], e['at'], json.dumps(e['value']))
                        for e in events])
                db.executemany(
                    'INSERT INTO reading (tag, value, at) VALUES (?, ?, ?) '
                    'ON CONFLICT (tag) DO UPDATE SET value = excluded.value, '
                    'at = excluded.at',
                    [(tag, json.dumps(value), at)
                        for tag, value, at in readings])
            except BaseException:
                db.execute('ROLLBACK')
                raise
            db.execute('COMMIT')

    def pending(self, limit=1000):
        "The oldest events not yet acknowledged, in order, with their seq."
        with self._lock:
            rows = self._db.execute(
                'SELECT seq, uid, tag, at, value FROM event '
                'ORDER BY seq LIMIT ?', (limit,)).fetchall()
        return [(seq, Event(uid=uid, tag=tag, at=at, value=json.loads(v)))
            for seq, uid, tag, at, v in rows]

    def acknowledge(self, last_seq):
        "Forget the events up to last_seq: the MES holds them."
        with self._lock:
            self._db.execute('DELETE FROM event WHERE seq <= ?', (last_seq,))

    def readings(self):
        "The last counter reading of each tag: {tag: (value, at)}."
        with self._lock:
            rows = self._db.execute(
                'SELECT tag, value, at FROM reading').fetchall()
        return {tag: (json.loads(value), at) for tag, value, at in rows}

    def __len__(self):
        with self._lock:
            return self._db.execute('SELECT COUNT(*) FROM event').fetchone()[0]

    def save_configuration(self, configuration):
        "Keep the last configuration read, for a start without the MES."
        with self._lock:
            self._db.execute(
                'INSERT INTO configuration (id, value) VALUES (1, ?) '
                'ON CONFLICT (id) DO UPDATE SET value = excluded.value',
                (json.dumps(configuration),))

    def load_configuration(self):
        with self._lock:
            row = self._db.execute(
                'SELECT value FROM configuration WHERE id = 1').fetchone()
        return json.loads(row[0]) if row else None
