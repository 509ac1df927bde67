"""The fast CSV/Parquet text path shares strings across tables (interned distinct values: the same
patient id read from patients and from lesions is one object) and converts the parsed Arrow columns one
at a time, emptying the list it is given (each column freed once converted; issue 17)."""

import pyarrow as pa

from oncoseries.io.fast_read import distinct_as_objects, object_body, parse_fast, read_fast


def test_the_same_text_in_two_columns_is_one_object():
    a = distinct_as_objects(pa.array(["".join(["P", "0001"]), None, " x "]))
    b = distinct_as_objects(pa.chunked_array([pa.array(["y", "P0001"]), pa.array(["P0001"])]))
    assert list(a) == ["P0001", None, "x"] and list(b) == ["y", "P0001", "P0001"]
    assert a[0] is b[1] is b[2]


def test_object_body_takes_the_columns_out_of_the_list():
    data = "patient_id;x\nP1; 2 \nP2;NA\n".encode()
    header, columns, sep = parse_fast(data)
    body = object_body(columns)
    assert columns == [None, None]
    assert (header, sep) == (["patient_id", "x"], ";")
    h2, body2, _ = read_fast(data)
    assert body.equals(body2) and body[0].tolist() == ["P1", "P2"]
