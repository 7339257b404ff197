# This file is part of Tryton MES.  See README.md for license terms.
"""Reading the CSV files lab instruments export, without the ORM.

The first line names the columns; `characteristic`, `value` and
`measured_at` are required, `subgroup`, `lot` and `work_center` optional.
The delimiter is guessed among comma, semicolon and tab; with a semicolon or
a tab a decimal comma is accepted. Every row is checked before anything is
stored: the caller gets the parsed rows or the list of errors, each with its
line number in the file.
"""
import csv
import datetime as dt
import io
import math

REQUIRED = ('characteristic', 'value', 'measured_at')
OPTIONAL = ('subgroup', 'lot', 'work_center')


class Row:
    __slots__ = ('line', 'characteristic', 'value', 'measured_at',
        'subgroup', 'lot', 'work_center')

    def __init__(self, line, **values):
        self.line = line
        for name in self.__slots__[1:]:
            setattr(self, name, values.get(name))


def read(text):
    """Return (rows, errors): errors are (line, code, values) in file order;
    the code names what is wrong, the values fill its message."""
    if isinstance(text, bytes):
        try:
            text = text.decode('utf-8-sig')
        except UnicodeDecodeError:
            return [], [(1, 'not_utf8', {})]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [(1, 'empty', {})]
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=',;\t')
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ','
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    errors = []
    if missing:
        errors.append((1, 'missing_columns', {'columns': ', '.join(missing)}))
    if unknown:
        errors.append((1, 'unknown_columns', {'columns': ', '.join(unknown)}))
    if errors:
        return [], errors
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append((line, 'cell_count', {
                        'values': len(cells), 'columns': len(header)}))
            continue
        values = {h: c.strip() for h, c in zip(header, cells)}
        row, problems = _parse(line, values, delimiter != ',')
        errors.extend((line, code, v) for code, v in problems)
        if not problems:
            rows.append(row)
    if not rows and not errors:
        errors.append((2, 'no_rows', {}))
    return rows, errors


def _parse(line, values, decimal_comma):
    problems = []
    if not values['characteristic']:
        problems.append(('characteristic_empty', {}))
    raw = values['value']
    if decimal_comma:
        raw = raw.replace(',', '.')
    try:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError
    except ValueError:
        value = None
        problems.append(('value', {'value': values['value']}))
    try:
        measured_at = dt.datetime.fromisoformat(values['measured_at'])
        if measured_at.tzinfo:
            measured_at = measured_at.astimezone(
                dt.timezone.utc).replace(tzinfo=None)
    except ValueError:
        measured_at = None
        problems.append(('measured_at', {'value': values['measured_at']}))
    subgroup = None
    if values.get('subgroup'):
        try:
            subgroup = int(values['subgroup'])
        except ValueError:
            problems.append(('subgroup', {'value': values['subgroup']}))
    row = Row(line, characteristic=values['characteristic'], value=value,
        measured_at=measured_at, subgroup=subgroup,
        lot=values.get('lot') or None,
        work_center=values.get('work_center') or None)
    return row, problems
