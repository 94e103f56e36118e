/* Indexing: Python index expressions encoded for the core (sg_index, sg_index_advanced). */
#include "swiftgrad_ext.h"

/* --- Indexing --------------------------------------------------------------------------- */

/* One index item into 4 int64 (see sg_index); an array-like (list, ndarray, Tensor, bool)
   becomes kind 4 with its tensor appended to `arrays` (owned entries are released by
   sg_index_release). */
static int parse_index_item(PyObject *item, int64_t *out, sg_index_arrays *arrays) {
  if (item == Py_None) {
    out[0] = 2;
    return 0;
  }
  if (item == Py_Ellipsis) {
    out[0] = 3;
    return 0;
  }
  if (PySlice_Check(item)) {
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(item, &start, &stop, &step) < 0) return -1;
    /* The core reads INT64_MIN as an omitted bound. An omitted start is never INT64_MIN here (0 or
     * INT64_MAX), but an explicit start of -2**63 or below is: any start <= -size means the same. */
    if (start == PY_SSIZE_T_MIN) start = PY_SSIZE_T_MIN + 1;
    out[0] = 1, out[1] = start, out[2] = stop, out[3] = step;
    return 0;
  }
  if (PyIndex_Check(item) && !PyBool_Check(item) && !sg_is_tensor(item)) {
    Py_ssize_t v = PyNumber_AsSsize_t(item, PyExc_IndexError);
    if (v != -1 || !PyErr_Occurred()) {
      out[0] = 0, out[1] = v;
      return 0;
    }
    /* An ndarray with more than one element has __index__ but is an index array. */
    if (!PyErr_ExceptionMatches(PyExc_TypeError) || !PyObject_CheckBuffer(item)) return -1;
    PyErr_Clear();
  }
  if (PyTuple_Check(item) || PyUnicode_Check(item) || PyFloat_Check(item) || item == Py_NotImplemented) {
    PyErr_Format(PyExc_IndexError,
                 "only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are valid "
                 "indices; got %.100s",
                 Py_TYPE(item)->tp_name);
    return -1;
  }
  if (arrays->count >= SG_MAX_DIMS) {
    PyErr_SetString(PyExc_IndexError, "too many index arrays");
    return -1;
  }
  sg_arg *arg = &arrays->args[arrays->count];
  if (PyList_Check(item) && PyList_GET_SIZE(item) == 0) {
    /* x[[]] selects nothing (NumPy reads an empty list as integers). */
    int64_t zero = 0;
    int status = sg_full_tensor(&arg->handle, 1, &zero, 0.0, SG_INT64);
    if (status) return sg_raise_int(status);
    arg->owned = 1;
  } else if (sg_arg_from(item, arg, "index") < 0) {
    return -1;
  }
  arrays->handles[arrays->count] = arg->handle;
  out[0] = 4, out[1] = arrays->count++;
  return 0;
}

int sg_parse_index(PyObject *key, int64_t *items, sg_index_arrays *arrays) {
  arrays->count = 0;
  if (!PyTuple_Check(key)) return parse_index_item(key, items, arrays) < 0 ? -1 : 1;
  int n = (int)PyTuple_GET_SIZE(key);
  if (n > SG_MAX_DIMS) {
    PyErr_SetString(PyExc_IndexError, "too many indices");
    return -1;
  }
  for (int i = 0; i < n; i++)
    if (parse_index_item(PyTuple_GET_ITEM(key, i), items + 4 * i, arrays) < 0) return -1;
  return n;
}

void sg_index_release(sg_index_arrays *arrays) {
  for (int i = 0; i < arrays->count; i++) sg_arg_release(&arrays->args[i]);
  arrays->count = 0;
}

PyObject *sg_index_call(PyObject *self, PyObject *key) {
  int64_t items[4 * SG_MAX_DIMS];
  sg_index_arrays arrays = {.count = 0};
  int n = sg_parse_index(key, items, &arrays);
  sg_tensor out;
  int status = 0;
  if (n >= 0) {
    sg_tensor a = ((TensorObject *)self)->handle;
    status =
        arrays.count ? sg_index_advanced(&out, a, items, n, arrays.handles, arrays.count) : sg_index(&out, a, items, n);
  }
  sg_index_release(&arrays);
  if (n < 0) return NULL;
  return status ? sg_raise(status) : sg_wrap(out);
}
