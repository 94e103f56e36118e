/* The Python functions and Tensor methods of every operation, built at import from the core's
 * operation table (Note [One op table], include/swiftgrad.h). One argument-conversion path for
 * every op; the GIL is released here, in one place, around calls on large operands. */
#include "swiftgrad_ext.h"

#define MAX_PARAMETERS 12
#define INT_POOL (SG_MAX_DIMS * 16)

typedef struct {
  const char *name;
  const char *aliases; /* '|'-separated, possibly empty */
  int kind;
  int keyword_only;
  PyObject *fallback; /* the default value, or NULL when required */
} parameter_spec;

typedef struct {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  int op, family, result, count;
  const char *name;
  parameter_spec parameters[MAX_PARAMETERS];
  PyObject *doc, *signature, *namespace_, *method;
} OpFunction;

int sg_op_add = -1, sg_op_subtract = -1, sg_op_multiply = -1, sg_op_divide = -1, sg_op_power = -1, sg_op_matmul = -1,
    sg_op_negative = -1, sg_op_abs = -1, sg_op_full = -1, sg_op_floor_divide = -1, sg_op_remainder = -1,
    sg_op_bitwise_and = -1, sg_op_bitwise_or = -1, sg_op_bitwise_xor = -1, sg_op_bitwise_left_shift = -1,
    sg_op_bitwise_right_shift = -1, sg_op_bitwise_invert = -1;
int sg_op_compare[6] = {-1, -1, -1, -1, -1, -1}; /* in Py_LT .. Py_GE order */

/* --- Converting arguments ----------------------------------------------------------------- */

/* What one call converted: released after the call whatever happened. */
typedef struct {
  sg_arg args[MAX_PARAMETERS];
  int arg_count;
  sg_arg *lists[MAX_PARAMETERS]; /* per TENSORS parameter: its converted items */
  sg_tensor *handle_lists[MAX_PARAMETERS];
  Py_ssize_t list_sizes[MAX_PARAMETERS];
  /* Per TENSORS parameter: the sequence the items came from, kept alive until the call is over
   * (items made by iteration, such as the rows of a Tensor, are borrowed from it). */
  PyObject *sequences[MAX_PARAMETERS];
  int list_count;
  int64_t ints[INT_POOL];
  int ints_used;
  int64_t elements; /* total tensor elements, for the GIL decision */
} call_scratch;

static void release_scratch(call_scratch *s) {
  for (int i = 0; i < s->arg_count; i++) sg_arg_release(&s->args[i]);
  for (int i = 0; i < s->list_count; i++) {
    for (Py_ssize_t j = 0; j < s->list_sizes[i]; j++) sg_arg_release(&s->lists[i][j]);
    PyMem_Free(s->lists[i]);
    PyMem_Free(s->handle_lists[i]);
    Py_XDECREF(s->sequences[i]);
  }
}

static int tensor_value(PyObject *obj, sg_value *v, call_scratch *s, const char *what) {
  sg_arg *arg = &s->args[s->arg_count];
  if (sg_arg_from(obj, arg, what) < 0) return -1;
  s->arg_count++;
  s->elements += sg_tensor_size(arg->handle);
  v->kind = SG_VALUE_TENSOR;
  v->pointer = arg->handle;
  return 0;
}

static int tensors_value(PyObject *obj, sg_value *v, call_scratch *s, const char *what) {
  PyObject *seq = PySequence_Fast(obj, "expected a sequence of arrays");
  if (!seq) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  int slot = s->list_count;
  s->lists[slot] = PyMem_Calloc(n + 1, sizeof(sg_arg));
  s->handle_lists[slot] = PyMem_Calloc(n + 1, sizeof(sg_tensor));
  s->list_sizes[slot] = 0;
  s->sequences[slot] = seq; /* released with the scratch */
  s->list_count++;
  if (!s->lists[slot] || !s->handle_lists[slot]) {
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    if (sg_arg_from(PySequence_Fast_GET_ITEM(seq, i), &s->lists[slot][i], what) < 0) return -1;
    s->list_sizes[slot]++;
    s->handle_lists[slot][i] = s->lists[slot][i].handle;
    s->elements += sg_tensor_size(s->lists[slot][i].handle);
  }
  v->kind = SG_VALUE_TENSORS;
  v->integer = n;
  v->pointer = s->handle_lists[slot];
  return 0;
}

static int ints_value(PyObject *obj, sg_value *v, call_scratch *s, const char *what) {
  int n = sg_int_list(obj, s->ints + s->ints_used, INT_POOL - s->ints_used, what);
  if (n < 0) return -1;
  v->kind = SG_VALUE_INTS;
  v->integer = n;
  v->pointer = s->ints + s->ints_used;
  s->ints_used += n;
  return 0;
}

static int int_value(PyObject *obj, sg_value *v, const char *op, const char *name) {
  if (PyFloat_Check(obj) || !PyIndex_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be an integer, not %.100s", op, name,
                 Py_TYPE(obj)->tp_name);
    return -1;
  }
  long long value = PyLong_AsLongLong(obj);
  if (value == -1 && PyErr_Occurred()) return -1;
  v->kind = SG_VALUE_INT;
  v->integer = value;
  return 0;
}

static int float_value(PyObject *obj, sg_value *v) {
  double value = PyFloat_AsDouble(obj);
  if (value == -1.0 && PyErr_Occurred()) return -1;
  v->kind = SG_VALUE_FLOAT;
  v->real = value;
  return 0;
}

static int string_value(PyObject *obj, sg_value *v, const char *op, const char *name) {
  if (!PyUnicode_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "%s(): %s must be a string, not %.100s", op, name, Py_TYPE(obj)->tp_name);
    return -1;
  }
  const char *text = PyUnicode_AsUTF8(obj);
  if (!text) return -1;
  v->kind = SG_VALUE_STRING;
  v->pointer = text;
  return 0;
}

/* A variadic `*ints` slot holds the positional tuple: one sequence (or None) inside it is the
 * value itself (`reshape(x, (2, 3))` as `reshape(x, 2, 3)`). */
static PyObject *unpack_variadic_ints(PyObject *slot) {
  if (PyTuple_Check(slot) && PyTuple_GET_SIZE(slot) == 1) {
    PyObject *only = PyTuple_GET_ITEM(slot, 0);
    if (only == Py_None || !PyIndex_Check(only)) return only;
  }
  return slot;
}

static int convert(OpFunction *f, const parameter_spec *p, PyObject *obj, sg_value *v, call_scratch *s) {
  v->kind = SG_VALUE_NONE;
  v->integer = 0;
  v->real = 0;
  v->pointer = NULL;
  switch (p->kind) {
    case SG_KIND_TENSOR: return tensor_value(obj, v, s, f->name);
    case SG_KIND_OPTIONAL_TENSOR: return obj == Py_None ? 0 : tensor_value(obj, v, s, f->name);
    case SG_KIND_TENSORS:
    case SG_KIND_VARIADIC_TENSORS: return tensors_value(obj, v, s, f->name);
    case SG_KIND_INT: return int_value(obj, v, f->name, p->name);
    case SG_KIND_OPTIONAL_INT: return obj == Py_None ? 0 : int_value(obj, v, f->name, p->name);
    case SG_KIND_FLOAT: return float_value(obj, v);
    case SG_KIND_OPTIONAL_FLOAT: return obj == Py_None ? 0 : float_value(obj, v);
    case SG_KIND_BOOL: {
      int truth = PyObject_IsTrue(obj);
      if (truth < 0) return -1;
      v->kind = SG_VALUE_BOOL;
      v->integer = truth;
      return 0;
    }
    case SG_KIND_INTS: return ints_value(obj, v, s, p->name);
    case SG_KIND_OPTIONAL_INTS: return obj == Py_None ? 0 : ints_value(obj, v, s, p->name);
    case SG_KIND_VARIADIC_INTS: {
      obj = unpack_variadic_ints(obj);
      return obj == Py_None ? 0 : ints_value(obj, v, s, p->name);
    }
    case SG_KIND_STRING: return string_value(obj, v, f->name, p->name);
    case SG_KIND_OPTIONAL_STRING: return obj == Py_None ? 0 : string_value(obj, v, f->name, p->name);
    case SG_KIND_INT_OR_INTS:
      return PyIndex_Check(obj) && !PyBool_Check(obj) ? int_value(obj, v, f->name, p->name)
                                                      : ints_value(obj, v, s, p->name);
    case SG_KIND_FLOAT_OR_STRING:
      if (obj == Py_None) return 0;
      return PyUnicode_Check(obj) ? string_value(obj, v, f->name, p->name) : float_value(obj, v);
    case SG_KIND_INTS_OR_STRING:
      return PyUnicode_Check(obj) ? string_value(obj, v, f->name, p->name) : ints_value(obj, v, s, p->name);
    default: PyErr_Format(PyExc_SystemError, "%s(): unknown parameter kind %d", f->name, p->kind); return -1;
  }
}

/* --- Binding positional and keyword arguments to parameters ---------------------------------- */

static int name_matches(const parameter_spec *p, const char *key) {
  if (strcmp(p->name, key) == 0) return 1;
  size_t len = strlen(key);
  for (const char *a = p->aliases; *a;) {
    const char *bar = strchr(a, '|');
    size_t n = bar ? (size_t)(bar - a) : strlen(a);
    if (n == len && strncmp(a, key, len) == 0) return 1;
    a += n + (bar ? 1 : 0);
  }
  return 0;
}

/* Fills slots[] with borrowed arguments (owned[] marks new references: variadic tuples). */
static int bind(OpFunction *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **slots,
                int *owned) {
  Py_ssize_t next = 0;
  for (int j = 0; j < f->count; j++) {
    const parameter_spec *p = &f->parameters[j];
    if (p->kind == SG_KIND_VARIADIC_TENSORS || p->kind == SG_KIND_VARIADIC_INTS) {
      if (next < nargs || !kwnames) {
        slots[j] = PyTuple_New(nargs - next);
        if (!slots[j]) return -1;
        owned[j] = 1;
        for (Py_ssize_t i = next; i < nargs; i++) PyTuple_SET_ITEM(slots[j], i - next, Py_NewRef(args[i]));
        next = nargs;
      }
      continue;
    }
    if (p->keyword_only || next >= nargs) continue;
    slots[j] = args[next++];
  }
  if (next < nargs) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most %zd positional arguments (%zd given)", f->name, next, nargs);
    return -1;
  }
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; k++) {
    const char *key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
    if (!key) return -1;
    int j = 0;
    while (j < f->count && !name_matches(&f->parameters[j], key)) j++;
    if (j == f->count) {
      PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", f->name, key);
      return -1;
    }
    int variadic_empty = owned[j] && PyTuple_GET_SIZE(slots[j]) == 0;
    if (slots[j] && !variadic_empty) {
      PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", f->name, key);
      return -1;
    }
    if (owned[j]) Py_CLEAR(slots[j]);
    owned[j] = 0;
    slots[j] = args[nargs + k];
  }
  for (int j = 0; j < f->count; j++) {
    const parameter_spec *p = &f->parameters[j];
    /* `*ints` given nothing takes its default (transpose(x)); `*tensors` may be empty. */
    int nothing = !slots[j] || (owned[j] && p->kind == SG_KIND_VARIADIC_INTS && PyTuple_GET_SIZE(slots[j]) == 0);
    if (!nothing) continue;
    if (owned[j]) Py_CLEAR(slots[j]);
    owned[j] = 0;
    if (p->fallback) {
      slots[j] = p->fallback;
    } else if (p->kind == SG_KIND_VARIADIC_TENSORS) {
      if (!(slots[j] = PyTuple_New(0))) return -1;
      owned[j] = 1;
    } else {
      PyErr_Format(PyExc_TypeError, "%s() missing argument '%s'", f->name, p->name);
      return -1;
    }
  }
  return 0;
}

/* --- Calling ------------------------------------------------------------------------------------ */

static PyObject *wrap_results(OpFunction *f, sg_tensor *outs, int64_t count) {
  if (f->result == 0) return sg_wrap(outs[0]);
  /* Wrapping takes ownership of a handle: wrap every one first so that none leaks on failure. */
  PyObject *result = f->result == 1 ? PyTuple_New(count) : PyList_New(count);
  int failed = !result;
  for (int64_t i = 0; i < count; i++) {
    PyObject *item = sg_wrap(outs[i]);
    if (!item || failed) {
      failed = 1;
      Py_XDECREF(item);
    } else if (f->result == 1) {
      PyTuple_SET_ITEM(result, i, item);
    } else {
      PyList_SET_ITEM(result, i, item);
    }
  }
  if (failed) Py_CLEAR(result);
  return result;
}

static PyObject *call_general(OpFunction *f, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  PyObject *slots[MAX_PARAMETERS] = {NULL};
  int owned[MAX_PARAMETERS] = {0};
  sg_value values[MAX_PARAMETERS];
  call_scratch scratch;
  scratch.arg_count = scratch.list_count = scratch.ints_used = 0;
  scratch.elements = 0;
  PyObject *result = NULL;
  if (bind(f, args, nargs, kwnames, slots, owned) < 0) goto done;
  for (int j = 0; j < f->count; j++)
    if (convert(f, &f->parameters[j], slots[j], &values[j], &scratch) < 0) goto done;
  sg_tensor outs[4], *heap = NULL;
  int64_t count = 0;
  int status;
  if (scratch.elements >= SG_GIL_THRESHOLD) {
    Py_BEGIN_ALLOW_THREADS
    status = sg_op_call(f->op, values, f->count, outs, 4, &heap, &count);
    Py_END_ALLOW_THREADS
  } else {
    status = sg_op_call(f->op, values, f->count, outs, 4, &heap, &count);
  }
  if (status) {
    sg_raise(status);
  } else {
    result = wrap_results(f, heap ? heap : outs, count);
    sg_free(heap);
  }
done:
  release_scratch(&scratch);
  for (int j = 0; j < f->count; j++)
    if (owned[j]) Py_XDECREF(slots[j]);
  return result;
}

static PyObject *call_unary(int op, PyObject *x, const char *name) {
  sg_arg a;
  if (sg_arg_from(x, &a, name) < 0) return NULL;
  sg_tensor out;
  int status;
  if (sg_tensor_size(a.handle) >= SG_GIL_THRESHOLD) {
    Py_BEGIN_ALLOW_THREADS
    status = sg_op_unary(op, &out, a.handle);
    Py_END_ALLOW_THREADS
  } else {
    status = sg_op_unary(op, &out, a.handle);
  }
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

PyObject *sg_call_unary(int op, PyObject *x) { return call_unary(op, x, sg_op_name(op)); }

/* Python's binary-operator protocol: an operand we cannot convert gives the other object its
 * turn (NotImplemented) when `protocol` is set; functions raise the TypeError. */
static PyObject *call_binary(int op, PyObject *x, PyObject *y, int protocol) {
  const char *name = sg_op_name(op);
  sg_arg a, b;
  if (sg_arg_from(x, &a, name) < 0) return NULL;
  if (sg_arg_from(y, &b, name) < 0) {
    sg_arg_release(&a);
    if (protocol && PyErr_ExceptionMatches(PyExc_TypeError)) {
      PyErr_Clear();
      Py_RETURN_NOTIMPLEMENTED;
    }
    return NULL;
  }
  sg_tensor out;
  int status;
  if (sg_tensor_size(a.handle) + sg_tensor_size(b.handle) >= SG_GIL_THRESHOLD) {
    Py_BEGIN_ALLOW_THREADS
    status = sg_op_binary(op, &out, a.handle, b.handle);
    Py_END_ALLOW_THREADS
  } else {
    status = sg_op_binary(op, &out, a.handle, b.handle);
  }
  sg_arg_release(&a);
  sg_arg_release(&b);
  return status ? sg_raise(status) : sg_wrap(out);
}

PyObject *sg_call_binary(int op, PyObject *x, PyObject *y) { return call_binary(op, x, y, 1); }

static PyObject *op_vectorcall(OpFunction *f, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (!kwnames || PyTuple_GET_SIZE(kwnames) == 0) {
    if (f->family == 0 && nargs == 1) return call_unary(f->op, args[0], f->name);
    if (f->family == 1 && nargs == 2) return call_binary(f->op, args[0], args[1], 0);
  }
  return call_general(f, args, nargs, kwnames && PyTuple_GET_SIZE(kwnames) ? kwnames : NULL);
}

/* --- The function type ------------------------------------------------------------------------ */

/* A method when reached through a Tensor: Py_TPFLAGS_METHOD_DESCRIPTOR lets CPython call it
 * with the tensor as first argument without making a bound method. */
static PyObject *op_descr_get(PyObject *self, PyObject *obj, PyObject *type) {
  if (!obj) return Py_NewRef(self);
  return PyMethod_New(self, obj);
}

static void op_dealloc(OpFunction *f) {
  for (int j = 0; j < f->count; j++) Py_XDECREF(f->parameters[j].fallback);
  Py_XDECREF(f->doc);
  Py_XDECREF(f->signature);
  Py_XDECREF(f->namespace_);
  Py_XDECREF(f->method);
  Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyObject *op_repr(OpFunction *f) { return PyUnicode_FromFormat("<swiftgrad operation %s>", f->name); }
static PyObject *op_get_name(OpFunction *f, void *c) { return PyUnicode_FromString(f->name); }
static PyObject *op_get_doc(OpFunction *f, void *c) { return Py_NewRef(f->doc); }
static PyObject *op_get_signature(OpFunction *f, void *c) { return Py_NewRef(f->signature); }
static PyObject *op_get_module(OpFunction *f, void *c) { return PyUnicode_FromString("swiftgrad"); }
static PyObject *op_get_namespace(OpFunction *f, void *c) { return Py_NewRef(f->namespace_); }
static PyObject *op_get_method(OpFunction *f, void *c) { return Py_NewRef(f->method); }
static PyObject *op_get_result(OpFunction *f, void *c) {
  return PyUnicode_FromString(f->result == 0 ? "tensor" : f->result == 1 ? "tuple" : "list");
}
static PyObject *op_get_differentiable(OpFunction *f, void *c) { return PyBool_FromLong(sg_op_differentiable(f->op)); }

/* (name, kind, default literal or None when required, keyword_only, aliases) per parameter. */
static PyObject *op_get_parameters(OpFunction *f, void *c) {
  PyObject *result = PyTuple_New(f->count);
  for (int j = 0; result && j < f->count; j++) {
    const parameter_spec *p = &f->parameters[j];
    PyObject *item = Py_BuildValue("(sszOs)", p->name, sg_kind_spelling(p->kind), sg_op_parameter_default(f->op, j),
                                   p->keyword_only ? Py_True : Py_False, p->aliases);
    if (!item) Py_CLEAR(result);
    else PyTuple_SET_ITEM(result, j, item);
  }
  return result;
}

static PyGetSetDef op_getset[] = {
    {"__name__", (getter)op_get_name, NULL, NULL, NULL},
    {"__qualname__", (getter)op_get_name, NULL, NULL, NULL},
    {"__doc__", (getter)op_get_doc, NULL, NULL, NULL},
    {"__text_signature__", (getter)op_get_signature, NULL, NULL, NULL},
    {"__module__", (getter)op_get_module, NULL, NULL, NULL},
    {"namespace", (getter)op_get_namespace, NULL,
     "Where swiftgrad publishes it: '', 'linalg', 'nn.functional' or '_' (hidden).", NULL},
    {"method", (getter)op_get_method, NULL, "The Tensor method of the same signature, or None.", NULL},
    {"result", (getter)op_get_result, NULL, "What it returns: 'tensor', 'tuple' or 'list'.", NULL},
    {"differentiable", (getter)op_get_differentiable, NULL, "Whether it has derivatives to check.", NULL},
    {"parameters", (getter)op_get_parameters, NULL,
     "(name, kind, default as a Python literal or None when required, keyword_only, aliases).", NULL},
    {NULL}};

static PyTypeObject OpFunction_Type = {
    /* clang-format off */
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "swiftgrad._C.Operation",
    /* clang-format on */
    .tp_basicsize = sizeof(OpFunction),
    .tp_dealloc = (destructor)op_dealloc,
    .tp_vectorcall_offset = offsetof(OpFunction, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)op_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "An operation of the Swift core's table, callable as a function or a Tensor method.",
    .tp_descr_get = op_descr_get,
    .tp_getset = op_getset,
};

/* --- Building the table at import -------------------------------------------------------------- */

/* A default written as a Python literal: None, True, False, a quoted string, an int or a float. */
static PyObject *literal(const char *text) {
  if (strcmp(text, "None") == 0) return Py_NewRef(Py_None);
  if (strcmp(text, "True") == 0) return Py_NewRef(Py_True);
  if (strcmp(text, "False") == 0) return Py_NewRef(Py_False);
  size_t n = strlen(text);
  if (n >= 2 && text[0] == '\'' && text[n - 1] == '\'') return PyUnicode_FromStringAndSize(text + 1, n - 2);
  if (strpbrk(text, ".eE")) {
    double value = PyOS_string_to_double(text, NULL, NULL);
    return value == -1.0 && PyErr_Occurred() ? NULL : PyFloat_FromDouble(value);
  }
  return PyLong_FromString(text, NULL, 10);
}

static PyObject *make_function(int op) {
  OpFunction *f = PyObject_New(OpFunction, &OpFunction_Type);
  if (!f) return NULL;
  f->vectorcall = (vectorcallfunc)op_vectorcall;
  f->op = op;
  f->family = sg_op_family(op);
  f->result = sg_op_result(op);
  f->name = sg_op_name(op);
  f->count = 0;
  f->doc = f->signature = f->namespace_ = f->method = NULL;
  int count = sg_op_parameter_count(op);
  if (count > MAX_PARAMETERS) {
    Py_DECREF(f);
    return PyErr_Format(PyExc_SystemError, "operation %s has %d parameters (at most %d)", f->name, count,
                        MAX_PARAMETERS);
  }
  for (int j = 0; j < count; j++, f->count++) {
    parameter_spec *p = &f->parameters[j];
    p->name = sg_op_parameter_name(op, j);
    p->aliases = sg_op_parameter_aliases(op, j);
    p->kind = sg_op_parameter_kind(op, j);
    p->keyword_only = sg_op_parameter_keyword_only(op, j);
    const char *fallback = sg_op_parameter_default(op, j);
    p->fallback = NULL;
    if (fallback && !(p->fallback = literal(fallback))) {
      Py_DECREF(f);
      return NULL;
    }
  }
  f->signature = PyUnicode_FromString(sg_op_signature(op));
  f->doc = PyUnicode_FromFormat("%s%S\n\n%s", f->name, f->signature, sg_op_doc(op));
  f->namespace_ = PyUnicode_FromString(sg_op_namespace(op));
  const char *method = sg_op_method(op);
  f->method = method ? PyUnicode_FromString(method) : Py_NewRef(Py_None);
  if (!f->signature || !f->doc || !f->namespace_ || !f->method) {
    Py_DECREF(f);
    return NULL;
  }
  return (PyObject *)f;
}

static int find(const char *name) {
  int op = sg_op_find(name);
  if (op < 0) PyErr_Format(PyExc_SystemError, "the core has no operation '%s'", name);
  return op;
}

static PyObject *py_count_operation_calls(PyObject *self, PyObject *on) {
  int flag = PyObject_IsTrue(on);
  if (flag < 0) return NULL;
  return PyBool_FromLong(sg_op_count_calls(flag));
}

static PyObject *py_operation_calls(PyObject *self, PyObject *unused) {
  int count = sg_op_count();
  PyObject *result = PyTuple_New(count);
  for (int op = 0; result && op < count; op++) {
    PyObject *n = PyLong_FromLongLong(sg_op_calls(op));
    if (!n) Py_CLEAR(result);
    else PyTuple_SET_ITEM(result, op, n);
  }
  return result;
}

static PyMethodDef counting_methods[] = {
    {"count_operation_calls", py_count_operation_calls, METH_O,
     "count_operation_calls(on): switch per-operation call counting (tests only); returns the old setting."},
    {"operation_calls", py_operation_calls, METH_NOARGS, "Calls of each operation since counting was switched on."},
    {NULL}};

/* Adds every operation to the module (as `_C.name`), its methods to the Tensor type, and the
 * tuple `_C.operations` listing them in table order. */
int sg_register_operations(PyObject *module) {
  if (PyType_Ready(&OpFunction_Type) < 0) return -1;
  int count = sg_op_count();
  PyObject *all = PyTuple_New(count);
  if (!all) return -1;
  for (int op = 0; op < count; op++) {
    PyObject *f = make_function(op);
    if (!f) {
      Py_DECREF(all);
      return -1;
    }
    PyTuple_SET_ITEM(all, op, f);
    if (PyModule_AddObjectRef(module, sg_op_name(op), f) < 0) return -1;
    const char *method = sg_op_method(op);
    if (method && PyDict_SetItemString(SGTensorBase_Type.tp_dict, method, f) < 0) return -1;
  }
  PyType_Modified(&SGTensorBase_Type);
  if (PyModule_AddObjectRef(module, "Operation", (PyObject *)&OpFunction_Type) < 0) return -1;
  if (PyModule_AddObject(module, "operations", all) < 0) return -1;
  if (PyModule_AddFunctions(module, counting_methods) < 0) return -1;
  const char *compare[6] = {"less", "less_equal", "equal", "not_equal", "greater", "greater_equal"};
  for (int i = 0; i < 6; i++)
    if ((sg_op_compare[i] = find(compare[i])) < 0) return -1;
  struct {
    int *number;
    const char *name;
  } operators[] = {{&sg_op_floor_divide, "floor_divide"},
                   {&sg_op_remainder, "remainder"},
                   {&sg_op_bitwise_and, "bitwise_and"},
                   {&sg_op_bitwise_or, "bitwise_or"},
                   {&sg_op_bitwise_xor, "bitwise_xor"},
                   {&sg_op_bitwise_left_shift, "bitwise_left_shift"},
                   {&sg_op_bitwise_right_shift, "bitwise_right_shift"},
                   {&sg_op_bitwise_invert, "bitwise_invert"}};
  for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
    if ((*operators[i].number = find(operators[i].name)) < 0) return -1;
  return (sg_op_add = find("add")) < 0 || (sg_op_subtract = find("subtract")) < 0 ||
                 (sg_op_multiply = find("multiply")) < 0 || (sg_op_divide = find("divide")) < 0 ||
                 (sg_op_power = find("power")) < 0 || (sg_op_matmul = find("matmul")) < 0 ||
                 (sg_op_negative = find("negative")) < 0 || (sg_op_abs = find("abs")) < 0 ||
                 (sg_op_full = find("full")) < 0
             ? -1
             : 0;
}

int sg_full_tensor(sg_tensor *out, int ndim, const int64_t *shape, double value, int dtype) {
  sg_value values[3] = {
      {SG_VALUE_INTS, ndim, 0, shape}, {SG_VALUE_FLOAT, 0, value, NULL}, {SG_VALUE_INT, dtype, 0, NULL}};
  sg_tensor *heap = NULL;
  int64_t count = 0;
  int status = sg_op_call(sg_op_full, values, 3, out, 1, &heap, &count);
  sg_free(heap);
  return status;
}
