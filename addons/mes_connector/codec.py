# This file is part of Tryton MES.  See README.md for license terms.
"""Machine values: registers to values, scaling, deadband and counters.

Plain Python, no ORM and no I/O, so the worker, the simulator and the tests
share one definition of what a register means.
"""
import datetime as dt
import math
import struct

# Registers (16 bits each) taken by each data type; strings give their own.
REGISTERS = {
    'bool': 1, 'int16': 1, 'uint16': 1, 'int32': 2, 'uint32': 2,
    'float32': 2, 'float64': 4,
    }
STRUCT = {
    'int16': 'h', 'uint16': 'H', 'int32': 'i', 'uint32': 'I',
    'float32': 'f', 'float64': 'd',
    }
# Modbus reads at most 125 registers or 2000 bits per request.
MAX_REGISTERS = 125
MAX_BITS = 2000
COUNTER_MODULUS = {
    'uint16': 1 << 16, 'uint32': 1 << 32, 'int16': 1 << 15,
    'int32': 1 << 31,
    }


class DecodeError(ValueError):
    "The device's answer does not hold a value of the tag's type."


def register_count(data_type, length=None):
    if data_type == 'string':
        if not length or length < 1:
            raise DecodeError("a string tag needs its length in registers")
        return length
    return REGISTERS[data_type]


def _ordered(registers, byte_order, word_order):
    words = list(registers)
    if word_order == 'little':
        words.reverse()
    raw = b''.join(
        (w & 0xFFFF).to_bytes(2, 'big' if byte_order == 'big' else 'little')
        for w in words)
    return raw


def decode(registers, data_type, byte_order='big', word_order='big',
        length=None):
    """The value held by `registers` (ints of 16 bits, in address order)."""
    count = register_count(data_type, length)
    if len(registers) != count:
        raise DecodeError(
            f"{data_type} needs {count} registers, got {len(registers)}")
    if any(not isinstance(r, int) or r < 0 or r > 0xFFFF
            for r in registers):
        raise DecodeError(f"not 16-bit registers: {registers!r}")
    if data_type == 'bool':
        return bool(registers[0])
    raw = _ordered(registers, byte_order, word_order)
    if data_type == 'string':
        return raw.split(b'\0', 1)[0].decode('utf-8', errors='replace')
    value, = struct.unpack('>' + STRUCT[data_type], raw)
    if isinstance(value, float) and not math.isfinite(value):
        raise DecodeError(f"not a finite number: {value!r}")
    return value


def encode(value, data_type, byte_order='big', word_order='big',
        length=None):
    "The registers holding `value`, in address order (for simulators)."
    count = register_count(data_type, length)
    if data_type == 'bool':
        return [1 if value else 0]
    if data_type == 'string':
        raw = value.encode('utf-8')[:count * 2].ljust(count * 2, b'\0')
    else:
        raw = struct.pack('>' + STRUCT[data_type], value)
    words = [raw[i:i + 2] for i in range(0, len(raw), 2)]
    registers = [int.from_bytes(w, 'big' if byte_order == 'big'
            else 'little') for w in words]
    if word_order == 'little':
        registers.reverse()
    return registers


def coerce(value, data_type):
    """A value an OPC UA server sent, checked against the tag's type."""
    if data_type == 'bool':
        if isinstance(value, bool):
            return value
    elif data_type == 'string':
        if isinstance(value, str):
            return value
    elif data_type in {'float32', 'float64'}:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
            if math.isfinite(value):
                return value
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    raise DecodeError(f"{data_type} expected, got {value!r}")


def scale(value, factor=None, offset=None):
    if isinstance(value, (bool, str)):
        return value
    if factor not in (None, 1):
        value = value * factor
    if offset:
        value = value + offset
    return value


def outside_deadband(previous, value, deadband):
    "Whether a process value moved enough since the last one kept."
    if previous is None or not deadband:
        return previous != value
    return abs(value - previous) > deadband


def counter_delta(previous, current, data_type):
    """Parts made between two readings of a counter, and what happened.

    A counter that goes down either wrapped at its modulus (rollover: it
    was in its upper quarter and is now in its lower quarter) or was reset
    by the machine (it counted `current` parts since the reset). Returns
    (delta, 'count' | 'rollover' | 'reset' | 'first')."""
    if previous is None:
        return 0, 'first'
    if current >= previous:
        return current - previous, 'count'
    modulus = COUNTER_MODULUS.get(data_type)
    if modulus and previous >= modulus * 3 // 4 and current < modulus // 4:
        return modulus - previous + current, 'rollover'
    return current, 'reset'


def plan_reads(tags, max_registers=MAX_REGISTERS, max_bits=MAX_BITS):
    """Group tags into as few reads as possible.

    tags: (key, table, address, count) tuples. Returns (table, address,
    count, [(key, offset, count)]) reads over contiguous addresses only:
    a gap between two tags starts a new read, because a PLC may refuse an
    address nobody defined."""
    reads = []
    by_table = {}
    for key, table, address, count in tags:
        by_table.setdefault(table, []).append((address, count, key))
    for table, items in sorted(by_table.items()):
        limit = max_bits if table in {'coil', 'discrete_input'} \
            else max_registers
        current = None
        for address, count, key in sorted(items, key=lambda i: i[:2]):
            if (current and address <= current[1] + current[2]
                    and max(current[1] + current[2], address + count)
                    - current[1] <= limit):
                end = max(current[1] + current[2], address + count)
                current[2] = end - current[1]
                current[3].append((key, address - current[1], count))
            else:
                current = [table, address, count,
                    [(key, 0, count)]]
                reads.append(current)
    return [tuple(r) for r in reads]


def naive_utc(value):
    """A datetime or ISO 8601 text as the naive UTC datetime the database
    stores; a time without zone is taken as UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
