/* Bindings for the shape and math operators. Arguments are only
 * converted here; every check and all the math are in Swift (Sources/SwiftGradC/OpsShapeMath.swift). */
#include "swiftgrad_ext.h"

typedef int (*unary_fn)(sg_tensor *, sg_tensor);
typedef int (*binary_fn)(sg_tensor *, sg_tensor, sg_tensor);

static PyObject *finish(int status, sg_tensor out) { return status ? sg_raise(status) : sg_wrap(out); }

static PyObject *unary(PyObject *x, unary_fn fn, const char *name) {
  sg_arg a;
  if (sg_arg_from(x, &a, name) < 0) return NULL;
  sg_tensor out;
  int status = fn(&out, a.handle);
  sg_arg_release(&a);
  return finish(status, out);
}

static PyObject *binary(PyObject *args, binary_fn fn, const char *name) {
  PyObject *x, *y;
  if (!PyArg_ParseTuple(args, "OO", &x, &y)) return NULL;
  sg_arg a, b;
  if (sg_arg_from(x, &a, name) < 0) return NULL;
  if (sg_arg_from(y, &b, name) < 0) {
    sg_arg_release(&a);
    return NULL;
  }
  sg_tensor out;
  int status = fn(&out, a.handle, b.handle);
  sg_arg_release(&a);
  sg_arg_release(&b);
  return finish(status, out);
}

/* axis None -> has_axis 0; an int otherwise. Returns -1 on error. */
static int optional_axis(PyObject *axis, long long *value, int *has_axis) {
  *has_axis = axis != Py_None;
  *value = 0;
  if (!*has_axis) return 0;
  *value = PyLong_AsLongLong(axis);
  return *value == -1 && PyErr_Occurred() ? -1 : 0;
}

/* One tensor argument plus a Swift call taking its handle. */
#define WITH_TENSOR(obj, name, call)          \
  sg_arg a;                                   \
  if (sg_arg_from(obj, &a, name) < 0) return NULL; \
  sg_tensor out;                              \
  int status = call;                          \
  sg_arg_release(&a);                         \
  return finish(status, out)

static PyObject *py_floor(PyObject *self, PyObject *x) { return unary(x, sg_floor, "floor"); }
static PyObject *py_ceil(PyObject *self, PyObject *x) { return unary(x, sg_ceil, "ceil"); }
static PyObject *py_erf(PyObject *self, PyObject *x) { return unary(x, sg_erf, "erf"); }
static PyObject *py_sinh(PyObject *self, PyObject *x) { return unary(x, sg_sinh, "sinh"); }
static PyObject *py_cosh(PyObject *self, PyObject *x) { return unary(x, sg_cosh, "cosh"); }
static PyObject *py_arcsin(PyObject *self, PyObject *x) { return unary(x, sg_arcsin, "arcsin"); }
static PyObject *py_arccos(PyObject *self, PyObject *x) { return unary(x, sg_arccos, "arccos"); }
static PyObject *py_arctan(PyObject *self, PyObject *x) { return unary(x, sg_arctan, "arctan"); }
static PyObject *py_log_sigmoid(PyObject *self, PyObject *x) { return unary(x, sg_log_sigmoid, "log_sigmoid"); }
static PyObject *py_ravel(PyObject *self, PyObject *x) { return unary(x, sg_ravel, "ravel"); }
static PyObject *py_flatten(PyObject *self, PyObject *x) { return unary(x, sg_flatten, "flatten"); }
static PyObject *py_logaddexp(PyObject *self, PyObject *args) { return binary(args, sg_logaddexp, "logaddexp"); }
static PyObject *py_hypot(PyObject *self, PyObject *args) { return binary(args, sg_hypot, "hypot"); }
static PyObject *py_arctan2(PyObject *self, PyObject *args) { return binary(args, sg_arctan2, "arctan2"); }

static PyObject *py_round(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "decimals", NULL};
  PyObject *x;
  long long decimals = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|L", kwlist, &x, &decimals)) return NULL;
  WITH_TENSOR(x, "round", sg_round(&out, a.handle, decimals));
}

static PyObject *py_gelu(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"x", "approximate", NULL};
  PyObject *x;
  const char *approximate = "none";
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|s", kwlist, &x, &approximate)) return NULL;
  int tanh_form = strcmp(approximate, "tanh") == 0;
  if (!tanh_form && strcmp(approximate, "none") != 0) {
    PyErr_Format(PyExc_ValueError, "gelu: approximate must be 'none' or 'tanh', got '%s'", approximate);
    return NULL;
  }
  WITH_TENSOR(x, "gelu", sg_gelu(&out, a.handle, tanh_form));
}

static PyObject *scan_call(PyObject *args, PyObject *kwargs, int (*fn)(sg_tensor *, sg_tensor, int64_t, int), const char *name) {
  static char *kwlist[] = {"a", "axis", NULL};
  PyObject *x, *axis = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O", kwlist, &x, &axis)) return NULL;
  long long ax;
  int has_axis;
  if (optional_axis(axis, &ax, &has_axis) < 0) return NULL;
  WITH_TENSOR(x, name, fn(&out, a.handle, ax, has_axis));
}
static PyObject *py_cumsum(PyObject *self, PyObject *args, PyObject *kwargs) { return scan_call(args, kwargs, sg_cumsum, "cumsum"); }
static PyObject *py_cumprod(PyObject *self, PyObject *args, PyObject *kwargs) { return scan_call(args, kwargs, sg_cumprod, "cumprod"); }

static PyObject *arg_call(PyObject *args, PyObject *kwargs, int is_max) {
  static char *kwlist[] = {"a", "axis", "keepdims", NULL};
  PyObject *x, *axis = Py_None;
  int keep = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O$p", kwlist, &x, &axis, &keep)) return NULL;
  long long ax;
  int has_axis;
  if (optional_axis(axis, &ax, &has_axis) < 0) return NULL;
  WITH_TENSOR(x, is_max ? "argmax" : "argmin", sg_argextremum(&out, a.handle, ax, has_axis, keep, is_max));
}
static PyObject *py_argmax(PyObject *self, PyObject *args, PyObject *kwargs) { return arg_call(args, kwargs, 1); }
static PyObject *py_argmin(PyObject *self, PyObject *args, PyObject *kwargs) { return arg_call(args, kwargs, 0); }

static PyObject *sort_call(PyObject *args, PyObject *kwargs, int values) {
  static char *kwlist[] = {"a", "axis", "descending", NULL};
  PyObject *x, *axis = NULL;
  int descending = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O$p", kwlist, &x, &axis, &descending)) return NULL;
  long long ax = -1;
  int has_axis = 1;
  if (axis && optional_axis(axis, &ax, &has_axis) < 0) return NULL;
  WITH_TENSOR(x, values ? "sort" : "argsort", sg_sort(&out, a.handle, ax, has_axis, descending, values));
}
static PyObject *py_sort(PyObject *self, PyObject *args, PyObject *kwargs) { return sort_call(args, kwargs, 1); }
static PyObject *py_argsort(PyObject *self, PyObject *args, PyObject *kwargs) { return sort_call(args, kwargs, 0); }

static PyObject *py_topk(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"x", "k", "axis", "largest", NULL};
  PyObject *x;
  long long k, axis = -1;
  int largest = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OL|Lp", kwlist, &x, &k, &axis, &largest)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "topk") < 0) return NULL;
  sg_tensor values, indices;
  int status = sg_topk(&values, &indices, a.handle, k, axis, largest);
  sg_arg_release(&a);
  if (status) return sg_raise(status);
  PyObject *v = sg_wrap(values), *i = sg_wrap(indices);
  if (!v || !i) {
    Py_XDECREF(v);
    Py_XDECREF(i);
    return NULL;
  }
  return Py_BuildValue("(NN)", v, i);
}

static PyObject *py_flip(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"m", "axis", NULL};
  PyObject *x, *axis = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O", kwlist, &x, &axis)) return NULL;
  int64_t axes[SG_MAX_DIMS];
  int n = -1;
  if (axis != Py_None && (n = sg_int_list(axis, axes, SG_MAX_DIMS, "flip: axis")) < 0) return NULL;
  WITH_TENSOR(x, "flip", sg_flip(&out, a.handle, axes, n));
}

static PyObject *py_roll(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "shift", "axis", NULL};
  PyObject *x, *shift, *axis = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O", kwlist, &x, &shift, &axis)) return NULL;
  int64_t shifts[SG_MAX_DIMS], axes[SG_MAX_DIMS];
  int ns = sg_int_list(shift, shifts, SG_MAX_DIMS, "roll: shift");
  if (ns < 0) return NULL;
  int na = -1;
  if (axis != Py_None && (na = sg_int_list(axis, axes, SG_MAX_DIMS, "roll: axis")) < 0) return NULL;
  WITH_TENSOR(x, "roll", sg_roll(&out, a.handle, shifts, ns, axes, na));
}

static PyObject *py_moveaxis(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "source", "destination", NULL};
  PyObject *x, *src, *dst;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO", kwlist, &x, &src, &dst)) return NULL;
  int64_t s[SG_MAX_DIMS], d[SG_MAX_DIMS];
  int ns = sg_int_list(src, s, SG_MAX_DIMS, "moveaxis: source");
  if (ns < 0) return NULL;
  int nd = sg_int_list(dst, d, SG_MAX_DIMS, "moveaxis: destination");
  if (nd < 0) return NULL;
  WITH_TENSOR(x, "moveaxis", sg_moveaxis(&out, a.handle, s, ns, d, nd));
}

static PyObject *py_swapaxes(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "axis1", "axis2", NULL};
  PyObject *x;
  long long a1, a2;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLL", kwlist, &x, &a1, &a2)) return NULL;
  WITH_TENSOR(x, "swapaxes", sg_swapaxes(&out, a.handle, a1, a2));
}

static PyObject *py_tile(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"A", "reps", NULL};
  PyObject *x, *reps_obj;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", kwlist, &x, &reps_obj)) return NULL;
  int64_t reps[SG_MAX_DIMS];
  int n = sg_int_list(reps_obj, reps, SG_MAX_DIMS, "tile: reps");
  if (n < 0) return NULL;
  WITH_TENSOR(x, "tile", sg_tile(&out, a.handle, reps, n));
}

/* A second tensor-like argument (repeats, pad_width) converted like any operand. */
static PyObject *with_two(PyObject *x, PyObject *y, const char *name, int (*call)(sg_tensor *, sg_tensor, sg_tensor, void *), void *extra) {
  sg_arg a, b;
  if (sg_arg_from(x, &a, name) < 0) return NULL;
  if (sg_arg_from(y, &b, name) < 0) {
    sg_arg_release(&a);
    return NULL;
  }
  sg_tensor out;
  int status = call(&out, a.handle, b.handle, extra);
  sg_arg_release(&a);
  sg_arg_release(&b);
  return finish(status, out);
}

typedef struct { long long axis; int has_axis; } repeat_extra;
static int call_repeat(sg_tensor *out, sg_tensor x, sg_tensor r, void *extra) {
  repeat_extra *e = extra;
  return sg_repeat(out, x, r, e->axis, e->has_axis);
}
static PyObject *py_repeat(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "repeats", "axis", NULL};
  PyObject *x, *repeats, *axis = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O", kwlist, &x, &repeats, &axis)) return NULL;
  repeat_extra e;
  if (optional_axis(axis, &e.axis, &e.has_axis) < 0) return NULL;
  return with_two(x, repeats, "repeat", call_repeat, &e);
}

typedef struct { const char *mode; double value; } pad_extra;
static int call_pad(sg_tensor *out, sg_tensor x, sg_tensor widths, void *extra) {
  pad_extra *e = extra;
  return sg_pad(out, x, widths, e->mode, e->value);
}
static PyObject *py_pad(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"array", "pad_width", "mode", "constant_values", NULL};
  PyObject *x, *widths;
  pad_extra e = {"constant", 0.0};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|sd", kwlist, &x, &widths, &e.mode, &e.value)) return NULL;
  return with_two(x, widths, "pad", call_pad, &e);
}

static PyObject *k_call(PyObject *args, PyObject *kwargs, int (*fn)(sg_tensor *, sg_tensor, int64_t), const char *name, char *first) {
  char *kwlist[] = {first, "k", NULL};
  PyObject *x;
  long long k = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|L", kwlist, &x, &k)) return NULL;
  WITH_TENSOR(x, name, fn(&out, a.handle, k));
}
static PyObject *py_tril(PyObject *self, PyObject *args, PyObject *kwargs) { return k_call(args, kwargs, sg_tril, "tril", "m"); }
static PyObject *py_triu(PyObject *self, PyObject *args, PyObject *kwargs) { return k_call(args, kwargs, sg_triu, "triu", "m"); }
static PyObject *py_diag(PyObject *self, PyObject *args, PyObject *kwargs) { return k_call(args, kwargs, sg_diag, "diag", "v"); }

static PyObject *diagonal_call(PyObject *args, PyObject *kwargs, int sum) {
  static char *kwlist[] = {"a", "offset", "axis1", "axis2", NULL};
  PyObject *x;
  long long offset = 0, a1 = 0, a2 = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|LLL", kwlist, &x, &offset, &a1, &a2)) return NULL;
  WITH_TENSOR(x, sum ? "trace" : "diagonal", sg_diagonal(&out, a.handle, offset, a1, a2, sum));
}
static PyObject *py_diagonal(PyObject *self, PyObject *args, PyObject *kwargs) { return diagonal_call(args, kwargs, 0); }
static PyObject *py_trace(PyObject *self, PyObject *args, PyObject *kwargs) { return diagonal_call(args, kwargs, 1); }

/* Converts a sequence of operands; on success *items holds n converted args to release. */
static int operand_list(PyObject *seq, sg_arg **items, sg_tensor **handles, Py_ssize_t *n, const char *name) {
  *n = PyTuple_GET_SIZE(seq);
  *items = PyMem_Calloc(*n + 1, sizeof(sg_arg));
  *handles = PyMem_Calloc(*n + 1, sizeof(sg_tensor));
  if (!*items || !*handles) {
    PyMem_Free(*items);
    PyMem_Free(*handles);
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < *n; i++) {
    if (sg_arg_from(PyTuple_GET_ITEM(seq, i), &(*items)[i], name) < 0) {
      for (Py_ssize_t j = 0; j < i; j++) sg_arg_release(&(*items)[j]);
      PyMem_Free(*items);
      PyMem_Free(*handles);
      return -1;
    }
    (*handles)[i] = (*items)[i].handle;
  }
  return 0;
}
static void release_list(sg_arg *items, sg_tensor *handles, Py_ssize_t n) {
  for (Py_ssize_t i = 0; i < n; i++) sg_arg_release(&items[i]);
  PyMem_Free(items);
  PyMem_Free(handles);
}

static PyObject *py_meshgrid(PyObject *self, PyObject *args, PyObject *kwargs) {
  const char *indexing = "xy";
  if (kwargs) {
    PyObject *value = PyDict_GetItemString(kwargs, "indexing");
    if (PyDict_Size(kwargs) != (value != NULL)) {
      PyErr_SetString(PyExc_TypeError, "meshgrid() only accepts the keyword argument 'indexing'");
      return NULL;
    }
    if (value && !(indexing = PyUnicode_AsUTF8(value))) return NULL;
  }
  int ij = strcmp(indexing, "ij") == 0;
  if (!ij && strcmp(indexing, "xy") != 0) {
    PyErr_Format(PyExc_ValueError, "meshgrid: valid values for `indexing` are 'xy' and 'ij', got '%s'", indexing);
    return NULL;
  }
  sg_arg *items;
  sg_tensor *handles;
  Py_ssize_t n;
  if (operand_list(args, &items, &handles, &n, "meshgrid") < 0) return NULL;
  sg_tensor *grids = PyMem_Calloc(n + 1, sizeof(sg_tensor));
  int64_t count = 0;
  int status = grids ? sg_meshgrid(grids, n, &count, handles, (int)n, ij) : -1;
  release_list(items, handles, n);
  if (!grids) return PyErr_NoMemory();
  PyObject *result = status ? sg_raise(status) : PyTuple_New(count);
  for (int64_t i = 0; !status && result && i < count; i++) PyTuple_SET_ITEM(result, i, sg_wrap(grids[i]));
  PyMem_Free(grids);
  return result;
}

static PyObject *py_einsum(PyObject *self, PyObject *args) {
  if (PyTuple_GET_SIZE(args) < 1 || !PyUnicode_Check(PyTuple_GET_ITEM(args, 0))) {
    PyErr_SetString(PyExc_TypeError, "einsum(subscripts, *operands): subscripts must be a string");
    return NULL;
  }
  const char *subscripts = PyUnicode_AsUTF8(PyTuple_GET_ITEM(args, 0));
  if (!subscripts) return NULL;
  PyObject *rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
  if (!rest) return NULL;
  sg_arg *items;
  sg_tensor *handles;
  Py_ssize_t n;
  int ok = operand_list(rest, &items, &handles, &n, "einsum");
  Py_DECREF(rest);
  if (ok < 0) return NULL;
  sg_tensor out;
  int status = sg_einsum(&out, subscripts, handles, (int)n);
  release_list(items, handles, n);
  return finish(status, out);
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))
static PyMethodDef shapemath_methods[] = {
    {"floor", py_floor, METH_O, "Elementwise floor; integers are kept; zero gradient."},
    {"ceil", py_ceil, METH_O, "Elementwise ceiling; integers are kept; zero gradient."},
    {"round", FN(py_round), KW, "round(a, decimals=0): half to even (NumPy's round); zero gradient."},
    {"erf", py_erf, METH_O, "Elementwise error function."},
    {"sinh", py_sinh, METH_O, "Elementwise hyperbolic sine."},
    {"cosh", py_cosh, METH_O, "Elementwise hyperbolic cosine."},
    {"arcsin", py_arcsin, METH_O, "Elementwise inverse sine."},
    {"arccos", py_arccos, METH_O, "Elementwise inverse cosine."},
    {"arctan", py_arctan, METH_O, "Elementwise inverse tangent."},
    {"log_sigmoid", py_log_sigmoid, METH_O, "Elementwise log(sigmoid(x)) = -softplus(-x), stable."},
    {"gelu", FN(py_gelu), KW, "gelu(x, approximate='none'): x * Phi(x); 'tanh' for the tanh approximation."},
    {"logaddexp", py_logaddexp, METH_VARARGS, "logaddexp(a, b): log(exp(a) + exp(b)) without overflow."},
    {"hypot", py_hypot, METH_VARARGS, "hypot(a, b): sqrt(a**2 + b**2) without overflow."},
    {"arctan2", py_arctan2, METH_VARARGS, "arctan2(x1, x2): the angle of the point (x2, x1)."},
    {"cumsum", FN(py_cumsum), KW, "cumsum(a, axis=None): running sum (None: of the flattened array)."},
    {"cumprod", FN(py_cumprod), KW, "cumprod(a, axis=None): running product; exact gradients with zeros."},
    {"argmax", FN(py_argmax), KW, "argmax(a, axis=None, *, keepdims=False): int64 index of the first maximum."},
    {"argmin", FN(py_argmin), KW, "argmin(a, axis=None, *, keepdims=False): int64 index of the first minimum."},
    {"sort", FN(py_sort), KW, "sort(a, axis=-1, *, descending=False): stable sort, differentiable in the values."},
    {"argsort", FN(py_argsort), KW, "argsort(a, axis=-1, *, descending=False): int64 indices of a stable sort."},
    {"topk", FN(py_topk), KW, "topk(x, k, axis=-1, largest=True) -> (values, indices), sorted."},
    {"flip", FN(py_flip), KW, "flip(m, axis=None): elements reversed along axis (all axes for None); a view."},
    {"roll", FN(py_roll), KW, "roll(a, shift, axis=None): elements shifted cyclically."},
    {"moveaxis", FN(py_moveaxis), KW, "moveaxis(a, source, destination): axes moved to new positions; a view."},
    {"swapaxes", FN(py_swapaxes), KW, "swapaxes(a, axis1, axis2): two axes exchanged; a view."},
    {"ravel", py_ravel, METH_O, "ravel(a): the elements as a 1-D tensor, a view when possible."},
    {"flatten", py_flatten, METH_O, "flatten(a): the elements as a new 1-D tensor (a copy)."},
    {"tile", FN(py_tile), KW, "tile(A, reps): A repeated reps times along each axis (NumPy's tile)."},
    {"repeat", FN(py_repeat), KW, "repeat(a, repeats, axis=None): each element repeated (NumPy's repeat)."},
    {"pad", FN(py_pad), KW,
     "pad(array, pad_width, mode='constant', constant_values=0): modes constant, reflect, symmetric, edge, wrap."},
    {"tril", FN(py_tril), KW, "tril(m, k=0): lower triangle of the last two axes, the rest zero."},
    {"triu", FN(py_triu), KW, "triu(m, k=0): upper triangle of the last two axes, the rest zero."},
    {"diag", FN(py_diag), KW, "diag(v, k=0): a 1-D v on the k-th diagonal of a matrix, or the k-th diagonal of a 2-D v."},
    {"diagonal", FN(py_diagonal), KW, "diagonal(a, offset=0, axis1=0, axis2=1): the diagonal as the last axis; a view."},
    {"trace", FN(py_trace), KW, "trace(a, offset=0, axis1=0, axis2=1): sum along the diagonal (NumPy's trace)."},
    {"meshgrid", FN(py_meshgrid), KW, "meshgrid(*xi, indexing='xy') -> tuple of coordinate grids (broadcast views)."},
    {"einsum", py_einsum, METH_VARARGS, "einsum(subscripts, *operands): Einstein summation (NumPy's einsum)."},
    {NULL}};

int sg_register_shapemath(PyObject *module) { return PyModule_AddFunctions(module, shapemath_methods); }
