/* Bindings for composites with non-table signatures: clip, var/std, logsumexp, softmax,
 * take, split, norm. */
#include "swiftgrad_ext.h"

static int optional_arg(PyObject *obj, sg_arg *arg, const char *what) {
  arg->handle = NULL;
  arg->owned = 0;
  return obj == Py_None ? 0 : sg_arg_from(obj, arg, what);
}

/* axis None -> -1 (all), int or tuple -> count; -2 on error. */
static int axes_of(PyObject *axis, int64_t *axes, const char *what) {
  if (axis == Py_None) return -1;
  int n = sg_int_list(axis, axes, SG_MAX_DIMS, what);
  return n < 0 ? -2 : n;
}

static PyObject *finish(int status, sg_tensor out) { return status ? sg_raise(status) : sg_wrap(out); }

static PyObject *py_clip(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "a_min", "a_max", NULL};
  PyObject *x, *lo = Py_None, *hi = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO", kwlist, &x, &lo, &hi)) return NULL;
  sg_arg ax, alo, ahi;
  if (sg_arg_from(x, &ax, "clip") < 0) return NULL;
  if (optional_arg(lo, &alo, "clip") < 0) {
    sg_arg_release(&ax);
    return NULL;
  }
  if (optional_arg(hi, &ahi, "clip") < 0) {
    sg_arg_release(&ax);
    sg_arg_release(&alo);
    return NULL;
  }
  sg_tensor out;
  int status = sg_clip(&out, ax.handle, alo.handle, ahi.handle);
  sg_arg_release(&ax);
  sg_arg_release(&alo);
  sg_arg_release(&ahi);
  return finish(status, out);
}

static PyObject *var_call(PyObject *args, PyObject *kwargs, int root) {
  static char *kwlist[] = {"a", "axis", "ddof", "keepdims", NULL};
  PyObject *x, *axis = Py_None;
  long long ddof = 0;
  int keep = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OLp", kwlist, &x, &axis, &ddof, &keep)) return NULL;
  int64_t axes[SG_MAX_DIMS];
  int n = axes_of(axis, axes, root ? "std" : "var");
  if (n == -2) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, root ? "std" : "var") < 0) return NULL;
  sg_tensor out;
  int status = sg_var(&out, a.handle, axes, n, ddof, keep, root);
  sg_arg_release(&a);
  return finish(status, out);
}
static PyObject *py_var(PyObject *self, PyObject *args, PyObject *kwargs) { return var_call(args, kwargs, 0); }
static PyObject *py_std(PyObject *self, PyObject *args, PyObject *kwargs) { return var_call(args, kwargs, 1); }

static PyObject *py_logsumexp(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"a", "axis", "keepdims", NULL};
  PyObject *x, *axis = Py_None;
  int keep = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|Op", kwlist, &x, &axis, &keep)) return NULL;
  int64_t axes[SG_MAX_DIMS];
  int n = axes_of(axis, axes, "logsumexp");
  if (n == -2) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "logsumexp") < 0) return NULL;
  sg_tensor out;
  int status = sg_logsumexp(&out, a.handle, axes, n, keep);
  sg_arg_release(&a);
  return finish(status, out);
}

static PyObject *softmax_call(PyObject *args, PyObject *kwargs, int log) {
  static char *kwlist[] = {"x", "axis", NULL};
  PyObject *x;
  long long axis = -1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|L", kwlist, &x, &axis)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, log ? "log_softmax" : "softmax") < 0) return NULL;
  sg_tensor out;
  int status = sg_softmax(&out, a.handle, axis, log);
  sg_arg_release(&a);
  return finish(status, out);
}
static PyObject *py_softmax(PyObject *self, PyObject *args, PyObject *kwargs) { return softmax_call(args, kwargs, 0); }
static PyObject *py_log_softmax(PyObject *self, PyObject *args, PyObject *kwargs) { return softmax_call(args, kwargs, 1); }

static PyObject *take_call(PyObject *args, PyObject *kwargs, int along) {
  static char *kwlist[] = {"a", "indices", "axis", NULL};
  PyObject *x, *idx, *axis = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O", kwlist, &x, &idx, &axis)) return NULL;
  long long ax = 0;
  if (axis != Py_None) {
    ax = PyLong_AsLongLong(axis);
    if (ax == -1 && PyErr_Occurred()) return NULL;
  } else if (along) {
    PyErr_SetString(PyExc_ValueError, "take_along_axis: axis=None is not supported; pass an axis");
    return NULL;
  }
  sg_arg a, i;
  if (sg_arg_from(x, &a, "take") < 0) return NULL;
  if (sg_arg_from(idx, &i, "take: indices") < 0) {
    sg_arg_release(&a);
    return NULL;
  }
  sg_tensor out;
  int status = along ? sg_take_along_axis(&out, a.handle, i.handle, ax)
                     : sg_take(&out, a.handle, i.handle, ax, axis != Py_None);
  sg_arg_release(&a);
  sg_arg_release(&i);
  return finish(status, out);
}
static PyObject *py_take(PyObject *self, PyObject *args, PyObject *kwargs) { return take_call(args, kwargs, 0); }
static PyObject *py_take_along_axis(PyObject *self, PyObject *args, PyObject *kwargs) { return take_call(args, kwargs, 1); }

/* gather(x, axis, index), scatter_add(x, axis, index, src), index_add(x, axis, index, source). */
static PyObject *scatter_call(PyObject *args, PyObject *kwargs, int which) {
  static char *gather_kw[] = {"input", "dim", "index", NULL};
  static char *scatter_kw[] = {"input", "dim", "index", "src", NULL};
  static char *index_add_kw[] = {"input", "dim", "index", "source", NULL};
  PyObject *x, *idx, *src = NULL;
  long long axis;
  int ok = which == 0 ? PyArg_ParseTupleAndKeywords(args, kwargs, "OLO", gather_kw, &x, &axis, &idx)
                      : PyArg_ParseTupleAndKeywords(args, kwargs, "OLOO", which == 1 ? scatter_kw : index_add_kw, &x,
                                                    &axis, &idx, &src);
  if (!ok) return NULL;
  sg_arg a, i, s = {0};
  if (sg_arg_from(x, &a, "input") < 0) return NULL;
  if (sg_arg_from(idx, &i, "index") < 0) {
    sg_arg_release(&a);
    return NULL;
  }
  if (src && sg_arg_from(src, &s, "src") < 0) {
    sg_arg_release(&a);
    sg_arg_release(&i);
    return NULL;
  }
  sg_tensor out;
  int status = which == 0   ? sg_gather(&out, a.handle, axis, i.handle)
               : which == 1 ? sg_scatter_add(&out, a.handle, axis, i.handle, s.handle)
                            : sg_index_add(&out, a.handle, axis, i.handle, s.handle);
  sg_arg_release(&a);
  sg_arg_release(&i);
  if (src) sg_arg_release(&s);
  return finish(status, out);
}
static PyObject *py_gather(PyObject *self, PyObject *args, PyObject *kwargs) { return scatter_call(args, kwargs, 0); }
static PyObject *py_scatter_add(PyObject *self, PyObject *args, PyObject *kwargs) { return scatter_call(args, kwargs, 1); }
static PyObject *py_index_add(PyObject *self, PyObject *args, PyObject *kwargs) { return scatter_call(args, kwargs, 2); }

static PyObject *py_im2col(PyObject *self, PyObject *args) {
  PyObject *x;
  long long kh, kw, sh = 1, sw = 1, dh = 1, dw = 1;
  if (!PyArg_ParseTuple(args, "OLL|LLLL", &x, &kh, &kw, &sh, &sw, &dh, &dw)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "im2col") < 0) return NULL;
  sg_tensor out;
  int status = sg_im2col(&out, a.handle, kh, kw, sh, sw, dh, dw);
  sg_arg_release(&a);
  return finish(status, out);
}

static PyObject *py_split(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"ary", "indices_or_sections", "axis", NULL};
  PyObject *x, *spec;
  long long axis = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|L", kwlist, &x, &spec, &axis)) return NULL;
  long long sections = 0;
  int64_t cuts[SG_MAX_DIMS * 16];
  int n = 0;
  if (PyIndex_Check(spec)) {
    sections = PyLong_AsLongLong(spec);
    if (sections == -1 && PyErr_Occurred()) return NULL;
    if (sections <= 0) {
      PyErr_Format(PyExc_ValueError, "split: number of sections must be larger than 0 (got %lld)", sections);
      return NULL;
    }
  } else if ((n = sg_int_list(spec, cuts, SG_MAX_DIMS * 16, "split indices")) < 0) {
    return NULL;
  }
  sg_arg a;
  if (sg_arg_from(x, &a, "split") < 0) return NULL;
  int ndim = sg_tensor_ndim(a.handle);
  int64_t capacity = n + 1 > sections ? n + 1 : sections, count = 0;
  if (sections > 1 && (ndim == 0 || axis < -ndim || axis >= ndim)) {
    capacity = 1; /* the core refuses a 0-d array or a bad axis before making any part */
  } else if (sections > 1 && ndim <= SG_MAX_DIMS) {
    /* Refuse impossible section counts before allocating one slot per section. */
    int64_t shape[SG_MAX_DIMS];
    sg_tensor_shape(a.handle, shape);
    int64_t length = shape[axis < 0 ? axis + ndim : axis];
    if (length > 0 ? sections > length : sections > (1 << 24)) {
      sg_arg_release(&a);
      if (length > 0)
        return PyErr_Format(PyExc_ValueError, "split: array split does not result in an equal division (%lld into %lld)",
                            (long long)length, sections);
      return PyErr_Format(PyExc_MemoryError, "split: cannot make %lld parts of an empty axis", sections);
    }
  }
  sg_tensor *parts = PyMem_Calloc(capacity + 1, sizeof(sg_tensor));
  if (!parts) {
    sg_arg_release(&a);
    return PyErr_NoMemory();
  }
  int status = sg_split(parts, capacity, &count, a.handle, sections, cuts, n, axis);
  sg_arg_release(&a);
  PyObject *result = NULL;
  if (status) {
    sg_raise(status);
  } else {
    result = PyList_New(count);
    for (int64_t i = 0; result && i < count; i++) PyList_SET_ITEM(result, i, sg_wrap(parts[i]));
  }
  PyMem_Free(parts);
  return result;
}

static PyObject *py_norm(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"x", "ord", "axis", "keepdims", NULL};
  PyObject *x, *ord = Py_None, *axis = Py_None;
  int keep = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOp", kwlist, &x, &ord, &axis, &keep)) return NULL;
  int fro = 0, has_ord = 0;
  double ord_value = 0;
  if (PyUnicode_Check(ord)) {
    /* fro: 1 for 'fro', 2 for 'nuc' (the nuclear norm, through the SVD). */
    if (PyUnicode_CompareWithASCIIString(ord, "fro") == 0) {
      fro = 1;
    } else if (PyUnicode_CompareWithASCIIString(ord, "nuc") == 0) {
      fro = 2;
    } else {
      PyErr_Format(PyExc_ValueError, "norm: invalid order %R (use a number, 'fro' or 'nuc')", ord);
      return NULL;
    }
  } else if (ord != Py_None) {
    ord_value = PyFloat_AsDouble(ord);
    if (ord_value == -1.0 && PyErr_Occurred()) return NULL;
    has_ord = 1;
  }
  int64_t axes[SG_MAX_DIMS];
  int n = axes_of(axis, axes, "norm");
  if (n == -2) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "norm") < 0) return NULL;
  sg_tensor out;
  int status = sg_norm(&out, a.handle, ord_value, has_ord, fro, axes, n, keep);
  sg_arg_release(&a);
  return finish(status, out);
}

#define KW (METH_VARARGS | METH_KEYWORDS)
static PyMethodDef composite_methods[] = {
    {"clip", (PyCFunction)(void (*)(void))py_clip, KW, "clip(a, a_min=None, a_max=None): values limited to [a_min, a_max]."},
    {"var", (PyCFunction)(void (*)(void))py_var, KW, "var(a, axis=None, ddof=0, keepdims=False)"},
    {"std", (PyCFunction)(void (*)(void))py_std, KW, "std(a, axis=None, ddof=0, keepdims=False)"},
    {"logsumexp", (PyCFunction)(void (*)(void))py_logsumexp, KW, "logsumexp(a, axis=None, keepdims=False), stable."},
    {"softmax", (PyCFunction)(void (*)(void))py_softmax, KW, "softmax(x, axis=-1)"},
    {"log_softmax", (PyCFunction)(void (*)(void))py_log_softmax, KW, "log_softmax(x, axis=-1)"},
    {"take", (PyCFunction)(void (*)(void))py_take, KW, "take(a, indices, axis=None): NumPy's take (None flattens)."},
    {"take_along_axis", (PyCFunction)(void (*)(void))py_take_along_axis, KW, "take_along_axis(a, indices, axis)"},
    {"im2col", py_im2col, METH_VARARGS, "im2col(x, kh, kw, sh=1, sw=1, dh=1, dw=1): windows of (N,C,H,W) as (N, C*kh*kw, L) columns."},
    {"gather", (PyCFunction)(void (*)(void))py_gather, KW, "gather(input, dim, index): PyTorch's gather (out of place)."},
    {"scatter_add", (PyCFunction)(void (*)(void))py_scatter_add, KW, "scatter_add(input, dim, index, src): PyTorch's, out of place."},
    {"index_add", (PyCFunction)(void (*)(void))py_index_add, KW, "index_add(input, dim, index, source): PyTorch's, out of place."},
    {"split", (PyCFunction)(void (*)(void))py_split, KW, "split(ary, indices_or_sections, axis=0) -> list of views"},
    {"norm", (PyCFunction)(void (*)(void))py_norm, KW, "norm(x, ord=None, axis=None, keepdims=False): NumPy's linalg.norm."},
    {NULL}};

int sg_register_composites(PyObject *module) { return PyModule_AddFunctions(module, composite_methods); }
