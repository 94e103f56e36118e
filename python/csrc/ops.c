/* The Python binding table: one line per operation of the C ABI. */
#include "swiftgrad_ext.h"

/* Release the GIL around calls on at least this many elements. */
#define SG_GIL_THRESHOLD 32768

typedef int (*unary_fn)(sg_tensor *, sg_tensor);
typedef int (*binary_fn)(sg_tensor *, sg_tensor, sg_tensor);
typedef int (*reduce_fn)(sg_tensor *, sg_tensor, const int64_t *, int, int);

static const struct { const char *name; unary_fn fn; const char *doc; } unary_ops[] = {
    {"negative", sg_neg, "Elementwise -x."},
    {"exp", sg_exp, "Elementwise e**x."},
    {"log", sg_log, "Elementwise natural logarithm."},
    {"sin", sg_sin, "Elementwise sine."},
    {"cos", sg_cos, "Elementwise cosine."},
    {"tan", sg_tan, "Elementwise tangent."},
    {"tanh", sg_tanh, "Elementwise hyperbolic tangent."},
    {"sigmoid", sg_sigmoid, "Elementwise logistic sigmoid 1 / (1 + exp(-x))."},
    {"relu", sg_relu, "Elementwise max(x, 0)."},
    {"sqrt", sg_sqrt, "Elementwise square root."},
    {"abs", sg_abs, "Elementwise absolute value."},
    {"sign", sg_sign, "Elementwise sign (-1, 0, 1); zero gradient."},
    {"log1p", sg_log1p, "Elementwise log(1 + x), accurate near 0."},
    {"expm1", sg_expm1, "Elementwise exp(x) - 1, accurate near 0."},
    {"square", sg_square, "Elementwise x * x."},
    {"copy", sg_copy, "A contiguous copy with its own storage (differentiable)."},
    {"softplus", sg_softplus, "Elementwise log(1 + exp(x)), computed without overflow."},
    {"inv", sg_inv, "Inverse of a square matrix (or a batch); raises ValueError when singular."},
    {"det", sg_det, "Determinant of a square matrix (or a batch)."},
    {"cholesky", sg_cholesky, "Lower-triangular L with a = L L^T; raises ValueError unless positive definite."},
};

static const struct { const char *name; binary_fn fn; const char *doc; } binary_ops[] = {
    {"add", sg_add, "Elementwise a + b with broadcasting."},
    {"subtract", sg_sub, "Elementwise a - b with broadcasting."},
    {"multiply", sg_mul, "Elementwise a * b with broadcasting."},
    {"divide", sg_div, "Elementwise a / b (true division) with broadcasting."},
    {"power", sg_pow, "Elementwise a ** b with broadcasting."},
    {"maximum", sg_maximum, "Elementwise maximum; NaN propagates; ties split the gradient."},
    {"minimum", sg_minimum, "Elementwise minimum; NaN propagates; ties split the gradient."},
    {"matmul", sg_matmul, "Matrix product with NumPy semantics (1-D, 2-D, batched)."},
    {"equal", sg_equal, "Elementwise a == b (bool)."},
    {"not_equal", sg_not_equal, "Elementwise a != b (bool)."},
    {"less", sg_less, "Elementwise a < b (bool)."},
    {"less_equal", sg_less_equal, "Elementwise a <= b (bool)."},
    {"greater", sg_greater, "Elementwise a > b (bool)."},
    {"greater_equal", sg_greater_equal, "Elementwise a >= b (bool)."},
    {"dot", sg_dot, "NumPy's dot: products, matmul up to 2-D, sum over a's last and b's second-to-last axis."},
    {"outer", sg_outer, "Outer product of the flattened inputs."},
    {"solve", sg_solve, "Solution x of a x = b (b a vector when 1-D, else matrices)."},
};

static const struct { const char *name; reduce_fn fn; const char *doc; } reduce_ops[] = {
    {"sum", sg_sum, "sum(x, axis=None, keepdims=False)"},
    {"mean", sg_mean, "mean(x, axis=None, keepdims=False)"},
    {"max", sg_max, "max(x, axis=None, keepdims=False); NaN propagates."},
    {"min", sg_min, "min(x, axis=None, keepdims=False); NaN propagates."},
    {"prod", sg_prod, "prod(x, axis=None, keepdims=False)"},
};

#define COUNT(table) ((int)(sizeof(table) / sizeof(table[0])))

static int total_size(sg_tensor a, sg_tensor b) {
  return (int)(sg_tensor_size(a) + (b ? sg_tensor_size(b) : 0) >= SG_GIL_THRESHOLD);
}

/* --- Calls ------------------------------------------------------------------------------ */

static PyObject *call_unary(PyObject *index, PyObject *x) {
  unary_fn fn = unary_ops[PyLong_AsLong(index)].fn;
  sg_arg a;
  if (sg_arg_from(x, &a, unary_ops[PyLong_AsLong(index)].name) < 0) return NULL;
  sg_tensor out;
  int status;
  if (total_size(a.handle, NULL)) {
    Py_BEGIN_ALLOW_THREADS
    status = fn(&out, a.handle);
    Py_END_ALLOW_THREADS
  } else {
    status = fn(&out, a.handle);
  }
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

PyObject *sg_binary_call(binary_fn fn, PyObject *x, PyObject *y) {
  sg_arg a, b;
  if (sg_arg_from(x, &a, "operand") < 0) return NULL;
  if (sg_arg_from(y, &b, "operand") < 0) {
    sg_arg_release(&a);
    /* Unknown operand types give other objects a chance (Python's binary-op protocol). */
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Clear();
      Py_RETURN_NOTIMPLEMENTED;
    }
    return NULL;
  }
  sg_tensor out;
  int status;
  if (total_size(a.handle, b.handle)) {
    Py_BEGIN_ALLOW_THREADS
    status = fn(&out, a.handle, b.handle);
    Py_END_ALLOW_THREADS
  } else {
    status = fn(&out, a.handle, b.handle);
  }
  sg_arg_release(&a);
  sg_arg_release(&b);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *call_binary(PyObject *index, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_Format(PyExc_TypeError, "%s() takes exactly 2 arguments (%zd given)", binary_ops[PyLong_AsLong(index)].name, nargs);
    return NULL;
  }
  return sg_binary_call(binary_ops[PyLong_AsLong(index)].fn, args[0], args[1]);
}

/* axis: None (all), an int, or a tuple of ints. Returns the count, -1 for all, -2 on error. */
static int parse_axes(PyObject *axis, int64_t *axes, const char *what) {
  if (axis == Py_None) return -1;
  int n = sg_int_list(axis, axes, SG_MAX_DIMS, what);
  return n < 0 ? -2 : n;
}

static PyObject *call_reduce(PyObject *index, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "axis", "keepdims", NULL};
  PyObject *x, *axis = Py_None;
  int keepdims = 0;
  const char *name = reduce_ops[PyLong_AsLong(index)].name;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|Op", kwlist, &x, &axis, &keepdims)) return NULL;
  int64_t axes[SG_MAX_DIMS];
  int n = parse_axes(axis, axes, name);
  if (n == -2) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, name) < 0) return NULL;
  sg_tensor out;
  int status = reduce_ops[PyLong_AsLong(index)].fn(&out, a.handle, axes, n, keepdims);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

/* --- Shape operations ------------------------------------------------------------------- */

/* shape given as one tuple/list or as separate ints (x.reshape(2, 3)). */
static int parse_shape(PyObject *args, Py_ssize_t first, int64_t *shape, const char *what) {
  Py_ssize_t n = PyTuple_GET_SIZE(args) - first;
  if (n == 1 && !PyIndex_Check(PyTuple_GET_ITEM(args, first)))
    return sg_int_list(PyTuple_GET_ITEM(args, first), shape, SG_MAX_DIMS, what);
  PyObject *rest = PyTuple_GetSlice(args, first, PyTuple_GET_SIZE(args));
  if (!rest) return -1;
  int count = sg_int_list(rest, shape, SG_MAX_DIMS, what);
  Py_DECREF(rest);
  return count;
}

/* NumPy-style keywords for the positional shape/join functions: returns args with keyword
   arguments placed at their positions (`names[i]` may list aliases as "shape|newshape"). */
static PyObject *merge_keywords(PyObject *args, PyObject *kwargs, const char *const *names, const char *what) {
  Py_ssize_t given = PyTuple_GET_SIZE(args), total = 0;
  while (names[total]) total++;
  if (!kwargs || PyDict_GET_SIZE(kwargs) == 0) return Py_NewRef(args);
  PyObject *slots[8] = {NULL};
  if (total > 8 || given > total) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most %zd arguments (%zd given)", what, total, given);
    return NULL;
  }
  PyObject *key, *value;
  Py_ssize_t pos = 0, last = given - 1;
  while (PyDict_Next(kwargs, &pos, &key, &value)) {
    const char *k = PyUnicode_AsUTF8(key);
    if (!k) return NULL;
    Py_ssize_t at = -1;
    for (Py_ssize_t i = 0; i < total && at < 0; i++) {
      const char *n = names[i];
      size_t len = strlen(k);
      while (*n) {
        const char *bar = strchr(n, '|');
        size_t nlen = bar ? (size_t)(bar - n) : strlen(n);
        if (nlen == len && strncmp(n, k, len) == 0) { at = i; break; }
        n += nlen + (bar ? 1 : 0);
      }
    }
    if (at < 0) {
      PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", what, k);
      return NULL;
    }
    if (at < given || slots[at]) {
      PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", what, k);
      return NULL;
    }
    slots[at] = value;
    if (at > last) last = at;
  }
  PyObject *merged = PyTuple_New(last + 1);
  if (!merged) return NULL;
  for (Py_ssize_t i = 0; i <= last; i++) {
    PyObject *item = i < given ? PyTuple_GET_ITEM(args, i) : slots[i];
    if (!item) {
      Py_DECREF(merged);
      PyErr_Format(PyExc_TypeError, "%s() missing argument '%s'", what, names[i]);
      return NULL;
    }
    PyTuple_SET_ITEM(merged, i, Py_NewRef(item));
  }
  return merged;
}

/* Wraps a positional implementation `impl(self, args)` with keyword support. */
#define WITH_KEYWORDS(name, impl, ...)                                                  \
  static PyObject *name(PyObject *self, PyObject *args, PyObject *kwargs) {             \
    static const char *const names[] = {__VA_ARGS__, NULL};                             \
    PyObject *merged = merge_keywords(args, kwargs, names, #impl + 3);                  \
    if (!merged) return NULL;                                                           \
    PyObject *result = impl(self, merged);                                              \
    Py_DECREF(merged);                                                                  \
    return result;                                                                      \
  }

typedef int (*shape_fn)(sg_tensor *, sg_tensor, const int64_t *, int);

static PyObject *shape_call(PyObject *args, shape_fn fn, const char *what) {
  if (PyTuple_GET_SIZE(args) < 1) {
    PyErr_Format(PyExc_TypeError, "%s() missing the tensor argument", what);
    return NULL;
  }
  int64_t shape[SG_MAX_DIMS];
  int n = PyTuple_GET_SIZE(args) == 1 ? -1 : parse_shape(args, 1, shape, what);
  if (n == -1 && PyErr_Occurred()) return NULL;
  sg_arg a;
  if (sg_arg_from(PyTuple_GET_ITEM(args, 0), &a, what) < 0) return NULL;
  sg_tensor out;
  int status = fn(&out, a.handle, shape, n);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_reshape(PyObject *self, PyObject *args) { return shape_call(args, sg_reshape, "reshape"); }
static PyObject *py_broadcast_to(PyObject *self, PyObject *args) { return shape_call(args, sg_broadcast_to, "broadcast_to"); }
/* transpose(x) reverses; transpose(x, axes) permutes. */
static PyObject *py_transpose(PyObject *self, PyObject *args) {
  if (PyTuple_GET_SIZE(args) == 2 && PyTuple_GET_ITEM(args, 1) == Py_None) args = PyTuple_GetSlice(args, 0, 1);
  else Py_INCREF(args);
  PyObject *r = args ? shape_call(args, sg_transpose, "transpose") : NULL;
  Py_XDECREF(args);
  return r;
}
static PyObject *py_squeeze(PyObject *self, PyObject *args) {
  if (PyTuple_GET_SIZE(args) == 2 && PyTuple_GET_ITEM(args, 1) == Py_None) args = PyTuple_GetSlice(args, 0, 1);
  else Py_INCREF(args);
  PyObject *r = args ? shape_call(args, sg_squeeze, "squeeze") : NULL;
  Py_XDECREF(args);
  return r;
}

static PyObject *py_expand_dims(PyObject *self, PyObject *args) {
  PyObject *x;
  long long axis;
  if (!PyArg_ParseTuple(args, "OL", &x, &axis)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "expand_dims") < 0) return NULL;
  sg_tensor out;
  int status = sg_expand_dims(&out, a.handle, axis);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *join_call(PyObject *args, int (*fn)(sg_tensor *, const sg_tensor *, int, int64_t), const char *what) {
  PyObject *arrays;
  long long axis = 0;
  if (!PyArg_ParseTuple(args, "O|L", &arrays, &axis)) return NULL;
  PyObject *seq = PySequence_Fast(arrays, "expected a sequence of arrays");
  if (!seq) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  sg_arg *items = PyMem_Calloc(n + 1, sizeof(sg_arg));
  sg_tensor *handles = PyMem_Calloc(n + 1, sizeof(sg_tensor));
  PyObject *result = NULL;
  Py_ssize_t made = 0;
  if (!items || !handles) {
    PyErr_NoMemory();
    goto done;
  }
  for (; made < n; made++) {
    if (sg_arg_from(PySequence_Fast_GET_ITEM(seq, made), &items[made], what) < 0) goto done;
    handles[made] = items[made].handle;
  }
  sg_tensor out;
  int status = fn(&out, handles, (int)n, axis);
  result = status ? sg_raise(status) : sg_wrap(out);
done:
  for (Py_ssize_t i = 0; i < made; i++) sg_arg_release(&items[i]);
  PyMem_Free(items);
  PyMem_Free(handles);
  Py_DECREF(seq);
  return result;
}
static PyObject *py_concatenate(PyObject *self, PyObject *args) { return join_call(args, sg_concatenate, "concatenate"); }
static PyObject *py_stack(PyObject *self, PyObject *args) { return join_call(args, sg_stack, "stack"); }

WITH_KEYWORDS(py_reshape_kw, py_reshape, "a", "shape|newshape")
WITH_KEYWORDS(py_broadcast_to_kw, py_broadcast_to, "array", "shape")
WITH_KEYWORDS(py_transpose_kw, py_transpose, "a", "axes")
WITH_KEYWORDS(py_squeeze_kw, py_squeeze, "a", "axis")
WITH_KEYWORDS(py_expand_dims_kw, py_expand_dims, "a", "axis")
WITH_KEYWORDS(py_concatenate_kw, py_concatenate, "arrays", "axis")
WITH_KEYWORDS(py_stack_kw, py_stack, "arrays", "axis")

static PyObject *py_where(PyObject *self, PyObject *args) {
  PyObject *c, *x, *y;
  if (!PyArg_ParseTuple(args, "OOO", &c, &x, &y)) return NULL;
  sg_arg ac, ax, ay;
  if (sg_arg_from(c, &ac, "where") < 0) return NULL;
  if (sg_arg_from(x, &ax, "where") < 0) {
    sg_arg_release(&ac);
    return NULL;
  }
  if (sg_arg_from(y, &ay, "where") < 0) {
    sg_arg_release(&ac);
    sg_arg_release(&ax);
    return NULL;
  }
  sg_tensor out;
  int status = sg_where(&out, ac.handle, ax.handle, ay.handle);
  sg_arg_release(&ac);
  sg_arg_release(&ax);
  sg_arg_release(&ay);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_cast(PyObject *self, PyObject *args) {
  PyObject *x;
  int dtype;
  if (!PyArg_ParseTuple(args, "Oi", &x, &dtype)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "astype") < 0) return NULL;
  sg_tensor out;
  int status = sg_cast(&out, a.handle, dtype);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

/* --- Creation --------------------------------------------------------------------------- */

static PyObject *py_full(PyObject *self, PyObject *args) {
  PyObject *shape_obj;
  double value;
  int dtype;
  if (!PyArg_ParseTuple(args, "Odi", &shape_obj, &value, &dtype)) return NULL;
  int64_t shape[SG_MAX_DIMS];
  int n = sg_int_list(shape_obj, shape, SG_MAX_DIMS, "shape");
  if (n < 0) return NULL;
  sg_tensor out;
  int status = sg_full(&out, n, shape, value, dtype);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_arange(PyObject *self, PyObject *args) {
  double start, stop, step;
  int dtype;
  if (!PyArg_ParseTuple(args, "dddi", &start, &stop, &step, &dtype)) return NULL;
  sg_tensor out;
  int status = sg_arange(&out, start, stop, step, dtype);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_linspace(PyObject *self, PyObject *args) {
  double start, stop;
  long long num;
  int dtype;
  if (!PyArg_ParseTuple(args, "ddLi", &start, &stop, &num, &dtype)) return NULL;
  sg_tensor out;
  int status = sg_linspace(&out, start, stop, num, dtype);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_eye(PyObject *self, PyObject *args) {
  long long n, m, k;
  int dtype;
  if (!PyArg_ParseTuple(args, "LLLi", &n, &m, &k, &dtype)) return NULL;
  sg_tensor out;
  int status = sg_eye(&out, n, m, k, dtype);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_seed(PyObject *self, PyObject *arg) {
  unsigned long long seed = PyLong_AsUnsignedLongLongMask(arg);
  if (PyErr_Occurred()) return NULL;
  sg_random_seed(seed);
  Py_RETURN_NONE;
}

static PyObject *py_random_get_state(PyObject *self, PyObject *unused) {
  uint64_t words[4];
  sg_random_get_state(words);
  return Py_BuildValue("(KKKK)", (unsigned long long)words[0], (unsigned long long)words[1],
                       (unsigned long long)words[2], (unsigned long long)words[3]);
}

static PyObject *py_random_set_state(PyObject *self, PyObject *arg) {
  PyObject *seq = PySequence_Fast(arg, "random_set_state: expected a sequence of four integers");
  if (!seq) return NULL;
  if (PySequence_Fast_GET_SIZE(seq) != 4) {
    Py_DECREF(seq);
    return PyErr_Format(PyExc_ValueError, "random_set_state: expected four integers, got %zd",
                        PySequence_Fast_GET_SIZE(arg));
  }
  uint64_t words[4];
  for (int i = 0; i < 4; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    if (!PyLong_Check(item)) {
      Py_DECREF(seq);
      return PyErr_Format(PyExc_TypeError, "random_set_state: word %d is %.100s, not an int", i, Py_TYPE(item)->tp_name);
    }
    words[i] = PyLong_AsUnsignedLongLong(item);
    if (PyErr_Occurred()) {
      Py_DECREF(seq);
      return NULL;  /* OverflowError: negative or wider than 64 bits */
    }
  }
  Py_DECREF(seq);
  int status = sg_random_set_state(words);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *random_call(PyObject *args, int (*fn)(sg_tensor *, int, const int64_t *, double, double, int)) {
  PyObject *shape_obj;
  double p1, p2;
  int dtype;
  if (!PyArg_ParseTuple(args, "Oddi", &shape_obj, &p1, &p2, &dtype)) return NULL;
  int64_t shape[SG_MAX_DIMS];
  int n = sg_int_list(shape_obj, shape, SG_MAX_DIMS, "shape");
  if (n < 0) return NULL;
  sg_tensor out;
  int status = fn(&out, n, shape, p1, p2, dtype);
  return status ? sg_raise(status) : sg_wrap(out);
}
static PyObject *py_uniform(PyObject *self, PyObject *args) { return random_call(args, sg_random_uniform); }
static PyObject *py_normal(PyObject *self, PyObject *args) { return random_call(args, sg_random_normal); }

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
    int status = sg_full(&arg->handle, 1, &zero, 0.0, SG_INT64);
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
    status = arrays.count ? sg_index_advanced(&out, a, items, n, arrays.handles, arrays.count) : sg_index(&out, a, items, n);
  }
  sg_index_release(&arrays);
  if (n < 0) return NULL;
  return status ? sg_raise(status) : sg_wrap(out);
}

/* --- Registration ----------------------------------------------------------------------- */

static PyMethodDef fixed_methods[] = {
    {"reshape", (PyCFunction)(void (*)(void))py_reshape_kw, METH_VARARGS | METH_KEYWORDS, "reshape(x, shape): same elements, new shape (-1 inferred)."},
    {"broadcast_to", (PyCFunction)(void (*)(void))py_broadcast_to_kw, METH_VARARGS | METH_KEYWORDS, "broadcast_to(x, shape): a broadcast view."},
    {"transpose", (PyCFunction)(void (*)(void))py_transpose_kw, METH_VARARGS | METH_KEYWORDS, "transpose(x, axes=None): permute dimensions (reverse by default)."},
    {"squeeze", (PyCFunction)(void (*)(void))py_squeeze_kw, METH_VARARGS | METH_KEYWORDS, "squeeze(x, axis=None): drop size-1 dimensions."},
    {"expand_dims", (PyCFunction)(void (*)(void))py_expand_dims_kw, METH_VARARGS | METH_KEYWORDS, "expand_dims(x, axis): insert a size-1 dimension."},
    {"concatenate", (PyCFunction)(void (*)(void))py_concatenate_kw, METH_VARARGS | METH_KEYWORDS, "concatenate(arrays, axis=0)"},
    {"stack", (PyCFunction)(void (*)(void))py_stack_kw, METH_VARARGS | METH_KEYWORDS, "stack(arrays, axis=0)"},
    {"where", py_where, METH_VARARGS, "where(condition, x, y): elementwise choice with broadcasting."},
    {"cast", py_cast, METH_VARARGS, "cast(x, dtype_code): x converted to another dtype (differentiable between floats)."},
    {"full", py_full, METH_VARARGS, "full(shape, value, dtype_code): a new tensor filled with value."},
    {"arange", py_arange, METH_VARARGS, "arange(start, stop, step, dtype_code): values in [start, stop) by step."},
    {"linspace", py_linspace, METH_VARARGS, "linspace(start, stop, num, dtype_code): num values, both ends included."},
    {"eye", py_eye, METH_VARARGS, "eye(n, m, k, dtype_code): ones on diagonal k of an n x m matrix."},
    {"seed", py_seed, METH_O, "seed(n): seeds the global random generator."},
    {"random_get_state", py_random_get_state, METH_NOARGS, "The generator's state: a tuple of four 64-bit ints."},
    {"random_set_state", py_random_set_state, METH_O, "Restores a state from random_get_state()."},
    {"uniform", py_uniform, METH_VARARGS, "uniform(shape, low, high, dtype_code): samples from U[low, high)."},
    {"normal", py_normal, METH_VARARGS, "normal(shape, mean, std, dtype_code): normal samples."},
    {NULL}};

static int add_table_function(PyObject *module, PyMethodDef *def, int index) {
  PyObject *self = PyLong_FromLong(index);
  if (!self) return -1;
  PyObject *fn = PyCFunction_NewEx(def, self, NULL);
  Py_DECREF(self);
  if (!fn) return -1;
  return PyModule_AddObject(module, def->ml_name, fn);
}

int sg_register_ops(PyObject *module) {
  static PyMethodDef defs[COUNT(unary_ops) + COUNT(binary_ops) + COUNT(reduce_ops)];
  int k = 0;
  for (int i = 0; i < COUNT(unary_ops); i++, k++) {
    defs[k] = (PyMethodDef){unary_ops[i].name, (PyCFunction)call_unary, METH_O, unary_ops[i].doc};
    if (add_table_function(module, &defs[k], i) < 0) return -1;
  }
  for (int i = 0; i < COUNT(binary_ops); i++, k++) {
    defs[k] = (PyMethodDef){binary_ops[i].name, (PyCFunction)(void (*)(void))call_binary, METH_FASTCALL, binary_ops[i].doc};
    if (add_table_function(module, &defs[k], i) < 0) return -1;
  }
  for (int i = 0; i < COUNT(reduce_ops); i++, k++) {
    defs[k] = (PyMethodDef){reduce_ops[i].name, (PyCFunction)(void (*)(void))call_reduce, METH_VARARGS | METH_KEYWORDS,
                            reduce_ops[i].doc};
    if (add_table_function(module, &defs[k], i) < 0) return -1;
  }
  return PyModule_AddFunctions(module, fixed_methods);
}
