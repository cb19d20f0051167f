"""The Parquet bytes of a large frame made on two cores, equal to pyarrow's single writer.

pyarrow's Parquet writer encodes a row group's columns one after the other on one thread
(pyarrow does not expose the C++ writer's column threads). A file of one row group is the
magic ``PAR1``, the column chunks in column order, then the footer (a Thrift structure) that
gives each chunk's offsets and statistics. Each column chunk's bytes depend on that column
only, so the columns are split in two groups written by two threads, the second group's
bytes appended to the first's, and the footer rebuilt: the second group's chunk offsets
shifted, the row group's columns and sizes merged, and the schema, key-value metadata and
column orders taken from the file pyarrow writes for the frame's first zero rows (the same
schema). Anything unexpected (several row groups, page indexes, bloom filters, an encoding
this reader does not know) gives ``None``: the caller then uses the single writer.
``tests/test_clean_parquet.py`` compares the bytes with ``DataFrame.to_parquet``.
"""

from __future__ import annotations

import json
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["parquet_bytes_two_cores"]

_MAGIC = b"PAR1"

#: Thrift compact types: booleans (1 true, 2 false) carry their value in the field header
_BOOL_TRUE, _BOOL_FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, \
    _STRUCT = range(1, 13)


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _read_value(buf, i, ctype):
    """``(value, next offset)`` of a Thrift compact value of type ``ctype`` at ``buf[i]``."""
    if ctype == _BYTE:
        return buf[i], i + 1
    if ctype in (_I16, _I32, _I64):
        n, i = _varint(buf, i)
        return (n >> 1) ^ -(n & 1), i
    if ctype == _DOUBLE:
        return bytes(buf[i:i + 8]), i + 8
    if ctype == _BINARY:
        n, i = _varint(buf, i)
        return bytes(buf[i:i + n]), i + n
    if ctype in (_LIST, _SET):
        head = buf[i]
        size, etype, i = head >> 4, head & 0x0F, i + 1
        if size == 15:
            size, i = _varint(buf, i)
        if etype in (_BOOL_TRUE, _BOOL_FALSE):
            raise ValueError("a list of booleans")
        items = []
        for _ in range(size):
            v, i = _read_value(buf, i, etype)
            items.append(v)
        return (etype, items), i
    if ctype == _STRUCT:
        return _read_struct(buf, i)
    raise ValueError(f"Thrift compact type {ctype}")


def _read_struct(buf, i):
    """``([[field id, type, value], ...], next offset)`` of a Thrift compact struct."""
    fields, last = [], 0
    while True:
        head = buf[i]
        i += 1
        if head == 0:
            return fields, i
        ctype, delta = head & 0x0F, head >> 4
        if delta:
            fid = last + delta
        else:
            n, i = _varint(buf, i)
            fid = (n >> 1) ^ -(n & 1)
        if ctype in (_BOOL_TRUE, _BOOL_FALSE):
            value = ctype == _BOOL_TRUE
        else:
            value, i = _read_value(buf, i, ctype)
        fields.append([fid, ctype, value])
        last = fid


def _put_varint(out, n):
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _zigzag(n):
    return 2 * n if n >= 0 else -2 * n - 1


def _write_value(out, ctype, value):
    if ctype == _BYTE:
        out.append(value & 0xFF)
    elif ctype in (_I16, _I32, _I64):
        _put_varint(out, _zigzag(value))
    elif ctype == _DOUBLE:
        out += value
    elif ctype == _BINARY:
        _put_varint(out, len(value))
        out += value
    elif ctype in (_LIST, _SET):
        etype, items = value
        if len(items) < 15:
            out.append(len(items) << 4 | etype)
        else:
            out.append(0xF0 | etype)
            _put_varint(out, len(items))
        for v in items:
            _write_value(out, etype, v)
    elif ctype == _STRUCT:
        _write_struct(out, value)
    else:
        raise ValueError(f"Thrift compact type {ctype}")


def _write_struct(out, fields):
    last = 0
    for fid, ctype, value in fields:
        delta = fid - last
        if ctype in (_BOOL_TRUE, _BOOL_FALSE):
            ctype = _BOOL_TRUE if value else _BOOL_FALSE
        if 0 < delta <= 15:
            out.append(delta << 4 | ctype)
        else:
            out.append(ctype)
            _put_varint(out, _zigzag(fid))
        if ctype not in (_BOOL_TRUE, _BOOL_FALSE):
            _write_value(out, ctype, value)
        last = fid
    out.append(0)


def _encoded(fields) -> bytes:
    out = bytearray()
    _write_struct(out, fields)
    return bytes(out)


def _split_file(data: bytes):
    """``(column chunks' bytes, footer fields)`` of a Parquet file; the footer is checked to
    encode back to the same bytes."""
    if data[:4] != _MAGIC or data[-4:] != _MAGIC:
        raise ValueError("not a Parquet file")
    (n,) = struct.unpack("<I", data[-8:-4])
    start = len(data) - 8 - n
    footer = memoryview(data)[start:len(data) - 8]
    fields, end = _read_struct(footer, 0)
    if end != n or _encoded(fields) != footer:
        raise ValueError("a footer this codec does not reproduce")
    return memoryview(data)[4:start], fields


def _field(fields, fid):
    for f in fields:
        if f[0] == fid:
            return f
    return None


#: ColumnChunk fields: 2 file_offset, 3 meta_data; ColumnMetaData fields holding file offsets:
#: 9 data_page_offset, 10 index_page_offset, 11 dictionary_page_offset
_CHUNK_FIELDS = {1, 2, 3}
_META_OFFSETS = {9, 10, 11}
_META_NOT_HANDLED = {14, 15}          # bloom filter offset and length


def _shifted_columns(row_group, delta):
    """The ColumnChunk structs of ``row_group`` with their file offsets moved by ``delta``."""
    columns = _field(row_group, 1)[2][1]
    for chunk in columns:
        if {f[0] for f in chunk} - _CHUNK_FIELDS:
            raise ValueError("page indexes or encryption")
        for f in chunk:
            if f[0] == 2 and f[2]:      # (pyarrow writes 0 here: deprecated)
                f[2] += delta
            elif f[0] == 3:
                for g in f[2]:
                    if g[0] in _META_NOT_HANDLED:
                        raise ValueError("bloom filters")
                    if g[0] in _META_OFFSETS:
                        g[2] += delta
    return columns


def _merged_footer(schema_fields, parts):
    """The footer of the whole file: ``schema_fields`` (the zero-row file's footer) with the
    parts' single row groups joined into one. ``parts``: ``(footer fields, offset of the
    part's first chunk in the whole file minus 4)`` in column order."""
    groups = []
    for fields, delta in parts:
        row_groups = _field(fields, 4)[2][1]
        if len(row_groups) != 1:
            raise ValueError("not one row group")
        groups.append((row_groups[0], _shifted_columns(row_groups[0], delta)))
    merged = [list(f) for f in groups[0][0]]
    for f in merged:
        if f[0] == 1:
            f[2] = (_STRUCT, [c for _, cols in groups for c in cols])
        elif f[0] in (2, 6):       # total_byte_size, total_compressed_size
            f[2] = sum(_field(g, f[0])[2] for g, _ in groups)
        elif f[0] not in (3, 5, 7):   # num_rows, file_offset (the first chunk's), ordinal
            raise ValueError(f"row group field {f[0]}")
    whole = [list(f) for f in schema_fields]
    for f in whole:
        if f[0] == 3:
            f[2] = _field(parts[0][0], 3)[2]
        elif f[0] == 4:
            f[2] = (_STRUCT, [merged])
    return whole


def _arrow_table(data):
    """The table ``DataFrame.to_parquet(index=False, engine="pyarrow")`` writes (pandas'
    ``PyArrowImpl.write``: its ``attrs`` as ``PANDAS_ATTRS`` metadata)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = pa.Table.from_pandas(data, preserve_index=False)
    if data.attrs:
        table = table.replace_schema_metadata(
            {**table.schema.metadata, "PANDAS_ATTRS": json.dumps(data.attrs)})
    return table


def _written(table, compression) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=compression)
    return sink.getvalue().to_pybytes()


def _split_point(table) -> int:
    """The number of columns of the first group: the split nearest to half of the table's
    bytes (at least one column each side)."""
    sizes = [c.nbytes for c in table.columns]
    total, acc, best = sum(sizes), 0, (None, 1)
    for k in range(1, len(sizes)):
        acc += sizes[k - 1]
        if best[0] is None or abs(2 * acc - total) < best[0]:
            best = (abs(2 * acc - total), k)
    return best[1]


def parquet_bytes_two_cores(data, compression="snappy"):
    """The bytes of ``data.to_parquet(..., index=False, engine="pyarrow", compression=...)``
    made by two writer threads, or None when this file's layout is not the simple one (the
    caller then writes it with pyarrow alone)."""
    table = _arrow_table(data)
    k = _split_point(table)
    if table.num_columns < 2 or table.num_rows == 0 or not 0 < k < table.num_columns:
        return None
    names = table.column_names
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(_written, table.select(names[:k]), compression)
        second = _written(table.select(names[k:]), compression)
        head = _written(table.slice(0, 0), compression)
        first = first.result()
    del table
    try:
        body1, fields1 = _split_file(first)
        body2, fields2 = _split_file(second)
        _, head_fields = _split_file(head)
        footer = _encoded(_merged_footer(head_fields, [(fields1, 0), (fields2, len(body1))]))
    except (ValueError, IndexError, TypeError, AttributeError):
        return None
    return b"".join([_MAGIC, body1, body2, footer, struct.pack("<I", len(footer)), _MAGIC])
