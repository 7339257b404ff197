"""Run a real trytond for end-to-end tests, on SQLite or PostgreSQL.

The backend follows TRYTOND_DATABASE__URI (or TRYTOND_DATABASE_URI), like
`make test-postgresql` sets it; SQLite files go to a temporary folder.
"""
import contextlib
import copy
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MES_MODULES = [
    'mes_production', 'mes_equipment', 'mes_quality', 'mes_traceability',
    'mes_connector']
ADMIN_PASSWORD = 'admin-e2e'


def database_uri():
    return (os.environ.get('TRYTOND_DATABASE__URI')
        or os.environ.get('TRYTOND_DATABASE_URI') or 'sqlite://')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TrytondServer:
    "A database with the MES modules and a trytond serving it and sao."

    def __init__(self, modules=MES_MODULES, demo=False, workers=None):
        self.modules = list(modules)
        self.demo = demo
        # None: trytond's own threaded server, as `make demo` runs it; a
        # number: that many gunicorn worker processes, as in production.
        self.workers = workers
        self.tmp = tempfile.TemporaryDirectory(prefix='mes-e2e-')
        self.uri = database_uri()
        self.database = f'mes_e2e_{os.getpid()}_{int(time.time())}'
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.process = None

    @property
    def env(self):
        env = dict(os.environ)
        env.pop('TRYTOND_DATABASE_URI', None)
        env.update({
                'TRYTOND_CONFIG': str(self.config_file),
                'TRYTOND_DATABASE__URI': self.uri,
                })
        return env

    def _write_config(self):
        self.config_file = Path(self.tmp.name, 'trytond.conf')
        self.config_file.write_text(
            '[database]\n'
            f'path = {self.tmp.name}\n'
            '[web]\n'
            f'listen = 127.0.0.1:{self.port}\n'
            f'root = {ROOT / "var" / "sao" / "package"}\n'
            '[session]\n'
            'max_attempt = 100\n')

    def _create_database(self):
        if self.uri.startswith('postgresql'):
            subprocess.run(
                ['createdb', '-h', '127.0.0.1', '-U', 'postgres',
                    self.database], check=True)
        else:
            Path(self.tmp.name, f'{self.database}.sqlite').touch()
        passfile = Path(self.tmp.name, 'pass')
        passfile.write_text(ADMIN_PASSWORD)
        env = self.env | {'TRYTONPASSFILE': str(passfile)}
        subprocess.run(
            [BIN / 'trytond-admin', '-d', self.database,
                '--email', 'admin@example.com',
                '-u', *self.modules, '--activate-dependencies'],
            env=env, check=True, capture_output=True)
        if self.demo:
            subprocess.run(
                [BIN / 'python', ROOT / 'demo' / 'load_demo.py',
                    '-d', self.database, '-c', self.config_file],
                env=env, check=True, capture_output=True)

    def create_database(self):
        "Create the database with the modules, without serving it."
        self._write_config()
        self._create_database()
        return self

    def start(self):
        self.create_database()
        return self._serve()

    def _serve(self):
        self.log = open(Path(self.tmp.name, f'trytond-{self.port}.log'), 'w')
        if self.workers:
            command = [BIN / 'gunicorn', '--preload',
                '--workers', str(self.workers), '--worker-class', 'sync',
                '--bind', f'127.0.0.1:{self.port}',
                'trytond.application:app']
            env = self.env | {'TRYTOND_DATABASE_NAMES': self.database}
        else:
            command = [BIN / 'trytond', '-d', self.database]
            env = self.env
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.read_log())
            try:
                urllib.request.urlopen(self.url + '/', timeout=2).close()
            except urllib.error.HTTPError:
                # It answers: without sao's files in the web root, '/' is
                # refused, yet the routes and RPC are served.
                return self
            except OSError:
                pass
            else:
                return self
            time.sleep(0.2)
        raise RuntimeError('trytond did not start:\n' + self.read_log())

    @contextlib.contextmanager
    def sibling(self, workers):
        """Serve this server's database from `workers` more processes on
        their own port, as a plant's production server does."""
        other = copy.copy(self)
        other.workers = workers
        other.port = free_port()
        other.url = f'http://127.0.0.1:{other.port}'
        other._serve()
        try:
            yield other
        finally:
            other._stop_process()

    def read_log(self):
        return Path(self.tmp.name, f'trytond-{self.port}.log').read_text()

    def _stop_process(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.log.close()

    def stop(self):
        self._stop_process()
        if self.uri.startswith('postgresql'):
            subprocess.run(
                # --force: a benchmark's own connection pool may still be
                # open on it.
                ['dropdb', '--if-exists', '--force', '-h', '127.0.0.1',
                    '-U', 'postgres', self.database],
                check=False, capture_output=True)
        self.tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
